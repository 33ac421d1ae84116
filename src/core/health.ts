// Health-aware choice of the targets of one DNS name. Pure: the prober's verdicts, the cluster
// observations and the endpoints published now come in as arguments; the choice, and the words
// that explain it, come out. The memory fail-open needs ("the last healthy set") is an explicit
// input, the endpoints published now, so a restarted controller decides as the one before it.
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
//
// Strategies (spec.strategy, default roundRobin):
//   roundRobin        every healthy target of the name;
//   failover          clusters ordered by spec.failoverPriority (unlisted ones after, by name);
//                     the healthy targets of the first cluster that has any;
//   region-preferred  (ServiceDNSRecord) like roundRobin within a name, but a zonal or regional
//                     name whose targets are all unhealthy answers with the level up's targets
//                     (zone → region → global), so its clients move to healthy capacity.
//
// Fail-open (default on; docs/health-checks.md "Fail-open" is the one statement of the rule): it
// applies only when no level of a record has a healthy target (an Ingress host's own targets; a
// Service's global name, which holds every target). Then a name keeps the set it served before
// the collapse: the targets whose unhealthy verdicts began within one detection window
// (intervalSeconds × failureThreshold) of the last one's are one correlated failure, and the
// name publishes what its strategy would choose were they healthy (all of them for roundRobin;
// the first cluster's for failover). Targets going down a few milliseconds apart therefore keep
// the whole set, not the last survivor. Built from the verdicts' `since`, which status.health
// persists, it decides the same after a restart. Without any `since`, the targets published
// now are kept; a top-level name with nothing to keep publishes all its targets. A zonal or
// regional name whose targets are all unhealthy while the record still has a healthy target
// falls back to the level up (desired.ts: its records, not a CNAME), as KubeFed did.
import type { ClusterHealthStatus, Endpoint, LoadBalancerIngress, RecordHealthStatus, TargetHealthStatus } from '../api/schema.js';
import { classifyTarget, compareText, normaliseHostname, type LoadBalancerAddress } from './targets.js';

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

export const NO_PROBES: HealthView = { target: () => undefined };

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

/** One usable load-balancer address of one cluster, with its combined health. */
export interface Candidate {
  cluster: string;
  /** Canonical form (RFC 5952 IPv6, lower-case hostname without trailing dot). */
  target: string;
  /** The address as observed, for endpointsForName. */
  address: LoadBalancerAddress;
  healthy: boolean;
  since?: string;
  problem?: string;
  /** True when the active probes (not the cluster) made it unhealthy. */
  probeFailed: boolean;
  /** The probe policy refuses the address: never published, whatever its health. */
  refused?: boolean;
}

/** A cluster's addresses split into candidates and values that are no address at all. */
export interface TargetPool {
  candidates: Candidate[];
  /** Unusable values of healthy clusters, passed on so endpointsForName can say they were ignored. */
  unusable: LoadBalancerAddress[];
}

/** What the prober should probe for a record: one entry per distinct address. */
export interface ProbeTarget {
  address: string;
  cluster: string;
  /** Default Host header / TLS server name (the record's host, or the Service's global name). */
  host?: string;
}

/**
 * off: a name with no healthy target publishes nothing (its caller may fall back to a CNAME);
 * keep-last: it keeps its published targets that still exist;
 * keep-last-or-all: same, and with nothing to keep it publishes all its targets.
 */
export type FailOpenMode = 'off' | 'keep-last' | 'keep-last-or-all';

export interface SelectOptions {
  strategy: Strategy;
  priority: readonly string[];
  failOpen: FailOpenMode;
  /** Targets published now under this name. */
  previous: ReadonlySet<string>;
  /** Unhealthy verdicts that began within this many ms of the last one are one correlated failure. */
  windowMs?: number;
}

/** The detection window with HEALTH_CHECK_DEFAULTS (5 s × 3), for records without spec.healthCheck. */
export const DEFAULT_CORRELATION_WINDOW_MS = 15_000;

/** intervalSeconds × failureThreshold of a record's healthCheck (defaults 5 and 3). */
export function correlationWindowMs(check: { intervalSeconds?: number; failureThreshold?: number } | undefined): number {
  if (check === undefined) return DEFAULT_CORRELATION_WINDOW_MS;
  return (check.intervalSeconds ?? 5) * (check.failureThreshold ?? 3) * 1000;
}

