// What a record's health-aware choice starts from: the prober's verdicts (or those status.health
// recorded), the record's health settings and the endpoints published now. Pure. The choice
// itself is in target-selection.ts; what it reports, in health-status.ts.
//
// A target is one load-balancer address of one member cluster. It is healthy when
//   - its cluster is online (reachability, from the member observer),
//   - for a ServiceDNSRecord, the Service has ready endpoints or allowServiceWithoutEndpoints
//     (passive readiness), and
//   - its active probes have not failed failureThreshold times in a row since they last
//     succeeded successThreshold times (the prober's state machine, src/health/state.ts).
// A target without a probe verdict yet counts as healthy: a new target never empties DNS before a
// probe has spoken. A restarted or newly elected controller is not "without a verdict": it starts
// from the verdicts the record's status.health recorded (recordedVerdicts).
import type { Endpoint, RecordHealthStatus } from '../api/schema.js';
import { classifyTarget } from './targets.js';
import { normaliseName } from './names.js';

export type Strategy = 'roundRobin' | 'failover' | 'region-preferred';

/** The active-probe verdict of one address, as the prober reports it. */
export interface ProbeHealth {
  healthy: boolean;
  /** ISO time of the last transition. */
  since: string;
  /** Why the probes failed; present while unhealthy. */
  lastError?: string;
  /**
   * The probe policy refuses this address (or has not yet checked what a hostname resolves to):
   * it is neither probed nor published, and fail-open never brings it back.
   */
  refused?: boolean;
}

/** What the core reads from the prober for one record; undefined: not probed, or no verdict yet. */
export interface HealthView {
  target(address: string): ProbeHealth | undefined;
}

const NO_PROBES: HealthView = { target: () => undefined };

/**
 * The probe verdicts a record's status.health implies, for a process that has not probed yet (a
 * restart, a new leader). Only targets whose cluster was healthy are taken: a target that was
 * unhealthy because its cluster was offline or had no ready endpoints owes that to the cluster,
 * not to its probes. Without a `since` nothing is taken (the rule of fail-open needs it).
 */
export function recordedVerdicts(health: RecordHealthStatus | undefined): HealthView {
  const sick = new Set((health?.clusters ?? []).filter((c) => !c.healthy).map((c) => c.cluster));
  const verdicts = new Map<string, ProbeHealth>();
  for (const t of health?.targets ?? []) {
    if (t.since === undefined || sick.has(t.cluster)) continue;
    const before = verdicts.get(t.target);
    // One address listed under two clusters: unhealthy wins, it is the cautious reading.
    if (before && !before.healthy) continue;
    verdicts.set(t.target, { healthy: t.healthy, since: t.since, ...(t.healthy ? {} : opt('lastError', t.lastError)) });
  }
  return { target: (address) => verdicts.get(address) };
}

/** The prober's verdict where it has one, else the recorded one. */
export function withRecorded(probes: HealthView, recorded: HealthView): HealthView {
  return { target: (address) => probes.target(address) ?? recorded.target(address) };
}

/** The optional health input of desiredForIngressRecord / desiredForServiceRecord. */
export interface HealthInput {
  /** The prober's view of this record (Prober.health(recordKey)); absent: no active probes. */
  probes?: HealthView;
  /** Keep the last published targets of a name whose targets are all unhealthy (default true). */
  failOpen?: boolean;
  /**
   * The endpoints published now for this record: the live DNSEndpoint's spec.endpoints (or the
   * provider's records of the record's names). Fail-open keeps these when verdict times say nothing.
   */
  published?: Endpoint[];
  /**
   * The record's status.targets: what was published when the status was last written. Stands in
   * for `published` of a name it says nothing about (no DNSEndpoint, and a process that has not
   * published yet: --no-dnsendpoints after a restart).
   */
  recordedTargets?: string[];
  /**
   * TTL in seconds of names whose targets are health-checked and whose record sets no recordTTL
   * (--health-checked-ttl; default 30, 0: KubeFed's 180 like any other name). See ttl.ts.
   */
  healthCheckedTtl?: number;
}

/** Health of a member cluster as a record sees it: reachability, and readiness for Services. */
export interface ClusterHealth {
  cluster: string;
  healthy: boolean;
  since?: string;
  /** Why not healthy, worded for the status. */
  problem?: string;
}

/** The detection window with HEALTH_CHECK_DEFAULTS (5 s × 3), for records without spec.healthCheck. */
export const DEFAULT_CORRELATION_WINDOW_MS = 15_000;

/** intervalSeconds × failureThreshold of a record's healthCheck (defaults 5 and 3). */
export function correlationWindowMs(check: { intervalSeconds?: number; failureThreshold?: number } | undefined): number {
  if (check === undefined) return DEFAULT_CORRELATION_WINDOW_MS;
  return (check.intervalSeconds ?? 5) * (check.failureThreshold ?? 3) * 1000;
}

/** The health settings of one record, resolved once per reconcile. */
export interface HealthPolicy {
  strategy: Strategy;
  priority: readonly string[];
  failOpen: boolean;
  probes: HealthView;
  previous(name: string): ReadonlySet<string>;
  /** See SelectOptions.windowMs. */
  windowMs: number;
  /** Whether a health input was given: only then do the new status fields and notes appear. */
  evaluated: boolean;
}

export function healthPolicy(
  spec: { strategy?: Strategy; failoverPriority?: string[]; healthCheck?: { intervalSeconds?: number; failureThreshold?: number } },
  input: HealthInput | undefined,
): HealthPolicy {
  const published = publishedTargets(input?.published ?? []);
  const recorded: ReadonlySet<string> = new Set(
    (input?.recordedTargets ?? []).map((t) => classifyTarget(t)?.target ?? normaliseName(t)),
  );
  return {
    strategy: spec.strategy ?? 'roundRobin',
    priority: spec.failoverPriority ?? [],
    // Without a health input there is no memory, so there is nothing to keep open.
    failOpen: input !== undefined && input.failOpen !== false,
    probes: input?.probes ?? NO_PROBES,
    previous: (name) => published.get(normaliseName(name)) ?? recorded,
    windowMs: correlationWindowMs(spec.healthCheck),
    evaluated: input !== undefined,
  };
}

/** dnsName → the targets published under it now, in canonical form. */
export function publishedTargets(endpoints: Endpoint[]): Map<string, Set<string>> {
  const byName = new Map<string, Set<string>>();
  for (const e of endpoints) {
    const name = normaliseName(e.dnsName);
    const set = byName.get(name) ?? new Set<string>();
    for (const t of e.targets) set.add(classifyTarget(t)?.target ?? normaliseName(t));
    byName.set(name, set);
  }
  return byName;
}

/** `{ [key]: value }`, or `{}` when value is undefined: an optional field set only when known. */
export function opt<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
