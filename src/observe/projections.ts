// What one member cluster holds that DNS can use, kept as small projections and indexed the way
// reconciles ask for it: Ingresses by namespace/name and by host, LoadBalancer Services by
// namespace/name, ready endpoints per Service, and node topology as counts per zone and region.
// Each informer event updates it in O(size of that object); a record's view of the cluster is
// O(Ingresses that serve its hosts), whatever the cluster holds in total.
import type { ObservedIngress, ObservedService } from '../core/observation.js';
import { MultiMap, identityMultiMap } from '../core/multimap.js';
import { normaliseName } from '../core/names.js';
import { REGION_LABELS, ZONE_LABELS, ingressOf, loadBalancerOf, objectKey, readyEndpointIds, sliceServiceOf, type Topology } from './reduce.js';
import type { LoadBalancerIngress, RecordKind } from '../api/schema.js';

/** One value, or any other number of them as an array (none: NONE). */
export type OneOrMany<T> = T | readonly T[];
export const NONE: readonly never[] = Object.freeze([]);
export const oneOrMany = (xs: readonly string[]): OneOrMany<string> => (xs.length === 1 ? xs[0]! : xs.length === 0 ? NONE : xs);
export const many = (v: OneOrMany<string>): string[] => (typeof v === 'string' ? [v] : [...v]);

/**
 * A resourceVersion as a number when it reads back as the very same string. The API server's
 * are opaque strings, in practice etcd revisions in decimal: as a number one is kept in the
 * field itself, as a string it costs ~24 bytes more per cached object.
 */
export function packVersion(rv: string | undefined): number | string | undefined {
  if (rv === undefined || !/^[1-9][0-9]{0,14}$/.test(rv)) return rv;
  return Number(rv);
}

/**
 * One Ingress as a member holds it. The informer cache and the index share this one object: it
 * is its own metadata (name, namespace and resourceVersion are all client-node's ListWatch reads
 * of what it caches). What DNS reads is kept without arrays in the common case of one host, one
 * IP and one backend: at 10,000 Ingresses in each of 10 members, arrays and {ip} objects were
 * most of the member projections' memory. ObservedIngress, what the core reads, is built from it
 * on demand (observed()).
 */
export class IngressProjection {
  constructor(
    /** The index swaps in the one copy of the string that its namespace's Ingresses share. */
    public namespace: string,
    readonly name: string,
    /** The resourceVersion, packed (packVersion). */
    private readonly version: number | string | undefined,
    private readonly host: OneOrMany<string>,
    /**
     * status.loadBalancer.ingress; when that is one IP, only the IP, as the very string the watch
     * brought: the desired endpoints, the provider's records and the zone content share it.
     */
    private readonly lb: string | readonly LoadBalancerIngress[],
    private readonly backend: OneOrMany<string> | undefined,
  ) {}

  static of(i: ObservedIngress, resourceVersion?: string): IngressProjection {
    const lbs = i.loadBalancer;
    const ip = lbs.length === 1 && lbs[0]!.hostname === undefined ? lbs[0]!.ip : undefined;
    const lb = ip !== undefined ? ip : lbs.length === 0 ? NONE : lbs;
    return new IngressProjection(i.namespace, i.name, packVersion(resourceVersion), oneOrMany(i.hosts), lb, i.backends && oneOrMany(i.backends));
  }

  get metadata(): this {
    return this;
  }

  /** ListWatch resumes its watch from the last event's, and skips unchanged objects on a re-list by it. */
  get resourceVersion(): string | undefined {
    return typeof this.version === 'number' ? String(this.version) : this.version;
  }

  get hosts(): string[] {
    return many(this.host);
  }

  get loadBalancer(): LoadBalancerIngress[] {
    const lb = this.lb;
    return typeof lb === 'string' ? [{ ip: lb }] : [...lb];
  }

  get backends(): string[] | undefined {
    return this.backend === undefined ? undefined : many(this.backend);
  }