export interface Selection {
  chosen: Candidate[];
  /** healthy: normal; failover: a lower-priority cluster serves; fail-open: unhealthy targets kept; none: nothing healthy. */
  outcome: 'healthy' | 'failover' | 'fail-open' | 'none' | 'empty';
  /** Single-line explanations for the Ready message. */
  notes: string[];
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
    (input?.recordedTargets ?? []).map((t) => classifyTarget(t)?.target ?? normaliseHostname(t)),
  );
  return {
    strategy: spec.strategy ?? 'roundRobin',
    priority: spec.failoverPriority ?? [],
    // Without a health input there is no memory, so there is nothing to keep open.
    failOpen: input !== undefined && input.failOpen !== false,
    probes: input?.probes ?? NO_PROBES,
    previous: (name) => published.get(normaliseHostname(name)) ?? recorded,
    windowMs: correlationWindowMs(spec.healthCheck),
    evaluated: input !== undefined,
  };
}

/** dnsName → the targets published under it now, in canonical form. */
export function publishedTargets(endpoints: Endpoint[]): Map<string, Set<string>> {
  const byName = new Map<string, Set<string>>();
  for (const e of endpoints) {
    const name = normaliseHostname(e.dnsName);
    const set = byName.get(name) ?? new Set<string>();
    for (const t of e.targets) set.add(classifyTarget(t)?.target ?? normaliseHostname(t));
    byName.set(name, set);
  }
  return byName;
}

/** Clusters in failover order: the listed ones in their order, then the others by name. */
export function clusterOrder(clusters: Iterable<string>, priority: readonly string[]): string[] {
  const present = new Set(clusters);
  const listed = [...new Set(priority)].filter((c) => present.has(c));
  const rest = [...present].filter((c) => !listed.includes(c)).sort(compareText);
  return [...listed, ...rest];
}

/**
 * Splits one cluster's load-balancer entries into candidates with their combined health.
 * Order is kept (entry by entry, ip before hostname), so messages stay deterministic.
 */
export function targetPool(cluster: ClusterHealth, loadBalancer: LoadBalancerIngress[], probes: HealthView): TargetPool {
  const pool: TargetPool = { candidates: [], unusable: [] };
  for (const entry of loadBalancer) {
    for (const field of ['ip', 'hostname'] as const) {
      const value = entry[field];
      if (value === undefined || value === '') continue;
      const address: LoadBalancerAddress = { cluster: cluster.cluster, [field]: value };
      const classified = classifyTarget(value);
      if (classified === undefined) {
        if (cluster.healthy) pool.unusable.push(address);
        continue;
      }
      pool.candidates.push(candidate(cluster, classified.target, address, probes));
    }
  }
  return pool;
}

function candidate(cluster: ClusterHealth, target: string, address: LoadBalancerAddress, probes: HealthView): Candidate {
  const base = { cluster: cluster.cluster, target, address };
  if (!cluster.healthy) {
    return { ...base, healthy: false, probeFailed: false, ...opt('since', cluster.since), ...opt('problem', cluster.problem) };
  }
  const probe = probes.target(target);
  if (probe?.refused) {
    return { ...base, healthy: false, probeFailed: true, refused: true, since: probe.since, problem: probe.lastError ?? 'probe refused' };
  }
  if (probe !== undefined && !probe.healthy) {
    return { ...base, healthy: false, probeFailed: true, since: probe.since, problem: probe.lastError ?? 'failing health checks' };
  }
  return { ...base, healthy: true, probeFailed: false, ...opt('since', probe?.since ?? cluster.since) };
}

function opt<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/** The candidates to publish under one name; see the rules at the top of this file. */
export function selectTargets(name: string, all: Candidate[], opts: SelectOptions): Selection {
  const candidates = all.filter((c) => !c.refused);
  if (candidates.length === 0) return { chosen: [], outcome: 'empty', notes: [] };
  const healthy = candidates.filter((c) => c.healthy);
  if (opts.strategy === 'failover') {
    const order = clusterOrder(candidates.map((c) => c.cluster), opts.priority);
    const serving = order.find((cluster) => healthy.some((c) => c.cluster === cluster));
    if (serving !== undefined) {
      const chosen = healthy.filter((c) => c.cluster === serving);
      if (serving === order[0]) return { chosen, outcome: 'healthy', notes: [] };
      const skipped = order.slice(0, order.indexOf(serving));
      const note = `${name}: failover to cluster ${serving} (no healthy target in ${skipped.join(', ')})`;
      return { chosen, outcome: 'failover', notes: [note] };
    }
  } else if (healthy.length > 0) {
    return { chosen: healthy, outcome: 'healthy', notes: [] };
  }
  return keepOpen(name, candidates, opts);
}

