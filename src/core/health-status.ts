// What a record's health-aware choice reports: status.health, the Ready message's probe notes,
// and the addresses the prober should probe for the record. Pure.
import type { ClusterHealthStatus, RecordHealthStatus, TargetHealthStatus } from '../api/schema.js';
import { opt, type ClusterHealth } from './health-input.js';
import type { Candidate } from './target-selection.js';
import { compareText } from './targets.js';

/** What the prober should probe for a record: one entry per distinct address. */
export interface ProbeTarget {
  address: string;
  cluster: string;
  /** Default Host header / TLS server name (the record's host, or the Service's global name). */
  host?: string;
  /** Every name the address serves, in order of preference (`host` first). */
  names?: string[];
}

/** "<cluster>: <target> failing health checks since <time>: <error>", once per cluster and target. */
export function probeProblems(candidates: Candidate[]): string[] {
  const seen = new Set<string>();
  const notes: string[] = [];
  for (const c of candidates) {
    const key = `${c.cluster}|${c.target}`;
    if (!c.probeFailed || seen.has(key)) continue;
    seen.add(key);
    if (c.refused) {
      notes.push(`${c.cluster}: ${c.target} not published: ${c.problem ?? 'probe refused'}`);
      continue;
    }
    const since = c.since ? ` since ${c.since}` : '';
    notes.push(`${c.cluster}: ${c.target} failing health checks${since}: ${c.problem ?? 'unknown error'}`);
  }
  return notes;
}

/**
 * One entry per distinct address, with the default Host header it should be probed with and
 * every name it serves (the reconciler keeps a Host the record may publish).
 */
export function probeTargetsOf(named: { host?: string; candidates: Candidate[] }[]): ProbeTarget[] {
  const byAddress = new Map<string, ProbeTarget>();
  for (const { host, candidates } of named) {
    for (const c of candidates) {
      // Refused addresses are tracked too: the prober checks them again (a hostname's addresses
      // change) without ever connecting to a refused one.
      const known = byAddress.get(c.target);
      if (known) {
        if (host !== undefined && !known.names?.includes(host)) known.names = [...(known.names ?? []), host];
        continue;
      }
      byAddress.set(c.target, { address: c.target, cluster: c.cluster, ...(host === undefined ? {} : { host, names: [host] }) });
    }
  }
  return [...byAddress.values()].sort((a, b) => compareText(a.cluster, b.cluster) || compareText(a.address, b.address));
}

/** status.health: clusters by name, targets by cluster then target, names kept open. */
export function recordHealth(
  clusters: ClusterHealth[],
  candidates: Candidate[],
  published: ReadonlySet<string>,
  failOpenNames: string[],
): RecordHealthStatus {
  const clusterStatus: ClusterHealthStatus[] = [...clusters]
    .sort((a, b) => compareText(a.cluster, b.cluster))
    .map((c) => ({
      cluster: c.cluster,
      healthy: c.healthy,
      ...opt('since', c.since),
      ...(c.healthy ? {} : opt('lastError', c.problem)),
    }));
  const targets = new Map<string, TargetHealthStatus>();
  for (const c of candidates) {
    const key = `${c.cluster}|${c.target}`;
    if (targets.has(key)) continue;
    targets.set(key, {
      target: c.target,
      cluster: c.cluster,
      healthy: c.healthy,
      published: published.has(c.target),
      ...opt('since', c.since),
      ...(c.healthy ? {} : opt('lastError', c.problem)),
    });
  }
  const targetStatus = [...targets.values()].sort((a, b) => compareText(a.cluster, b.cluster) || compareText(a.target, b.target));
  const failOpen = [...new Set(failOpenNames)].sort(compareText);
  return {
    ...(clusterStatus.length > 0 ? { clusters: clusterStatus } : {}),
    ...(targetStatus.length > 0 ? { targets: targetStatus } : {}),
    ...(failOpen.length > 0 ? { failOpen } : {}),
  };
}

/**
 * The next status with status.health set from a reconcile's result; without one (an invalid spec
 * publishes nothing new) the current health stays, as status.dns does.
 */
export function withHealthStatus<S extends object>(
  next: S,
  health: RecordHealthStatus | undefined,
  current?: { health?: RecordHealthStatus },
): S & { health?: RecordHealthStatus } {
  const value = health ? keepSince(health, current?.health) : current?.health;
  return value === undefined ? next : { ...next, health: value };
}

/**
 * An entry whose verdict did not change keeps the `since` already in status. The prober's own
 * `since` is when this replica first saw the verdict, so without this every restart or leader
 * takeover would rewrite every record's status once, with nothing having changed.
 */
function keepSince(health: RecordHealthStatus, before: RecordHealthStatus | undefined): RecordHealthStatus {
  const merge = <T extends { healthy: boolean; since?: string }>(now: T[] | undefined, old: T[] | undefined, id: (e: T) => string) =>
    now?.map((e) => {
      const o = old?.find((x) => id(x) === id(e));
      return o?.since && o.healthy === e.healthy ? { ...e, since: o.since } : e;
    });
  const clusters = merge(health.clusters, before?.clusters, (c) => c.cluster);
  const targets = merge(health.targets, before?.targets, (t) => `${t.cluster}/${t.target}`);
  return { ...health, ...(clusters ? { clusters } : {}), ...(targets ? { targets } : {}) };
}
