// The record's status as the admin reads it in `kubectl describe`: KubeFed's status.dns plus a
// Ready condition whose lastTransitionTime moves only when the verdict changes, so a steady
// state produces an identical status and therefore no write.
import type { Condition } from '../api/schema.js';
import { canonical } from './canonical.js';
import type { ClaimTime } from './claims.js';

export interface Verdict {
  /** Unknown only while a change waits on a DNS provider (reason Publishing). */
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** A condition of a record kind beside Ready and Degraded (a RouteDNSRecord's HostsDropped). */
export interface RecordCondition extends Verdict {
  type: string;
}

export interface RecordStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  dns?: unknown[];
  domain?: string;
  targets?: string[];
  /** Since when the record claims each name (claims.ts); only mcdns writes status. */
  claims?: ClaimTime[];
}

const READY = 'Ready';

export function readyCondition(status: RecordStatus | undefined): Condition | undefined {
  return status?.conditions?.find((c) => c.type === READY);
}

export function nextStatus(
  current: RecordStatus | undefined,
  verdict: Verdict,
  generation: number | undefined,
  published: { dns?: unknown[]; domain?: string; targets?: string[]; claims?: ClaimTime[] },
  now: Date,
): RecordStatus {
  const previous = readyCondition(current);
  const unchanged = previous && previous.status === verdict.status && previous.reason === verdict.reason;
  const ready: Condition = {
    type: READY,
    status: verdict.status,
    reason: verdict.reason,
    message: verdict.message,
    lastTransitionTime: unchanged ? previous.lastTransitionTime : now.toISOString(),
  };
  if (generation !== undefined) ready.observedGeneration = generation;
  const others = (current?.conditions ?? []).filter((c) => c.type !== READY);
  const next: RecordStatus = { conditions: [ready, ...others] };
  if (generation !== undefined) next.observedGeneration = generation;
  // An invalid spec keeps what was published before: the status still tells what DNS serves.
  const dns = published.dns ?? current?.dns;
  if (dns !== undefined) next.dns = dns;
  const domain = published.domain ?? current?.domain;
  if (domain !== undefined) next.domain = domain;
  const targets = published.targets ?? current?.targets;
  if (targets !== undefined) next.targets = targets;
  const claims = published.claims ?? current?.claims;
  if (claims !== undefined) next.claims = claims;
  return next;
}

/**
 * The conditions with `next` in place of those of the same types; a condition whose status did not
 * change keeps its lastTransitionTime.
 */
export function withConditions(conditions: Condition[], next: RecordCondition[], generation: number | undefined, now: Date): Condition[] {
  const types = new Set(next.map((c) => c.type));
  const replaced = next.map((c): Condition => {
    const previous = conditions.find((x) => x.type === c.type);
    const lastTransitionTime = previous && previous.status === c.status ? previous.lastTransitionTime : now.toISOString();
    return { ...c, lastTransitionTime, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
  });
  return [...conditions.filter((c) => !types.has(c.type)), ...replaced];
}

/** Ready=Unknown while a record's change waits on a slow DNS provider; transient, so no Event. */
export const PUBLISHING = 'Publishing';

/**
 * The verdict a record carries while its changed endpoints wait on a DNS provider: the old
 * `Published` would claim DNS says what it does not say yet. status.targets and status.dns keep
 * what was last published.
 */
export function publishingVerdict(since: Date, next: string): Verdict {
  return {
    status: 'Unknown',
    reason: PUBLISHING,
    message: `waiting for the DNS provider since ${since.toISOString()} to publish: ${next}`,
  };
}

/** True when a Ready transition happened between two statuses (for Events). */
export function readyTransition(before: RecordStatus | undefined, after: RecordStatus): boolean {
  const a = readyCondition(before);
  const b = readyCondition(after);
  return !a || !b || a.status !== b.status || a.reason !== b.reason;
}

/** Comparable form of a status: equal strings mean writing it would change nothing. */
export function canonicalStatus(status: RecordStatus | undefined): string {
  return canonical(status ?? {});
}
