// Prometheus metrics: one process-wide registry. Counters and histograms are fed by hooks called
// where things happen (reconciles, host writes, provider calls, probes); gauges that describe
// state (queue depth, clusters by state, records by condition, endpoints published) are computed
// at scrape time from sources the controller binds (sources.ts), so they can never drift from
// what the caches hold. server.ts serves the registry on /metrics, beside /healthz and /readyz.
//
// Hooks for the other parts of mcdns:
//   observeProviderCall(provider, operation, ok, seconds)   direct DNS providers, per API call
//   trackProviderCall(provider, operation, fn)              the same, timing a promise
//   observeProbe(result, seconds)                           active health probes
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

// ---- reconciles and the work queue ----

const reconciles = new Counter({
  name: 'mcdns_reconcile_total',
  help: 'Reconciles of one record, by record kind and result (success, error).',
  labelNames: ['kind', 'result'] as const,
  registers: [registry],
});

const reconcileDuration = new Histogram({
  name: 'mcdns_reconcile_duration_seconds',
  help: 'Time one reconcile of one record took, API writes included.',
  labelNames: ['kind'] as const,
  buckets: durationBuckets,
  registers: [registry],
});

export function observeReconcile(kind: string, ok: boolean, seconds: number): void {
  reconciles.inc({ kind, result: ok ? 'success' : 'error' });
  reconcileDuration.observe({ kind }, seconds);
}

const hostWrites = new Counter({
  name: 'mcdns_host_writes_total',
  help: 'Write requests to the host API server, by resource (dnsendpoints, records, status, events, finalizers), verb and result.',
  labelNames: ['resource', 'verb', 'result'] as const,
  registers: [registry],
});

export function observeHostWrite(resource: string, verb: string, ok: boolean): void {
  hostWrites.inc({ resource, verb, result: ok ? 'success' : 'error' });
}

const events = new Counter({
  name: 'mcdns_events_total',
  help: 'Kubernetes Events recorded on records, by type and reason.',
  labelNames: ['type', 'reason'] as const,
  registers: [registry],
});

export function observeEvent(type: string, reason: string): void {
  events.inc({ type, reason });
}

const eventsRateLimited = new Counter({
  name: 'mcdns_events_rate_limited_total',
  help: 'Events on records not written because the record had used its Event budget (a burst of 25, then one per 5 minutes), by type and reason.',
  labelNames: ['type', 'reason'] as const,
  registers: [registry],
});

export function observeEventRateLimited(type: string, reason: string): void {
  eventsRateLimited.inc({ type, reason });
}

const cleanups = new Counter({
  name: 'mcdns_finalizer_cleanups_total',
  help: 'Attempts to remove a deleted record\'s DNS records from the direct providers before releasing its finalizer, by result.',
  labelNames: ['result'] as const,
  registers: [registry],
});

export function observeCleanup(ok: boolean): void {
  cleanups.inc({ result: ok ? 'success' : 'error' });
}

// ---- direct providers and health probes (hooks for src/apply and src/health) ----

const providerCalls = new Counter({
  name: 'mcdns_provider_requests_total',
  help: 'API calls to direct DNS providers, by provider, operation and result (success, error).',
  labelNames: ['provider', 'operation', 'result'] as const,
  registers: [registry],
});

const providerErrors = new Counter({
  name: 'mcdns_provider_request_errors_total',
  help: 'Failed API calls to direct DNS providers, by provider and operation.',
  labelNames: ['provider', 'operation'] as const,
  registers: [registry],
});

const providerDuration = new Histogram({
  name: 'mcdns_provider_request_duration_seconds',
  help: 'Latency of API calls to direct DNS providers, by provider and operation.',
  labelNames: ['provider', 'operation'] as const,
  buckets: durationBuckets,
  registers: [registry],
});

/** One API call to a DNS provider (e.g. 'powerdns', 'list-zone' | 'apply'). */
export function observeProviderCall(provider: string, operation: string, ok: boolean, seconds: number): void {
  providerCalls.inc({ provider, operation, result: ok ? 'success' : 'error' });
  if (!ok) providerErrors.inc({ provider, operation });
  providerDuration.observe({ provider, operation }, seconds);
}

const providerBatchChanges = new Histogram({
  name: 'mcdns_provider_batch_changes',
  help: 'Changes per batch written to a direct DNS provider zone (one PowerDNS PATCH; etcd transactions or Azure calls of one batch).',
  labelNames: ['provider'] as const,
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000],
  registers: [registry],
});

const providerZoneReads = new Counter({
  name: 'mcdns_provider_zone_reads_total',
  help: 'Whole-zone reads from direct DNS providers, by provider and reason (start, drift, after-failure).',
  labelNames: ['provider', 'reason'] as const,
  registers: [registry],
});

/** One batch of `changes` changes written to a provider zone. */
export function observeProviderBatch(provider: string, changes: number): void {
  providerBatchChanges.observe({ provider }, changes);
}

/** One whole-zone read from a provider. */
export function observeProviderZoneRead(provider: string, reason: string): void {
  providerZoneReads.inc({ provider, reason });
}

