// A record's stake in its names: which of them the admin's DNSNamePolicies allow, since when it
// claims each (status.claims), and which of them it holds against every other record's claims
// (the claims index). Used by the decision of a valid record (decide.ts), by an invalid record
// letting go (let-go.ts), and before the first reconcile, to seed the index from the caches.
import { RECORD_API_VERSION, type DNSRecord, type ServiceDNSRecord } from '../../api/schema.js';
import { validateObject } from '../../api/validate.js';
import {
  claimTimes,
  claimTimesStatus,
  contestedNote,
  judgeClaims,
  lostMessage,
  type Claimant,
  type ClaimTime,
  type ClaimVerdict,
} from '../../core/claims.js';
import { normaliseName } from '../../core/names.js';
import { claimedNames } from '../../core/record-names.js';
import { dnsEndpointName } from '../../core/dnsendpoint.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';
import type { RecordStatus } from '../../core/status.js';
import type { ReconcileContext } from './types.js';

/** What a record may publish of its names, and why not the others. */
export interface Stake {
  /** Names allowed and held: what may be published. */
  held: Set<string>;
  /** Names dropped (not allowed, or held by another record). */
  dropped: string[];
  /** One text per dropped name or group, for the Ready message. */
  problems: string[];
  /** Why names were dropped: NameNotAllowed wins over NameConflict. */
  reason?: 'NameNotAllowed' | 'NameConflict';
  /** Notes for a holder of contested names. */
  contested: string[];
  /** status.claims, when a claims index is in use. */
  claims?: ClaimTime[];
}

function claimantOf(key: RecordKey): Claimant {
  return { record: keyOf(key), kind: key.kind, namespace: key.namespace, name: key.name };
}

/** status.claims as mcdns last wrote it; undefined when it never did. */
function recordedClaims(record: DNSRecord): ClaimTime[] | undefined {
  return (record.status as RecordStatus | undefined)?.claims;
}

/**
 * States the record's claims on `names` and judges them: names outside the DNSNamePolicies
 * claim nothing; the others are claimed since the time this process, else status.claims, says
 * (`fromStatus`: status first, for a seed). Returns what the record holds.
 */
export function stake(ctx: ReconcileContext, key: RecordKey, record: DNSRecord, names: Iterable<string>, fromStatus = false): Stake {
  const all = [...new Set([...names].map(normaliseName).filter((n) => n !== ''))].sort();
  const decision = ctx.options.namePolicy?.decide(key.namespace, all);
  const allowed = decision ? decision.allowed : all;
  const denied = decision?.denied ?? [];
  const index = ctx.options.claims;
  const by = claimantOf(key);
  let verdict: ClaimVerdict = { lost: [], contested: [] };
  let claims: ClaimTime[] | undefined;
  if (index) {
    const recorded = recordedClaims(record);
    const fromIndex = (n: string) => index.claimedAt(by.record, n);
    const fromRecord = new Map((recorded ?? []).map((c) => [normaliseName(c.name), Date.parse(c.since)]));
    // An earlier mcdns reconciled the record (it has a Ready condition) but recorded no claims:
    // its names date from its creation, as that version decided. A record never reconciled
    // claims its names now.
    const earlier = recorded === undefined && (record.status as RecordStatus | undefined)?.conditions !== undefined;
    const times = claimTimes(allowed, {
      held: fromStatus ? (n) => fromRecord.get(n) ?? fromIndex(n) : fromIndex,
      ...(recorded ? { recorded } : {}),
      ...(earlier && record.metadata.creationTimestamp ? { createdAt: String(record.metadata.creationTimestamp) } : {}),
      now: ctx.now(),
    });
    index.set(by, times);
    verdict = judgeClaims(index.claimsOf(by.record), (c) => index.rivalsOf(c), index.subtree);
    claims = claimTimesStatus(times);
  }
  const lost = new Set(verdict.lost.map((l) => l.name));
  const dropped = [...denied.map((d) => d.name), ...lost];
  const problems = [...denied.map((d) => d.why), ...(verdict.lost.length > 0 ? [lostMessage(verdict.lost)] : [])];
  return {
    held: new Set(allowed.filter((n) => !lost.has(n))),
    dropped,
    problems,
    ...(denied.length > 0 ? { reason: 'NameNotAllowed' as const } : lost.size > 0 ? { reason: 'NameConflict' as const } : {}),
    contested: contestedNote(verdict.contested),
    ...(claims ? { claims } : {}),
  };
}

/**
 * Puts every record's claims in the claims index at once (before the workers start), so that
 * the first reconciles already know every older claim: a valid record's names from its spec and
 * the members' locations, an invalid one's as it last recorded them (or, never recorded, the
 * names its DNSEndpoint publishes). Ages come from status.claims, which every replica reads.
 */
export function seedClaims(ctx: ReconcileContext, keys: RecordKey[]): void {
  if (!ctx.options.claims) return;
  for (const key of keys) {
    const record = ctx.view.record(key);
    if (!record || record.metadata.deletionTimestamp) continue;
    stake(ctx, key, record, seedNames(ctx, key, record), true);
  }
}

function seedNames(ctx: ReconcileContext, key: RecordKey, record: DNSRecord): string[] {
  if (validateObject({ ...record, apiVersion: RECORD_API_VERSION, kind: key.kind }).length === 0) {
    const domain = key.kind === 'ServiceDNSRecord' ? ctx.view.domain(key.namespace, (record as ServiceDNSRecord).spec.domainRef) : undefined;
    if (key.kind !== 'ServiceDNSRecord' || domain) {
      const names = claimedNames(key.kind, record, { ...(domain ? { domain } : {}), topology: ctx.view.members(key, []) });
      // A route record's names from its route's hostnames are known once it reconciles: until
      // then, the ones it last recorded hold its place.
      if (key.kind === 'RouteDNSRecord') return [...new Set([...names, ...(recordedClaims(record)?.map((c) => c.name) ?? [])])].sort();
      return names;
    }
  }
  return recordedClaims(record)?.map((c) => c.name) ?? publishedNames(ctx, key);
}

/** The names the record's DNSEndpoint (made by mcdns) and this process's provider writes publish. */
export function publishedNames(ctx: ReconcileContext, key: RecordKey): string[] {
  const names = new Set<string>();
  if (ctx.options.dnsEndpoints !== false) {
    const live = ctx.view.dnsEndpoint(key.namespace, dnsEndpointName(key.kind, key.name));
    for (const e of live?.spec.endpoints ?? []) names.add(normaliseName(e.dnsName));
  }
  for (const e of ctx.confirmed.get(keyOf(key)) ?? []) names.add(normaliseName(e.dnsName));
  return [...names].sort();
}
