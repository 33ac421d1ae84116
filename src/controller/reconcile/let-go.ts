// A record that cannot be reconciled (its spec is invalid, its Domain is missing) publishes
// nothing new, and what it already publishes stays, but only as far as it may still hold it:
// the names it publishes go through the DNSNamePolicies and the claims as any record's do, and
// those it is no longer allowed or no longer holds leave every output (its DNSEndpoint and the
// providers), so the next claimant gets them. Its other names are not touched.
import type { DNSRecord, Endpoint } from '../../api/schema.js';
import type { DirectOutcome } from '../../apply/outputs.js';
import { withoutNames } from '../../core/claims.js';
import { dnsEndpointName } from '../../core/dnsendpoint.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';
import type { Verdict } from '../../core/status.js';
import { boundedMessage } from '../../core/verdict.js';
import { describeError } from '../../errors.js';
import { publishedNames, stake } from './claim.js';
import { persistStatus } from './status.js';
import { EventReason } from '../events/recorder.js';
import { RetryLater, type ReconcileContext, type ReconcileResult } from './types.js';

/** What an invalid record's reconcile did; `retry` when a provider failed to let go. */
export interface LetGo {
  result: ReconcileResult;
  record: DNSRecord;
  retry?: RetryLater;
}

/**
 * The reconcile of an invalid record: its published names are judged, those it may not hold
 * are withdrawn (`writeDnsEndpoint` writes its DNSEndpoint with what is left), and the status
 * says both why the record is invalid and which names it let go.
 */
export async function letGo(
  ctx: ReconcileContext,
  key: RecordKey,
  record: DNSRecord,
  invalid: Verdict,
  writeDnsEndpoint: (endpoints: Endpoint[]) => Promise<ReconcileResult['dnsEndpoint']>,
): Promise<LetGo> {
  const { options } = ctx;
  const k = keyOf(key);
  const names = new Set(publishedNames(ctx, key));
  let failure: string | undefined;
  if (options.direct?.configured) {
    try {
      for (const n of await options.direct.publishedNames(key)) names.add(n);
    } catch (err) {
      failure = `could not read what the record publishes at the DNS providers: ${describeError(err)}`;
    }
  }
  const held = stake(ctx, key, record, names);
  const gone = held.dropped.filter((n) => names.has(n));
  let dnsEndpoint: ReconcileResult['dnsEndpoint'] = 'skipped';
  let direct: DirectOutcome | undefined;
  /** What the record still publishes, when known: its targets go to status.targets. */
  let remaining: Endpoint[] | undefined;
  if (gone.length > 0) {
    const live = options.dnsEndpoints === false ? undefined : ctx.view.dnsEndpoint(key.namespace, dnsEndpointName(key.kind, key.name));
    if (live) {
      remaining = withoutNames(live.spec.endpoints ?? [], gone);
      dnsEndpoint = await writeDnsEndpoint(remaining);
    }
    if (options.direct?.configured) direct = await options.direct.withdraw(key, gone);
    const confirmed = ctx.confirmed.get(k);
    if (confirmed) {
      ctx.confirmed.set(k, withoutNames(confirmed, gone));
      remaining ??= withoutNames(confirmed, gone);
    }
    ctx.log.info('an invalid record let go of names it may no longer hold', { record: k, names: gone.join(',') });
    // The status says it once (the next reconcile publishes none of them, so has nothing to say): the Event stays.
    await ctx.events.record({ ...key, uid: record.metadata.uid }, 'Warning', EventReason.NamesReleased, boundedMessage([`not published any more: ${held.problems.join('; ')}`]));
  }
  failure ??= direct?.failure?.message;
  const verdict: Verdict =
    gone.length === 0 && failure === undefined
      ? invalid
      : { ...invalid, message: boundedMessage([invalid.message, ...(gone.length > 0 ? [`not published any more: ${held.problems.join('; ')}`] : []), ...(failure ? [failure] : [])]) };
  const targets = remaining ? [...new Set(remaining.flatMap((e) => e.targets))].sort() : undefined;
  const written = await persistStatus(ctx, key, record, verdict, { ...(targets ? { targets } : {}), ...(held.claims ? { claims: held.claims } : {}) });
  const result: ReconcileResult = { dnsEndpoint, status: written ? 'updated' : 'unchanged', verdict };
  const retry = failure === undefined ? undefined : new RetryLater(failure, direct?.retryAfterMs);
  return { result, record: written ?? record, ...(retry ? { retry } : {}) };
}