/** Runs `fn`, recording it as one provider call; rethrows its error. */
export async function trackProviderCall<T>(provider: string, operation: string, fn: () => Promise<T>): Promise<T> {
  const t0 = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
  try {
    const v = await fn();
    observeProviderCall(provider, operation, true, seconds());
    return v;
  } catch (err) {
    observeProviderCall(provider, operation, false, seconds());
    throw err;
  }
}

const probes = new Counter({
  name: 'mcdns_probe_total',
  help: 'Active health probes of published targets, by result (e.g. healthy, unhealthy, error).',
  labelNames: ['result'] as const,
  registers: [registry],
});

const probeDuration = new Histogram({
  name: 'mcdns_probe_duration_seconds',
  help: 'Duration of active health probes, by result.',
  labelNames: ['result'] as const,
  buckets: durationBuckets,
  registers: [registry],
});

export function observeProbe(result: string, seconds: number): void {
  probes.inc({ result });
  probeDuration.observe({ result }, seconds);
}

const healthTransitions = new Counter({
  name: 'mcdns_health_transitions_total',
  help: 'Health verdict changes of a record\'s targets (once per record sharing the target), by the new verdict (healthy = true, false).',
  labelNames: ['healthy'] as const,
  registers: [registry],
});

export function observeHealthTransition(healthy: boolean): void {
  healthTransitions.inc({ healthy: String(healthy) });
}

// ---- member clusters ----

const heartbeats = new Counter({
  name: 'mcdns_member_heartbeats_total',
  help: 'Reachability checks of member clusters, by cluster and result (ok, failed, discounted = timed out while mcdns\'s own event loop was stalled, so not counted against the member).',
  labelNames: ['cluster', 'result'] as const,
  registers: [registry],
});

export function observeHeartbeat(cluster: string, result: 'ok' | 'failed' | 'discounted'): void {
  heartbeats.inc({ cluster, result });
}

// What a member's watches cost: every event is parsed, but only what a record can use is kept.
const watchEvents = new Counter({
  name: 'mcdns_member_watch_events_total',
  help: 'Watch events from member clusters, by cluster, kind and verdict (kept: an object some record can use, so it is cached; dropped: nothing refers to it, so nothing of it is kept).',
  labelNames: ['cluster', 'kind', 'verdict'] as const,
  registers: [registry],
});

export function observeMemberEvents(cluster: string, kind: string, kept: number, dropped: number): void {
  if (kept > 0) watchEvents.inc({ cluster, kind, verdict: 'kept' }, kept);
  if (dropped > 0) watchEvents.inc({ cluster, kind, verdict: 'dropped' }, dropped);
}

const memberReads = new Counter({
  name: 'mcdns_member_reads_total',
  help: 'Targeted reads of member clusters (a GET or a selected LIST) for objects a record began to need after the watch had dropped them, by cluster, kind and result (ok, error).',
  labelNames: ['cluster', 'kind', 'result'] as const,
  registers: [registry],
});

export function observeMemberRead(cluster: string, kind: string, result: 'ok' | 'error'): void {
  memberReads.inc({ cluster, kind, result });
}

// ---- the event loop ----

// Heartbeats, Lease renewals, watches and /metrics all wait on it: lag here is mcdns being too
// busy, not a slow network.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

new Gauge({
  name: 'mcdns_event_loop_lag_seconds',
  help: 'Event-loop delay since the previous scrape: its maximum (quantile 1) and 99th percentile.',
  labelNames: ['quantile'] as const,
  registers: [registry],
  collect() {
    // The histogram counts in nanoseconds and includes the sampling resolution itself.
    const max = loopDelay.count > 0 ? loopDelay.max / 1e9 : 0;
    const p99 = loopDelay.count > 0 ? loopDelay.percentile(99) / 1e9 : 0;
    this.set({ quantile: '1' }, max);
    this.set({ quantile: '0.99' }, p99);
    loopDelay.reset();
  },
});

// ---- leader election ----

const leader = new Gauge({
  name: 'mcdns_leader',
  help: '1 while this replica holds the leader Lease and may write (always 1 without --leader-elect), else 0.',
  registers: [registry],
});
leader.set(0);

const leaderTransitions = new Counter({
  name: 'mcdns_leader_transitions_total',
  help: 'Times this replica started (started) or stopped (stopped) leading.',
  labelNames: ['transition'] as const,
  registers: [registry],
});

// Renewals wait behind everything else on the event loop: a slow one is the warning before a
// missed renew deadline (which stops this replica writing).
const leaseRenewals = new Histogram({
  name: 'mcdns_lease_renew_duration_seconds',
  help: 'Time one renewal of the leader Lease by its holder took (read and update), by result (success; lost = another holder; error).',
  labelNames: ['result'] as const,
  buckets: durationBuckets,
  registers: [registry],
});

export function observeLeaseRenewal(result: 'success' | 'lost' | 'error', seconds: number): void {
  leaseRenewals.observe({ result }, seconds);
}

export function setLeader(isLeader: boolean): void {
  leader.set(isLeader ? 1 : 0);
  leaderTransitions.inc({ transition: isLeader ? 'started' : 'stopped' });
}