function keepOpen(name: string, candidates: Candidate[], opts: SelectOptions): Selection {
  if (opts.failOpen === 'off') return { chosen: [], outcome: 'none', notes: [] };
  const correlated = correlatedFailure(candidates, opts);
  let chosen: Candidate[] = [];
  let why = '';
  if (correlated.length > 0) {
    // What the strategy chose just before the collapse: the correlated targets as if healthy.
    const before = selectTargets(name, candidates.map((c) => (correlated.includes(c) ? { ...c, healthy: true } : c)), {
      ...opts,
      failOpen: 'off',
    });
    chosen = before.chosen.map((c) => candidates.find((x) => x.cluster === c.cluster && x.target === c.target) ?? c);
    why =
      correlated.length > 1
        ? `one failure: unhealthy within ${seconds(opts.windowMs ?? DEFAULT_CORRELATION_WINDOW_MS)} of each other`
        : 'the last to fail';
  }
  if (chosen.length === 0) {
    chosen = candidates.filter((c) => opts.previous.has(c.target));
    why = 'the set published now';
  }
  if (chosen.length === 0 && opts.failOpen === 'keep-last-or-all') {
    const first = opts.strategy === 'failover' ? clusterOrder(candidates.map((c) => c.cluster), opts.priority)[0] : undefined;
    chosen = first === undefined ? candidates : candidates.filter((c) => c.cluster === first);
    why = first === undefined ? 'nothing to keep: every target' : `nothing to keep: the first cluster, ${first}`;
  }
  if (chosen.length === 0) return { chosen: [], outcome: 'none', notes: [] };
  const targets = [...new Set(chosen.map((c) => c.target))];
  const note = `${name}: every target is unhealthy; fail-open keeps publishing ${shortList(targets)} (${why})`;
  return { chosen, outcome: 'fail-open', notes: [note] };
}

/**
 * The candidates whose unhealthy verdicts began within one window of the latest one: one
 * correlated failure (a partition, a broken probe path, an outage that hit them all). A
 * candidate without a `since` joins only if it is published now. Deterministic: only verdict
 * times are read, never the clock.
 */
function correlatedFailure(candidates: Candidate[], opts: SelectOptions): Candidate[] {
  const at = (c: Candidate) => (c.since === undefined ? NaN : Date.parse(c.since));
  const times = candidates.map(at).filter((t) => Number.isFinite(t));
  if (times.length === 0) return [];
  const last = Math.max(...times);
  const window = opts.windowMs ?? DEFAULT_CORRELATION_WINDOW_MS;
  return candidates.filter((c) => {
    const t = at(c);
    return Number.isFinite(t) ? t >= last - window : opts.previous.has(c.target);
  });
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/**
 * Where a name sits: `top` (an Ingress host, a Service's global name); `located` (a zonal or
 * regional name) while the record has no healthy target at any level; `below-healthy` (a zonal
 * or regional name) while the level above still has one, so it falls back instead of failing open.
 */
export type NameLevel = 'top' | 'located' | 'below-healthy';

/** The fail-open mode of a name: top-level names may publish everything, located ones fall back. */
export function failOpenMode(policy: HealthPolicy, level: NameLevel): FailOpenMode {
  if (!policy.failOpen) return 'off';
  if (level === 'top') return 'keep-last-or-all';
  if (level === 'below-healthy') return 'off';
  return policy.strategy === 'region-preferred' ? 'off' : 'keep-last';
}

export function selectFor(name: string, pool: TargetPool, policy: HealthPolicy, level: NameLevel): Selection {
  return selectTargets(name, pool.candidates, {
    strategy: policy.strategy,
    priority: policy.priority,
    failOpen: failOpenMode(policy, level),
    previous: policy.previous(name),
    windowMs: policy.windowMs,
  });
}

export function mergePools(pools: TargetPool[]): TargetPool {
  return { candidates: pools.flatMap((p) => p.candidates), unusable: pools.flatMap((p) => p.unusable) };
}

/** The addresses to hand to endpointsForName: the chosen ones, and unusable values for their note. */
export function addressesToPublish(selection: Selection, pool: TargetPool): LoadBalancerAddress[] {
  return [...selection.chosen.map((c) => c.address), ...pool.unusable];
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

/** One entry per distinct address, with the default Host header it should be probed with. */
export function probeTargetsOf(named: { host?: string; candidates: Candidate[] }[]): ProbeTarget[] {
  const byAddress = new Map<string, ProbeTarget>();
  for (const { host, candidates } of named) {
    for (const c of candidates) {
      // Refused addresses are tracked too: the prober checks them again (a hostname's addresses
      // change) without ever connecting to a refused one.
      if (byAddress.has(c.target)) continue;
      byAddress.set(c.target, { address: c.target, cluster: c.cluster, ...(host === undefined ? {} : { host }) });
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

function shortList(items: string[], max = 4): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, …`;
}
