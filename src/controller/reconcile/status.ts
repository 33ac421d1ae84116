// A record's status and its Events: the status a verdict gives is written only when it changes
// something, and an Event only when the admin should notice (a record going not-Ready or coming
// back, a Degraded change). While a provider is slow to confirm a change, the record says
// Ready=Unknown/Publishing instead of an old `Published`.
import type { DNSRecord, Endpoint, RecordHealthStatus } from '../../api/schema.js';
import type { RecordRef } from '../../core/dnsendpoint.js';
import {
  canonicalStatus,
  nextStatus,
  PUBLISHING,
  publishingVerdict,
  readyCondition,
  readyTransition,
  withConditions,
  type RecordCondition,
  type RecordStatus,
  type Verdict,
} from '../../core/status.js';
import { canonical } from '../../core/canonical.js';
import type { ClaimTime } from '../../core/claims.js';
import { withHealthStatus } from '../../core/health-status.js';
import { DEGRADED, type DegradedChange } from '../../core/degraded.js';
import { describeError } from '../../errors.js';
import type { DirectOutcome } from '../../apply/outputs.js';
import { EventReason } from '../events/recorder.js';
import type { Slot } from '../runtime/queue.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';
import type { ReconcileContext, ReconcileResult } from './types.js';

/** Writes the status a verdict gives, if it changes anything; returns the record as written, else undefined. */
export async function persistStatus(
  ctx: ReconcileContext,
  key: RecordKey,
  record: DNSRecord,
  verdict: Verdict,
  published: { dns?: unknown[]; domain?: string; targets?: string[]; claims?: ClaimTime[] },
  health?: RecordHealthStatus,
  degraded?: DegradedChange,
  conditions?: RecordCondition[],
): Promise<DNSRecord | undefined> {
  const before = record.status as (RecordStatus & { health?: RecordHealthStatus }) | undefined;
  // status.health only on records that ask for health checks.
  const next = nextStatus(before, verdict, record.metadata.generation, published, ctx.now());
  const after = record.spec?.healthCheck ? withHealthStatus(next, health, before) : next;
  if (degraded) after.conditions = [...(after.conditions ?? []).filter((c) => c.type !== DEGRADED), degraded.condition];
  if (conditions?.length) after.conditions = withConditions(after.conditions ?? [], conditions, record.metadata.generation, ctx.now());
  if (canonicalStatus(before) === canonicalStatus(after)) return undefined;
  const updated = { ...record, status: after } as DNSRecord;
  const written = await ctx.writes.replaceStatus(key.kind, updated);
  const ref: RecordRef = { ...key, uid: record.metadata.uid };
  // A first publish is routine (status says it; thousands of records start at once): Events
  // are for what an admin should notice, a record going not-Ready or coming back. Publishing
  // is transient, and so is its end in Published.
  const previous = readyCondition(before);
  const routine =
    verdict.reason === PUBLISHING ||
    ((!previous || previous.reason === PUBLISHING) && verdict.status === 'True' && verdict.reason === EventReason.Published);
  if (readyTransition(before, after) && !routine) {
    await ctx.events.record(ref, verdict.status === 'True' ? 'Normal' : 'Warning', verdict.reason, verdict.message);
  }
  if (degraded?.event) await ctx.events.record(ref, degraded.event.type, degraded.event.reason, degraded.event.message);
  ctx.log.info('status updated', { record: keyOf(key), ready: verdict.status, reason: verdict.reason, message: verdict.message });
  return written ?? updated;
}

/** persistStatus, reported as a ReconcileResult's status. */
export async function writeStatus(...args: Parameters<typeof persistStatus>): Promise<ReconcileResult['status']> {
  return (await persistStatus(...args)) ? 'updated' : 'unchanged';
}

/**
 * Waits up to publishingStatusAfterMs for the provider's attempt; if it is still running and
 * the endpoints differ from what was last confirmed, writes Ready=Unknown/Publishing so the
 * record does not go on saying `Published` while DNS is stale. Returns the record as written
 * (its new resourceVersion carries the final status write). Never throws: the attempt's own
 * outcome decides what the record says next.
 */
export async function whilePublishing(
  ctx: ReconcileContext,
  key: RecordKey,
  record: DNSRecord,
  endpoints: Endpoint[],
  ready: Verdict,
  attempt: Promise<DirectOutcome>,
  slot?: Slot,
): Promise<DNSRecord> {
  if (!unconfirmed(ctx, key, record, endpoints)) return record;
  let timer: NodeJS.Timeout | undefined;
  const slow = await Promise.race([
    attempt.then(() => false, () => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), ctx.options.publishingStatusAfterMs ?? 2_000))),
  ]);
  clearTimeout(timer);
  if (!slow) return record;
  await slot?.reacquire();
  try {
    const written = await persistStatus(ctx, key, record, publishingVerdict(ctx.now(), ready.message), {});
    return written ?? record;
  } catch (err) {
    ctx.log.warn('could not write the Publishing status', { record: keyOf(key), error: describeError(err) });
    return record;
  } finally {
    slot?.release();
  }
}

/** Whether these endpoints are not yet known to be at the providers (this process's last confirmed, else status). */
function unconfirmed(ctx: ReconcileContext, key: RecordKey, record: DNSRecord, endpoints: Endpoint[]): boolean {
  const confirmed = ctx.confirmed.get(keyOf(key));
  if (confirmed) return canonical(confirmed) !== canonical(endpoints);
  // A new process: the status of the last confirmed attempt says what is there.
  const status = record.status as RecordStatus | undefined;
  const targets = [...new Set(endpoints.flatMap((e) => e.targets))].sort();
  return readyCondition(status)?.status !== 'True' || canonical(status?.targets ?? []) !== canonical(targets);
}