  /** Same hosts, load balancer and backends: nothing DNS reads differs. */
  sameForDNS(o: IngressProjection): boolean {
    return sameStrings(this.hosts, o.hosts) && sameLoadBalancer(this.loadBalancer, o.loadBalancer) && sameStrings(this.backends ?? [], o.backends ?? []);
  }

  /** The Ingress as the core reads it (arrays of its own). */
  observed(): ObservedIngress {
    const backends = this.backends;
    return { namespace: this.namespace, name: this.name, hosts: this.hosts, loadBalancer: this.loadBalancer, ...(backends ? { backends } : {}) };
  }
}

/** One namespace's Ingresses. */
interface IngressNamespace {
  /** The one copy of the namespace string its Ingresses share. */
  readonly name: string;
  readonly byName: Map<string, IngressProjection>;
  /** Backend Service name (of this namespace) → the Ingresses that route to it. */
  readonly byBackend: MultiMap<IngressProjection, IngressProjection>;
}

/** namespace and name of a "namespace/name" key, or undefined when it is none. */
function splitKey(k: string): [string, string] | undefined {
  const slash = k.indexOf('/');
  return slash < 0 ? undefined : [k.slice(0, slash), k.slice(slash + 1)];
}

/**
 * What a record asks of a cluster: its own namespace/name and, for an IngressDNSRecord, its hosts
 * (normalised); for a RouteDNSRecord, the route it names (kind and name, in its namespace).
 */
export interface RecordQuery {
  kind: RecordKind;
  namespace: string;
  name: string;
  hosts?: readonly string[];
  route?: { kind: string; name: string };
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
  ingress: (o: unknown): IngressProjection | undefined => {
    const i = ingressOf(o);
    const rv = (o as { metadata?: { resourceVersion?: unknown } } | undefined)?.metadata?.resourceVersion;
    return i && IngressProjection.of(i, typeof rv === 'string' ? rv : undefined);
  },
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
  /** Ingresses by namespace, then name: no "namespace/name" string per Ingress. */
  private readonly ingressNamespaces = new Map<string, IngressNamespace>();
  /** Normalised host → the Ingresses that list it (most hosts have one per cluster). */
  private readonly ingressesByHost = identityMultiMap<IngressProjection>();
  private readonly services = new Map<string, ServiceProjection>();
  private readonly slices = new Map<string, SliceProjection>();
  /** Service "namespace/name" → its slices ("namespace/name" of the slice); mostly one. */
  private readonly slicesByService = identityMultiMap<string>();
  private readonly readyCounts = new Map<string, number>();
  private readonly nodes = new Map<string, NodeProjection>();
  private readonly zoneCounts = new Map<string, number>();
  private readonly regionCounts = new Map<string, number>();

  /**
   * Sets (or, with undefined, removes) the Ingress `k` ("namespace/name", next's own). Returns the
   * normalised hosts it had before and has now when anything DNS reads changed, else undefined.
   */
  setIngress(k: string, next: IngressProjection | undefined): { hosts: string[] } | undefined {
    const before = this.storedIngress(k);
    if (!before && !next) return undefined;
    // Even when nothing DNS reads changed, next replaces before: it is what the informer cache
    // now holds, and the two share one object.
    if (before) this.unindexIngress(before);
    if (next) this.indexIngress(next);
    if (before && next && before.sameForDNS(next)) return undefined;
    const hosts = new Set([...(before?.hosts ?? []), ...(next?.hosts ?? [])].map(normaliseName));
    return { hosts: [...hosts].sort() };
  }

  private storedIngress(k: string): IngressProjection | undefined {
    const id = splitKey(k);
    return id && this.ingressNamespaces.get(id[0])?.byName.get(id[1]);
  }

  private indexIngress(i: IngressProjection): void {
    let ns = this.ingressNamespaces.get(i.namespace);
    if (!ns) this.ingressNamespaces.set(i.namespace, (ns = { name: i.namespace, byName: new Map(), byBackend: identityMultiMap<IngressProjection>() }));
    i.namespace = ns.name;
    ns.byName.set(i.name, i);
    for (const b of i.backends ?? []) ns.byBackend.add(b, i);
    for (const h of i.hosts) this.ingressesByHost.add(normaliseName(h), i);
  }

