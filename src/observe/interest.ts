// Which member objects anything can use: the interest set. A member keeps an Ingress, a Service
// or an EndpointSlice only while something refers to it, so that what mcdns holds of a member
// follows its records, not the member's size.
//
// Two levels, one interface (Wants.refer: a referrer says which keys it wants, replacing what it
// wanted before):
// - the fleet (FleetInterest), fed from the host's records: an IngressDNSRecord wants the Ingress
//   of its namespace/name and those of its namespace listing one of its hosts; a ServiceDNSRecord
//   wants the Service of its namespace/name and that Service's EndpointSlices. Every member
//   shares it.
// - each member (MemberInterest.backends), fed from that member's own objects: a kept Ingress
//   wants the EndpointSlices of the Services it routes to (their readiness is its health). Routes
//   of other kinds (Gateway API) refer to their backends the same way.
// - RouteDNSRecords want their route (kind, namespace, name) of every member; in each member a
//   kept route wants its parent Gateways and its backends (gateway-api/routes.ts).
import { normaliseName } from '../core/names.js';

/** "namespace/name" (or "namespace/host"): the keys of the interest set. */
export const wantKey = (namespace: string, name: string): string => `${namespace}/${name}`;

/** What each referrer wants, and how many referrers want each key. */
export class Wants {
  /** Referrer → its keys (one held directly: most referrers want one key). */
  private readonly byReferrer = new Map<string, string | readonly string[]>();
  private readonly counts = new Map<string, number>();

  /** Sets what `referrer` wants (no keys: nothing); returns the keys that began and ceased to be wanted. */
  refer(referrer: string, keys: readonly string[]): { grown: string[]; shrunk: string[] } {
    const before = this.byReferrer.get(referrer);
    const old = before === undefined ? [] : typeof before === 'string' ? [before] : before;
    const next = [...new Set(keys)];
    if (next.length === 0) this.byReferrer.delete(referrer);
    else this.byReferrer.set(referrer, next.length === 1 ? next[0]! : next);
    const grown: string[] = [];
    const shrunk: string[] = [];
    for (const k of next) if (!old.includes(k) && this.bump(k, 1) === 1) grown.push(k);
    for (const k of old) if (!next.includes(k) && this.bump(k, -1) === 0) shrunk.push(k);
    return { grown, shrunk };
  }

  has(key: string): boolean {
    return this.counts.has(key);
  }

  /** Every key wanted. */
  keys(): IterableIterator<string> {
    return this.counts.keys();
  }

  /** Keys wanted. */
  get size(): number {
    return this.counts.size;
  }

  private bump(key: string, by: number): number {
    const n = (this.counts.get(key) ?? 0) + by;
    if (n > 0) this.counts.set(key, n);
    else this.counts.delete(key);
    return n;
  }
}

/** What one record wants of every member. */
export interface RecordWants {
  /** The Ingress of this namespace/name and those of its namespace listing one of `hosts` (normalised). */
  ingress?: { namespace: string; name: string; hosts: readonly string[] };
  /** Services ("namespace/name") whose object and EndpointSlices the record reads. */
  services?: readonly string[];
  /** A Gateway API route (RouteDNSRecord): its Gateways and backends follow from it in each member. */
  route?: RouteWant;
}

/** A route a record names: its kind, namespace and name. */
export interface RouteWant {
  kind: string;
  namespace: string;
  name: string;
}

/** "Kind/namespace/name" of a route: the key the route interest keeps. */
export const routeKey = (r: RouteWant): string => `${r.kind}/${r.namespace}/${r.name}`;

export function parseRouteKey(k: string): RouteWant {
  const [kind = '', namespace = '', name = ''] = k.split('/');
  return { kind, namespace, name };
}

/** What began or ceased to be wanted by one change of the fleet's records. */
export interface InterestChange {
  /** An Ingress interest that began: the record's own name (named) and hosts it now lists in addition. */
  ingresses: Array<{ namespace: string; name: string; named: boolean; hosts: string[] }>;
  services: string[];
  /** Namespaces where some Ingress interest ceased (their kept Ingresses are checked again). */
  ingressNamespacesShrunk: string[];
  servicesShrunk: string[];
  /** Routes ("Kind/namespace/name") that began and ceased to be wanted. */
  routes?: string[];
  routesShrunk?: string[];
}

/** Something that reads what a change made wanted (a member); settles when it has. */
type InterestListener = (change: InterestChange) => Promise<void> | void;

/** What the fleet's records want of every member. */
export class FleetInterest {
  private readonly ingressNames = new Wants();
  private readonly ingressHosts = new Wants();
  private readonly services = new Wants();
  private readonly routes = new Wants();
  /** Route kind → the routes of that kind wanted. */
  private readonly routesByKind = new Map<string, Set<string>>();
  private readonly listeners = new Set<InterestListener>();
  private isReady = false;
  private readonly readyWaiters: Array<() => void> = [];
  /** Every object is wanted (an observer used on its own): nothing to enumerate. */
  readonly wantsAll: boolean = false;

  /**
   * @param waitMs how long refer() waits at most for the members' reads: a member that cannot
   *   answer in time must not hold back a record's reconcile (its answer queues the record again).
   */
  constructor(private readonly waitMs = 5000) {}

