// The gauges that describe the controller's state (queue depth, clusters by state, records by
// condition, endpoints published), computed at scrape time from the sources the controller
// binds, so they can never drift from what the caches hold. Registered, after metrics.ts's own,
// when this module loads.
import { Gauge } from 'prom-client';
import { registry } from './metrics.js';

interface RecordState {
  kind: string;
  /** The Ready condition: 'True' | 'False', or undefined when the record has none yet. */
  status?: string;
  reason?: string;
}

export interface MetricSources {
  queueDepth(): number;
  /** The state of each member cluster ('online' | 'offline' | 'unknown'). */
  clusterStates(): string[];
  records(): RecordState[];
  /** One entry per DNSEndpoint mcdns keeps: the record kind and its number of endpoints. */
  publishedEndpoints(): Array<{ kind: string; endpoints: number }>;
  /** Each member cluster and its state. */
  clusters(): Array<{ cluster: string; state: string }>;
  /** Objects each member's indexes hold (retained), by kind. */
  objectsIndexed(): Array<{ cluster: string; kind: string; objects: number }>;
  /** Objects each member holds (seen in its lists and watch events, kept or not), by kind. */
  objectsSeen(): Array<{ cluster: string; kind: string; objects: number }>;
  /** Each member's smoothed heartbeat round trip (undefined before the first) and heartbeat timeout, in ms. */
  memberLinks(): Array<{ cluster: string; roundTripMs?: number; heartbeatTimeoutMs: number }>;
  /** Keys being reconciled right now. */
  inFlight(): number;
  /** Each member source (kubeconfig, kubefedclusters) and whether it can be read. */
  memberSources(): Array<{ source: string; available: boolean }>;
}

let sources: Partial<MetricSources> = {};

/** Binds the controller's state to the scrape-time gauges; returns an unbind function. */
export function bindMetricSources(s: Partial<MetricSources>): () => void {
  sources = s;
  return () => {
    if (sources === s) sources = {};
  };
}

new Gauge({
  name: 'mcdns_workqueue_depth',
  help: 'Records waiting to be reconciled.',
  registers: [registry],
  collect() {
    this.set(sources.queueDepth?.() ?? 0);
  },
});

const CLUSTER_STATES = ['online', 'offline', 'unknown'];

new Gauge({
  name: 'mcdns_workqueue_in_flight',
  help: 'Records being reconciled right now.',
  registers: [registry],
  collect() {
    this.set(sources.inFlight?.() ?? 0);
  },
});

new Gauge({
  name: 'mcdns_cluster_state',
  help: 'State of each member cluster: 1 for its current state (online, offline, unknown), 0 for the others.',
  labelNames: ['cluster', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const c of sources.clusters?.() ?? []) {
      for (const s of CLUSTER_STATES) this.set({ cluster: c.cluster, state: s }, c.state === s ? 1 : 0);
    }
  },
});

new Gauge({
  name: 'mcdns_member_objects_indexed',
  help: 'Objects held in the indexes of each member cluster, by kind (Ingress, Service = LoadBalancer Services, EndpointSlice, Node).',
  labelNames: ['cluster', 'kind'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const c of sources.objectsIndexed?.() ?? []) this.set({ cluster: c.cluster, kind: c.kind }, c.objects);
  },
});
new Gauge({
  name: 'mcdns_member_objects_seen',
  help: 'Objects each member cluster holds, by kind, as its lists and watch events tell (kept or not): against mcdns_member_objects_indexed, how much of a member mcdns keeps.',
  labelNames: ['cluster', 'kind'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const c of sources.objectsSeen?.() ?? []) this.set({ cluster: c.cluster, kind: c.kind }, c.objects);
  },
});

new Gauge({
  name: 'mcdns_member_round_trip_seconds',
  help: "Smoothed round trip of each member cluster's heartbeats (RFC 6298's SRTT), measured while mcdns's own event loop was free.",
  labelNames: ['cluster'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const l of sources.memberLinks?.() ?? []) if (l.roundTripMs !== undefined) this.set({ cluster: l.cluster }, l.roundTripMs / 1000);
  },
});

new Gauge({
  name: 'mcdns_member_heartbeat_timeout_seconds',
  help: "The timeout of each member cluster's next heartbeat: 3 s, or 3 × (smoothed round trip + 4 × its variation) when that is longer, at most half --offline-grace.",
  labelNames: ['cluster'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const l of sources.memberLinks?.() ?? []) this.set({ cluster: l.cluster }, l.heartbeatTimeoutMs / 1000);
  },
});

new Gauge({
  name: 'mcdns_clusters',
  help: 'Member clusters by state (online, offline, unknown = not synced yet).',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    const states = sources.clusterStates?.() ?? [];
    this.reset();
    for (const s of new Set([...CLUSTER_STATES, ...states])) this.set({ state: s }, states.filter((x) => x === s).length);
  },
});

new Gauge({
  name: 'mcdns_records',
  help: 'IngressDNSRecords, ServiceDNSRecords and RouteDNSRecords by the status and reason of their Ready condition (Unknown: not reconciled yet).',
  labelNames: ['kind', 'condition', 'status', 'reason'] as const,
  registers: [registry],
  collect() {
    this.reset();
    const counts = new Map<string, { kind: string; status: string; reason: string; n: number }>();
    for (const r of sources.records?.() ?? []) {
      const status = r.status ?? 'Unknown';
      const reason = r.reason ?? '';
      const k = `${r.kind}|${status}|${reason}`;
      const c = counts.get(k) ?? { kind: r.kind, status, reason, n: 0 };
      c.n++;
      counts.set(k, c);
    }
    for (const c of counts.values()) this.set({ kind: c.kind, condition: 'Ready', status: c.status, reason: c.reason }, c.n);
  },
});

new Gauge({
  name: 'mcdns_endpoints_published',
  help: 'Endpoints (DNS name + type) in the DNSEndpoints mcdns keeps, by record kind.',
  labelNames: ['kind'] as const,
  registers: [registry],
  collect() {
    this.reset();
    const totals = new Map<string, number>([
      ['IngressDNSRecord', 0],
      ['ServiceDNSRecord', 0],
      ['RouteDNSRecord', 0],
    ]);
    for (const p of sources.publishedEndpoints?.() ?? []) totals.set(p.kind, (totals.get(p.kind) ?? 0) + p.endpoints);
    for (const [kind, n] of totals) this.set({ kind }, n);
  },
});

new Gauge({
  name: 'mcdns_member_source_available',
  help: 'Whether each source of member clusters can be read: 1, or 0 while it cannot (e.g. the KubeFedCluster CRD or its namespace does not exist).',
  labelNames: ['source'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const s of sources.memberSources?.() ?? []) this.set({ source: s.source }, s.available ? 1 : 0);
  },
});
