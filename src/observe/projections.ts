// What one member cluster holds that DNS can use, kept as small projections and indexed the way
// reconciles ask for it: Ingresses by namespace/name and by host, LoadBalancer Services by
// namespace/name, ready endpoints per Service, and node topology as counts per zone and region.
// Each informer event updates it in O(size of that object); a record's view of the cluster is
// O(Ingresses that serve its hosts), whatever the cluster holds in total.
import type { ObservedIngress, ObservedService } from '../core/observation.js';
import { normaliseHostname } from '../core/targets.js';
import { REGION_LABELS, ZONE_LABELS, ingressOf, loadBalancerOf, objectKey, readyEndpointIds, sliceServiceOf, type Topology } from './reduce.js';
import type { LoadBalancerIngress } from '../api/schema.js';

/** What a record asks of a cluster: its own namespace/name and, for an IngressDNSRecord, its hosts (normalised). */
export interface RecordQuery {
  kind: 'IngressDNSRecord' | 'ServiceDNSRecord';
  namespace: string;
  name: string;
  hosts?: readonly string[];
}

/** A LoadBalancer Service without its ready endpoint count (which comes from EndpointSlices). */
export interface ServiceProjection {
  namespace: string;
  name: string;
  loadBalancer: LoadBalancerIngress[];
}

/** One EndpointSlice: the Service it belongs to and the identities of its ready endpoints. */
export interface SliceProjection {
  service?: string;
  ready: string[];
}

/** One node: its zone and region labels. */
export interface NodeProjection {
  zone?: string;
  region?: string;
}

export const key = (namespace: string, name: string): string => `${namespace}/${name}`;