  /**
   * Sets what one record (by its key) wants; undefined: the record is gone. When something began
   * to be wanted, resolves once every member has read it (or waitMs passed); else undefined.
   */
  refer(record: string, wants: RecordWants | undefined): Promise<void> | undefined {
    const ingress = wants?.ingress;
    const names = this.ingressNames.refer(record, ingress ? [wantKey(ingress.namespace, ingress.name)] : []);
    const hosts = this.ingressHosts.refer(record, ingress ? ingress.hosts.map((h) => wantKey(ingress.namespace, normaliseName(h))) : []);
    const services = this.services.refer(record, wants?.services ?? []);
    const routes = this.referRoute(record, wants?.route);
    // Before every record is known the members have listed nothing: their first lists will hold
    // what is wanted then, with no read (at a cold start with 10,000 records, a read per record
    // and member would be that many promises waiting for those lists).
    if (!this.isReady) return undefined;
    const grownHosts = hosts.grown.map((k) => k.slice(k.indexOf('/') + 1));
    const change: InterestChange = {
      ingresses: ingress && (names.grown.length > 0 || grownHosts.length > 0) ? [{ namespace: ingress.namespace, name: ingress.name, named: names.grown.length > 0, hosts: grownHosts }] : [],
      services: services.grown,
      ingressNamespacesShrunk: [...new Set([...names.shrunk, ...hosts.shrunk].map((k) => k.slice(0, k.indexOf('/'))))],
      servicesShrunk: services.shrunk,
      ...(routes.grown.length > 0 || routes.shrunk.length > 0 ? { routes: routes.grown, routesShrunk: routes.shrunk } : {}),
    };
    const grew = change.ingresses.length > 0 || change.services.length > 0 || routes.grown.length > 0;
    if (!grew && change.ingressNamespacesShrunk.length === 0 && change.servicesShrunk.length === 0 && routes.shrunk.length === 0) return undefined;
    const reads = [...this.listeners].map((l) => l(change)).filter((p): p is Promise<void> => p !== undefined);
    if (!grew || reads.length === 0) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((r) => (timer = setTimeout(r, this.waitMs)));
    return Promise.race([Promise.allSettled(reads).then(() => undefined), deadline]).finally(() => clearTimeout(timer));
  }

  /** A member listens while it observes; returns the unsubscribe. */
  onChange(listener: InterestListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The Ingress `namespace/name` listing `hosts` is wanted (hosts as written; normalised here). */
  wantsIngress(namespace: string, name: string, hosts: readonly string[]): boolean {
    if (this.ingressNames.has(wantKey(namespace, name))) return true;
    return hosts.some((h) => this.ingressHosts.has(wantKey(namespace, normaliseName(h))));
  }

  /** The Ingress of `namespace/name` is some record's own (KubeFed's rule). */
  wantsNamedIngress(namespace: string, name: string): boolean {
    return this.ingressNames.has(wantKey(namespace, name));
  }

  /** A record reads the Service `namespace/name` (its load balancer and its EndpointSlices). */
  wantsService(key: string): boolean {
    return this.services.has(key);
  }

  /** Every Service ("namespace/name") a record reads. */
  serviceKeys(): IterableIterator<string> {
    return this.services.keys();
  }

  /** A RouteDNSRecord names this route. */
  wantsRoute(kind: string, namespace: string, name: string): boolean {
    return this.routes.has(routeKey({ kind, namespace, name }));
  }

  /** The route kinds some record names, with the routes ("Kind/namespace/name") of each. */
  routeKinds(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.routesByKind;
  }

  private referRoute(record: string, route: RouteWant | undefined): { grown: string[]; shrunk: string[] } {
    const change = this.routes.refer(record, route ? [routeKey(route)] : []);
    for (const k of change.grown) {
      const kind = parseRouteKey(k).kind;
      let keys = this.routesByKind.get(kind);
      if (!keys) this.routesByKind.set(kind, (keys = new Set()));
      keys.add(k);
    }
    for (const k of change.shrunk) {
      const kind = parseRouteKey(k).kind;
      const keys = this.routesByKind.get(kind);
      keys?.delete(k);
      if (keys?.size === 0) this.routesByKind.delete(kind);
    }
    return change;
  }

  /** Every record is known: until then a member lists nothing it would have to filter. */
  markReady(): void {
    if (this.isReady) return;
    this.isReady = true;
    for (const r of this.readyWaiters.splice(0)) r();
  }

  get ready(): boolean {
    return this.isReady;
  }

  whenReady(): Promise<void> {
    return this.isReady ? Promise.resolve() : new Promise((r) => this.readyWaiters.push(r));
  }
}

/** A fleet that wants everything, always ready: for an observer used on its own (tests, tools). */
export function everything(): FleetInterest {
  const all = new (class extends FleetInterest {
    override readonly wantsAll = true;
    override wantsIngress(): boolean {
      return true;
    }
    override wantsNamedIngress(): boolean {
      return true;
    }
    override wantsService(): boolean {
      return true;
    }
    override wantsRoute(): boolean {
      return true;
    }
  })();
  all.markReady();
  return all;
}