  private unindexIngress(i: IngressProjection): void {
    const ns = this.ingressNamespaces.get(i.namespace);
    if (!ns) return;
    ns.byName.delete(i.name);
    for (const b of i.backends ?? []) ns.byBackend.remove(b, i);
    if (ns.byName.size === 0) this.ingressNamespaces.delete(i.namespace);
    for (const h of i.hosts) this.ingressesByHost.remove(normaliseName(h), i);
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
      this.slicesByService.remove(before.service, k);
      touched.add(before.service);
    }
    if (next) {
      this.slices.set(k, next);
      if (next.service) {
        this.slicesByService.add(next.service, k);
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
    const i = this.storedIngress(k);
    return i && this.withBackendEndpoints(i);
  }

  /**
   * What mcdns can tell about a Service's readiness: unknown without any EndpointSlice of it,
   * else whether it has a ready endpoint.
   */
  readiness(svc: string): 'unknown' | 'none' | 'ready' {
    if (!this.slicesByService.hasKey(svc)) return 'unknown';
    return (this.readyCounts.get(svc) ?? 0) > 0 ? 'ready' : 'none';
  }

  /** The Service ("namespace/name") an EndpointSlice belongs to, as indexed now. */
  sliceService(k: string): string | undefined {
    return this.slices.get(k)?.service;
  }

  /** The Ingresses that route to a Service ("namespace/name"). */
  ingressesBackedBy(svc: string): ObservedIngress[] {
    const id = splitKey(svc);
    const backed = id ? (this.ingressNamespaces.get(id[0])?.byBackend.get(id[1]) ?? []) : [];
    return backed.map((i) => i.observed());
  }

  /** The Ingress as the core reads it, with the ready endpoint counts of the backends mcdns can tell about. */
  private withBackendEndpoints(i: IngressProjection): ObservedIngress {
    const observed = i.observed();
    if (!observed.backends) return observed;
    const backendEndpoints = observed.backends
      .filter((b) => this.slicesByService.hasKey(key(i.namespace, b)))
      .map((b) => ({ service: b, ready: this.readyCounts.get(key(i.namespace, b)) ?? 0 }));
    return backendEndpoints.length > 0 ? { ...observed, backendEndpoints } : observed;
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
    const out = new Set<IngressProjection>();
    const named = this.ingressNamespaces.get(q.namespace)?.byName.get(q.name);
    if (named) out.add(named);
    for (const h of q.hosts ?? []) {
      for (const i of this.ingressesByHost.get(h)) if (i.namespace === q.namespace) out.add(i);
    }
    return [...out].map((i) => this.withBackendEndpoints(i));
  }

  allIngresses(): ObservedIngress[] {
    return [...this.ingressNamespaces.values()].flatMap((ns) => [...ns.byName.values()].map((i) => this.withBackendEndpoints(i)));
  }

  allServices(): ObservedService[] {
    return [...this.services.keys()].map((k) => this.service(k)!);
  }

  /** Objects held, by kind (for metrics). */
  counts(): Record<'Ingress' | 'Service' | 'EndpointSlice' | 'Node', number> {
    let ingresses = 0;
    for (const ns of this.ingressNamespaces.values()) ingresses += ns.byName.size;
    return { Ingress: ingresses, Service: this.services.size, EndpointSlice: this.slices.size, Node: this.nodes.size };
  }

  private countReady(svc: string): number {
    const sliceKeys = this.slicesByService.get(svc);
    // One slice is the common case: its ids are already distinct per endpoint.
    if (sliceKeys.length === 1) return new Set(this.slices.get(sliceKeys[0]!)?.ready ?? []).size;
    const ids = new Set<string>();
    for (const s of sliceKeys) for (const id of this.slices.get(s)?.ready ?? []) ids.add(id);
    return ids.size;
  }
}