function sameLoadBalancer(a: readonly LoadBalancerIngress[], b: readonly LoadBalancerIngress[]): boolean {
  return a.length === b.length && a.every((e, i) => e.ip === b[i]?.ip && e.hostname === b[i]?.hostname);
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function bump(counts: Map<string, number>, k: string | undefined, by: number): void {
  if (!k) return;
  const n = (counts.get(k) ?? 0) + by;
  if (n > 0) counts.set(k, n);
  else counts.delete(k);
}

/** Projections of each kind, as the informer transform makes them from whole objects. */
export const project = {
  ingress: (o: unknown): ObservedIngress | undefined => ingressOf(o),
  service: (o: unknown): ServiceProjection | undefined => {
    const id = objectKey(o);
    const type = (o as { spec?: { type?: unknown } } | undefined)?.spec?.type;
    return id && type === 'LoadBalancer' ? { namespace: id.namespace, name: id.name, loadBalancer: loadBalancerOf(o) } : undefined;
  },
  slice: (o: unknown): SliceProjection => {
    const svc = sliceServiceOf(o);
    return { ...(svc ? { service: key(svc.namespace, svc.name) } : {}), ready: readyEndpointIds(o) };
  },
  node: (o: unknown): NodeProjection => {
    const labels = ((o as { metadata?: { labels?: Record<string, unknown> } } | undefined)?.metadata?.labels ?? {}) as Record<string, unknown>;
    const first = (keys: readonly string[]) => keys.map((k) => labels[k]).find((v): v is string => typeof v === 'string' && v !== '');
    const zone = first(ZONE_LABELS);
    const region = first(REGION_LABELS);
    return { ...(zone ? { zone } : {}), ...(region ? { region } : {}) };
  },
};

export class ClusterIndex {
  private readonly ingresses = new Map<string, ObservedIngress>();
  /**
   * Normalised host → the Ingress ("namespace/name") that lists it, or a Set when several do.
   * Most hosts have one Ingress per cluster; a Set for each would be most of the index's memory.
   */
  private readonly ingressesByHost = new Map<string, string | Set<string>>();
  private readonly services = new Map<string, ServiceProjection>();
  private readonly slices = new Map<string, SliceProjection>();
  /** Service "namespace/name" → its slices ("namespace/name" of the slice). */
  private readonly slicesByService = new Map<string, Set<string>>();
  private readonly readyCounts = new Map<string, number>();
  private readonly nodes = new Map<string, NodeProjection>();
  private readonly zoneCounts = new Map<string, number>();
  private readonly regionCounts = new Map<string, number>();
  /** Backend Service "namespace/name" → the Ingresses ("namespace/name") that route to it. */
  private readonly ingressesByBackend = new Map<string, Set<string>>();

  /**
   * Sets (or, with undefined, removes) an Ingress. Returns the normalised hosts it had before and
   * has now when anything DNS reads changed, else undefined.
   */
  setIngress(k: string, next: ObservedIngress | undefined): { hosts: string[] } | undefined {
    const before = this.ingresses.get(k);
    if (
      before &&
      next &&
      sameStrings(before.hosts, next.hosts) &&
      sameLoadBalancer(before.loadBalancer, next.loadBalancer) &&
      sameStrings(before.backends ?? [], next.backends ?? [])
    ) {
      return undefined;
    }
    if (!before && !next) return undefined;
    for (const b of before?.backends ?? []) this.unindexBackend(key(before!.namespace, b), k);
    for (const b of next?.backends ?? []) this.indexBackend(key(next!.namespace, b), k);
    const hosts = new Set<string>();
    for (const h of before?.hosts ?? []) {
      const n = normaliseHostname(h);
      hosts.add(n);
      this.unindexHost(n, k);
    }
    if (next) {
      this.ingresses.set(k, next);
      for (const h of next.hosts) {
        const n = normaliseHostname(h);
        hosts.add(n);
        this.indexHost(n, k);
      }
    } else {
      this.ingresses.delete(k);
    }
    return { hosts: [...hosts].sort() };
  }

  /** Sets or removes a LoadBalancer Service; true when what DNS reads changed. */
  setService(k: string, next: ServiceProjection | undefined): boolean {
    const before = this.services.get(k);
    if (before && next && sameLoadBalancer(before.loadBalancer, next.loadBalancer)) return false;
    if (!before && !next) return false;
    if (next) this.services.set(k, next);
    else this.services.delete(k);
    return true;
  }

  /** Sets or removes an EndpointSlice; returns the Services whose ready endpoint count changed. */
  setSlice(k: string, next: SliceProjection | undefined): string[] {
    const before = this.slices.get(k);
    const touched = new Set<string>();
    if (before?.service) {
      const set = this.slicesByService.get(before.service);
      set?.delete(k);
      if (set?.size === 0) this.slicesByService.delete(before.service);
      touched.add(before.service);
    }
    if (next) {
      this.slices.set(k, next);
      if (next.service) {
        let set = this.slicesByService.get(next.service);
        if (!set) this.slicesByService.set(next.service, (set = new Set()));
        set.add(k);
        touched.add(next.service);
      }
    } else {
      this.slices.delete(k);
    }
    const changed: string[] = [];
    for (const svc of touched) {
      const count = this.countReady(svc);
      if (count === (this.readyCounts.get(svc) ?? 0)) continue;
      if (count > 0) this.readyCounts.set(svc, count);
      else this.readyCounts.delete(svc);
      changed.push(svc);
    }
    return changed;
  }

  /** Sets or removes a node; true when the cluster's topology (region, zones) changed. */
  setNode(name: string, next: NodeProjection | undefined): boolean {
    const before = this.nodes.get(name);
    if (before?.zone === next?.zone && before?.region === next?.region && (before !== undefined) === (next !== undefined)) return false;
    const topology = this.topology();
    bump(this.zoneCounts, before?.zone, -1);
    bump(this.regionCounts, before?.region, -1);
    if (next) {
      this.nodes.set(name, next);
      bump(this.zoneCounts, next.zone, 1);
      bump(this.regionCounts, next.region, 1);
    } else {
      this.nodes.delete(name);
    }
    const after = this.topology();
    return topology.region !== after.region || !sameStrings(topology.zones, after.zones);
  }

  /**
   * Region and zones from node labels. zones: sorted, distinct. region: the most common one, ties
   * broken alphabetically so the answer does not depend on event order.
   */
  topology(): Topology {
    let region: string | undefined;
    let best = 0;
    for (const [r, n] of this.regionCounts) {
      if (n > best || (n === best && region !== undefined && r.localeCompare(region) < 0)) [region, best] = [r, n];
    }
    return { ...(region ? { region } : {}), zones: [...this.zoneCounts.keys()].sort() };
  }

  ingress(k: string): ObservedIngress | undefined {
    const i = this.ingresses.get(k);
    return i && this.withBackendEndpoints(i);
  }

  /**
   * What mcdns can tell about a Service's readiness: unknown without any EndpointSlice of it,
   * else whether it has a ready endpoint.
   */
  readiness(svc: string): 'unknown' | 'none' | 'ready' {
    if (!this.slicesByService.has(svc)) return 'unknown';
    return (this.readyCounts.get(svc) ?? 0) > 0 ? 'ready' : 'none';
  }

  /** The Service ("namespace/name") an EndpointSlice belongs to, as indexed now. */
  sliceService(k: string): string | undefined {
    return this.slices.get(k)?.service;
  }

  /** The Ingresses that route to a Service ("namespace/name"). */
  ingressesBackedBy(svc: string): ObservedIngress[] {
    return [...(this.ingressesByBackend.get(svc) ?? [])].flatMap((k) => {
      const i = this.ingresses.get(k);
      return i ? [i] : [];
    });
  }

  /** The Ingress with the ready endpoint counts of the backends mcdns can tell about. */
  private withBackendEndpoints(i: ObservedIngress): ObservedIngress {
    if (!i.backends) return i;
    const backendEndpoints = i.backends
      .filter((b) => this.slicesByService.has(key(i.namespace, b)))
      .map((b) => ({ service: b, ready: this.readyCounts.get(key(i.namespace, b)) ?? 0 }));
    return backendEndpoints.length > 0 ? { ...i, backendEndpoints } : i;
  }

  private indexBackend(svc: string, k: string): void {
    let set = this.ingressesByBackend.get(svc);
    if (!set) this.ingressesByBackend.set(svc, (set = new Set()));
    set.add(k);
  }

  private unindexBackend(svc: string, k: string): void {
    const set = this.ingressesByBackend.get(svc);
    set?.delete(k);
    if (set?.size === 0) this.ingressesByBackend.delete(svc);
  }

  /** A LoadBalancer Service with its ready endpoints, as the core reads it. */
  service(k: string): ObservedService | undefined {
    const s = this.services.get(k);
    return s ? { namespace: s.namespace, name: s.name, type: 'LoadBalancer', loadBalancer: s.loadBalancer, readyEndpoints: this.readyCounts.get(k) ?? 0 } : undefined;
  }

  readyEndpoints(k: string): number {
    return this.readyCounts.get(k) ?? 0;
  }

  /**
   * The Ingresses a record can use: the one of its own namespace/name and, since the core falls
   * back to them when there is none, those of its namespace that list one of its hosts.
   */
  ingressesFor(q: RecordQuery): ObservedIngress[] {
    const out = new Map<string, ObservedIngress>();
    const own = key(q.namespace, q.name);
    const named = this.ingresses.get(own);
    if (named) out.set(own, named);
    for (const h of q.hosts ?? []) {
      const at = this.ingressesByHost.get(h);
      for (const k of typeof at === 'string' ? [at] : (at ?? [])) {
        const i = this.ingresses.get(k);
        if (i && i.namespace === q.namespace) out.set(k, i);
      }
    }
    return [...out.values()].map((i) => this.withBackendEndpoints(i));
  }

  private indexHost(host: string, k: string): void {
    const at = this.ingressesByHost.get(host);
    if (at === undefined) this.ingressesByHost.set(host, k);
    else if (typeof at === 'string') {
      if (at !== k) this.ingressesByHost.set(host, new Set([at, k]));
    } else at.add(k);
  }

  private unindexHost(host: string, k: string): void {
    const at = this.ingressesByHost.get(host);
    if (at === k) this.ingressesByHost.delete(host);
    else if (typeof at === 'object') {
      at.delete(k);
      if (at.size === 1) this.ingressesByHost.set(host, [...at][0]!);
    }
  }

  allIngresses(): ObservedIngress[] {
    return [...this.ingresses.values()].map((i) => this.withBackendEndpoints(i));
  }

  allServices(): ObservedService[] {
    return [...this.services.keys()].map((k) => this.service(k)!);
  }

  /** Objects held, by kind (for metrics). */
  counts(): Record<'Ingress' | 'Service' | 'EndpointSlice' | 'Node', number> {
    return { Ingress: this.ingresses.size, Service: this.services.size, EndpointSlice: this.slices.size, Node: this.nodes.size };
  }

  private countReady(svc: string): number {
    const sliceKeys = this.slicesByService.get(svc);
    if (!sliceKeys) return 0;
    // One slice is the common case: its ids are already distinct per endpoint.
    if (sliceKeys.size === 1) return new Set(this.slices.get([...sliceKeys][0]!)?.ready ?? []).size;
    const ids = new Set<string>();
    for (const s of sliceKeys) for (const id of this.slices.get(s)?.ready ?? []) ids.add(id);
    return ids.size;
  }
}
