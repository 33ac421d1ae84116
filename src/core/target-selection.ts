// Health-aware choice of the targets of one DNS name. Pure: the prober's verdicts, the cluster
// observations and the endpoints published now come in as arguments (health-input.ts); the
// choice, and the words that explain it, come out. The memory fail-open needs ("the last healthy
// set") is an explicit input, the endpoints published now, so a restarted controller decides as
// the one before it.
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
// falls back to the level up (desired-service.ts: its records, not a CNAME), as KubeFed did.
import type { LoadBalancerIngress } from '../api/schema.js';
import {
  DEFAULT_CORRELATION_WINDOW_MS,
  opt,
  type ClusterHealth,
  type HealthPolicy,
  type HealthView,
  type Strategy,
} from './health-input.js';
import { classifyTarget, compareText, type LoadBalancerAddress } from './targets.js';

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

/**
 * off: a name with no healthy target publishes nothing (its caller may fall back to a CNAME);
 * keep-last: it keeps its published targets that still exist;
 * keep-last-or-all: same, and with nothing to keep it publishes all its targets.
 */
type FailOpenMode = 'off' | 'keep-last' | 'keep-last-or-all';

export interface SelectOptions {
  strategy: Strategy;
  priority: readonly string[];
  failOpen: FailOpenMode;
  /** Targets published now under this name. */
  previous: ReadonlySet<string>;
  /** Unhealthy verdicts that began within this many ms of the last one are one correlated failure. */
  windowMs?: number;
}

export interface Selection {
  chosen: Candidate[];
  /** healthy: normal; failover: a lower-priority cluster serves; fail-open: unhealthy targets kept; none: nothing healthy. */
  outcome: 'healthy' | 'failover' | 'fail-open' | 'none' | 'empty';
  /** Single-line explanations for the Ready message. */
  notes: string[];
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
function failOpenMode(policy: HealthPolicy, level: NameLevel): FailOpenMode {
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

function shortList(items: string[], max = 4): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, …`;
}
