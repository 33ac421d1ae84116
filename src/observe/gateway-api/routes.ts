// The Gateway API side of one member: watches of the route kinds some RouteDNSRecord names and of
// the Gateways, only where the member's API server serves them (discovery.ts), keeping only what
// route records use: the routes they name, those routes' parent Gateways, and — through the
// member's interest in Services — their backends' EndpointSlices. MemberObserver composes it.
//
// A member without the Gateway API CRDs is normal: nothing is watched there, and the records that
// name a route say so for that member. Discovery is asked again every --gateway-discovery-interval
// while a wanted kind is missing (CRDs installed later are picked up), and at once when a watch
// answers 404 (a CRD removed). Failures of these watches (a member whose RBAC lacks the routes)
// are told to the records that name such a route; they never count against the member's state.
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { GATEWAY_API_GROUP } from '../../api/route-ref.js';
import type { ObservedRoute, RouteKindState } from '../../core/observation.js';
import { backoffDelay } from '../../backoff.js';
import { describeError, statusCodeOf } from '../../errors.js';
import { FilteredListWatch } from '../../kube/filtered-list-watch.js';
import { watchResource, type ListPage, type ResourceWatch, type WatchTuning } from '../../kube/informer.js';
import { customObjectLister, customResourcePath } from '../../kube/lists.js';
import { timeoutOptions } from '../../kube/request.js';
import type { Logger } from '../../log.js';
import { observeMemberEvents } from '../../metrics/metrics.js';
import { parseRouteKey, routeKey, Wants, type FleetInterest, type InterestChange } from '../interest.js';
import type { MemberReads } from '../member-reads.js';
import type { RecordQuery } from '../projections.js';
import { objectKey } from '../reduce.js';
import { discoverGatewayApi, type GatewayApiDiscovery, type ServedKind } from './discovery.js';
import { GatewayProjection, gatewayOf, routeOf, type RouteProjection } from './reduce.js';
import { RouteIndex } from './route-index.js';

export interface GatewayApiOptions {
  cluster: string;
  kc: KubeConfig;
  requestTimeoutMs: number;
  tuning?: WatchTuning;
  logger: Logger;
  interest: FleetInterest;
  reads: MemberReads;
  /** How often discovery is asked again while a wanted kind is not served (default 30 s). */
  discoveryIntervalMs?: number;
  /** A kept route sends traffic to these Services ("namespace/name"): the member keeps their EndpointSlices. */
  referBackends(referrer: string, services: string[]): void;
  /** Ready endpoints of a Service; undefined when mcdns cannot tell (no EndpointSlice of it). */
  readyEndpoints(service: string): number | undefined;
  /** Something a record naming this route reads changed (the route, its Gateways, its kind's availability). */
  changed(kind: string, namespace: string, name: string): void;
  /** The member answered a list or watch. */
  healthy(): void;
}

/** What the caches keep: the projections themselves (each its own metadata). */
type Kept = RouteProjection | GatewayProjection;

interface KindWatch {
  served: ServedKind;
  watch: ResourceWatch<Kept>;
  cache: FilteredListWatch<Kept>;
}

const GATEWAY = 'Gateway';
const gatewayKey = (namespace: string, name: string): string => `${namespace}/${name}`;

export class GatewayApiObserver {
  private readonly index = new RouteIndex();
  /** Route ("Kind/namespace/name") → the Gateways ("namespace/name") it names. */
  private readonly gatewayWants = new Wants();
  private readonly routeWatches = new Map<string, KindWatch>();
  private gatewayWatch: KindWatch | undefined;
  private discovery: GatewayApiDiscovery | undefined;
  private discoveryError: string | undefined;
  private discovering = false;
  /** Failed discoveries in a row: asked again sooner than the interval, with a backoff. */
  private discoveryFailures = 0;
  private rediscoverTimer: NodeJS.Timeout | undefined;
  private reported = new Map<string, string>();
  private settledOnce = false;
  private stopped = false;
  private readonly custom: CustomObjectsApi;

  constructor(private readonly o: GatewayApiOptions) {
    this.custom = o.kc.makeApiClient(CustomObjectsApi);
  }

  start(): void {
    void this.o.interest.whenReady().then(() => this.sync());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.rediscoverTimer);
    await Promise.all([...this.routeWatches.values(), ...(this.gatewayWatch ? [this.gatewayWatch] : [])].map((w) => w.watch.stop()));
  }

  /**
   * Every watch it needs has listed (or failed): part of the member's first sync, so that the
   * first publish after a start sees the routes. Once true it stays true: a kind wanted later
   * shows as not listed yet on the records naming it, not as a member out of sync.
   */
  settled(): boolean {
    if (this.settledOnce) return true;
    if (!this.o.interest.ready) return false;
    const wanted = [...this.o.interest.routeKinds().keys()];
    if (wanted.length > 0) {
      if (!this.discovery && this.discoveryError === undefined) return false;
      const watches = [...wanted.flatMap((k) => this.routeWatches.get(k) ?? []), ...(this.gatewayWatch ? [this.gatewayWatch] : [])];
      if (!watches.every((w) => w.watch.synced || w.watch.lastError !== undefined)) return false;
      if (this.routeWatches.size > 0 && this.discovery?.kinds.has(GATEWAY) && !this.gatewayWatch) return false;
    }
    this.settledOnce = true;
    return true;
  }

  /** The route one record names, and whether this member can serve its kind. */
  observe(q: RecordQuery): { routes: ObservedRoute[]; routeKind: RouteKindState } {
    const kind = q.route?.kind ?? '';
    const route = this.index.observed(routeKey({ kind, namespace: q.namespace, name: q.route?.name ?? q.name }), this.o.readyEndpoints);
    return { routes: route ? [route] : [], routeKind: this.kindState(kind) };
  }

  counts(): Record<string, number> {
    return this.index.counts();
  }

  /** A Service's readiness flipped: the routes sending traffic to it changed for DNS. */
  backendReadinessChanged(service: string): void {
    for (const k of this.index.routesBackedBy(service)) this.changedRoute(k);
  }

  /** Whether a failed read is still worth retrying. */
  stillWanted(kind: string, namespace: string, name: string | undefined): boolean {
    if (name === undefined) return false;
    if (kind === GATEWAY) return this.gatewayWants.has(gatewayKey(namespace, name));
    return this.o.interest.wantsRoute(kind, namespace, name);
  }

  /** Routes that began to be wanted are read (or listed with their kind); those that ceased are let go. */
  interestChanged(change: InterestChange): Promise<void> | undefined {
    if (this.stopped || (!change.routes?.length && !change.routesShrunk?.length)) return undefined;
    for (const k of change.routesShrunk ?? []) {
      const r = parseRouteKey(k);
      this.routeWatches.get(r.kind)?.cache.forget(r.namespace, (s) => s.name === r.name);
    }
    const reads: Promise<void>[] = [];
    for (const k of change.routes ?? []) {
      const r = parseRouteKey(k);
      const w = this.routeWatches.get(r.kind);
      if (w) reads.push(this.read(r.kind, w, r.namespace, r.name));
      else this.changedRoute(k); // its kind's availability is news to the record
    }
    this.sync();
    return reads.length > 0 ? Promise.all(reads).then(() => undefined) : undefined;
  }

  // ---- which watches run ----

  /** Starts the watches of wanted, served kinds and stops the others; asks discovery when needed. */
  private sync(): void {
    if (this.stopped || !this.o.interest.ready) return;
    const wanted = this.o.interest.routeKinds();
    for (const [kind, w] of this.routeWatches) if (!wanted.has(kind) || !this.discovery?.kinds.has(kind)) this.stopWatch(kind, w);
    if (wanted.size === 0) {
      if (this.gatewayWatch) this.stopWatch(GATEWAY, this.gatewayWatch);
      this.report();
      return;
    }
    if (!this.discovery) {
      void this.discover();
      return;
    }
    for (const kind of wanted.keys()) {
      const served = this.discovery.kinds.get(kind);
      if (served && !this.routeWatches.has(kind)) this.routeWatches.set(kind, this.startWatch(kind, served));
    }
    const gateways = this.discovery.kinds.get(GATEWAY);
    const routesIn = [...this.routeWatches.values()].some((w) => w.watch.synced || w.watch.lastError !== undefined);
    if (gateways && routesIn && !this.gatewayWatch) this.gatewayWatch = this.startWatch(GATEWAY, gateways);
    if (!gateways && this.gatewayWatch) this.stopWatch(GATEWAY, this.gatewayWatch);
    const missing = [...wanted.keys()].some((k) => !this.discovery?.kinds.has(k)) || !gateways;
    if (missing) this.scheduleDiscovery();
    this.report();
  }

  private async discover(): Promise<void> {
    if (this.discovering || this.stopped) return;
    this.discovering = true;
    try {
      const found = await discoverGatewayApi(this.o.kc, this.o.requestTimeoutMs);
      const before = this.discovery ? [...this.discovery.kinds.keys()].sort().join(',') : undefined;
      const after = [...found.kinds.keys()].sort().join(',');
      if (before !== after) this.o.logger.info('Gateway API kinds served by the member', { kinds: after === '' ? 'none' : after });
      this.discovery = found;
      this.discoveryError = undefined;
      this.discoveryFailures = 0;
    } catch (err) {
      this.discoveryError = describeError(err);
      const retryInMs = backoffDelay(this.discoveryFailures++, { baseMs: 1000, maxMs: this.o.discoveryIntervalMs ?? 30_000 });
      this.o.logger.warn('Gateway API discovery failed, asking again later', { reason: this.discoveryError, retryInMs });
      this.scheduleDiscovery(retryInMs);
    } finally {
      this.discovering = false;
    }
    if (this.discovery) this.sync();
    else this.report();
  }

  private scheduleDiscovery(delayMs = this.o.discoveryIntervalMs ?? 30_000): void {
    if (this.rediscoverTimer !== undefined || this.stopped) return;
    this.rediscoverTimer = setTimeout(() => {
      this.rediscoverTimer = undefined;
      void this.discover();
    }, delayMs);
  }

  private startWatch(kind: string, served: ServedKind): KindWatch {
    const resource = { group: GATEWAY_API_GROUP, version: served.version, plural: served.plural };
    const path = customResourcePath(resource);
    const list = customObjectLister(this.o.kc, resource, this.o.requestTimeoutMs) as (page?: ListPage) => Promise<KubernetesListObject<Kept>>;
    const select = this.selector(kind);
    let cache: FilteredListWatch<Kept> | undefined;
    const watch = watchResource<Kept>(
      this.o.kc,
      path,
      list,
      {
        ...this.o.tuning,
        name: kind,
        logger: this.o.logger,
        on: {
          add: (s) => this.onObject(kind, s, false),
          update: (s) => this.onObject(kind, s, false),
          delete: (s) => this.onObject(kind, s, true),
          synced: () => this.sync(),
          healthy: () => {
            this.o.healthy();
            this.report();
          },
          error: (err) => this.onWatchError(err),
        },
      },
      {
        select,
        make: (w, listFn, selectors) =>
          (cache = new FilteredListWatch<Kept>(path, w, listFn, select, {
            ...selectors,
            arrived: (how, kept, dropped) => {
              if (how === 'event') observeMemberEvents(this.o.cluster, kind, kept, dropped);
            },
          })),
      },
    );
    return { served, watch, cache: cache! };
  }

  private stopWatch(kind: string, w: KindWatch): void {
    if (kind === GATEWAY) this.gatewayWatch = undefined;
    else this.routeWatches.delete(kind);
    void w.watch.stop();
    // Nothing wants these any more (or the member no longer serves them): let go of them.
    if (kind !== GATEWAY) for (const k of this.index.routesOf(kind)) this.setRoute(k, undefined);
  }

  private onWatchError(err: unknown): void {
    // 404: the CRD is gone (or the version no longer served): ask discovery again at once.
    if (statusCodeOf(err) === 404) void this.discover();
    this.report();
  }

  /** What a watch of `kind` keeps of an object as it arrives; undefined: no record's route uses it. */
  private selector(kind: string): (o: KubernetesObject) => Kept | undefined {
    if (kind === GATEWAY) {
      return (o) => {
        const id = objectKey(o);
        return id && this.gatewayWants.has(gatewayKey(id.namespace, id.name)) ? gatewayOf(o) : undefined;
      };
    }
    return (o) => {
      const id = objectKey(o);
      return id && this.o.interest.wantsRoute(kind, id.namespace, id.name) ? routeOf(o, kind) : undefined;
    };
  }

  /** One route or Gateway by name: a LIST of its namespace selecting the name (the member grants list and watch). */
  private read(kind: string, w: KindWatch, namespace: string, name: string): Promise<void> {
    const { version, plural } = w.served;
    const list = (fieldSelector: string) =>
      this.custom.listNamespacedCustomObject({ group: GATEWAY_API_GROUP, version, namespace, plural, fieldSelector }, timeoutOptions(this.o.requestTimeoutMs));
    return this.o.reads.named(kind, w.cache as unknown as FilteredListWatch<KubernetesObject>, namespace, name, list);
  }

  // ---- objects ----

  private onObject(kind: string, o: Kept, deleted: boolean): void {
    if (o instanceof GatewayProjection) {
      for (const k of this.index.setGateway(gatewayKey(o.namespace, o.name), deleted ? undefined : o)) this.changedRoute(k);
      return;
    }
    this.setRoute(routeKey({ kind, namespace: o.namespace, name: o.name }), deleted ? undefined : o);
  }

  private setRoute(key: string, next: RouteProjection | undefined): void {
    if (!this.index.setRoute(key, next)) return;
    const { grown, shrunk } = this.gatewayWants.refer(key, (next?.parents ?? []).map((p) => gatewayKey(p.namespace, p.name)));
    const gw = this.gatewayWatch;
    for (const g of shrunk) {
      const [namespace = '', name = ''] = g.split('/');
      gw?.cache.forget(namespace, (x) => x.name === name);
    }
    for (const g of grown) {
      const [namespace = '', name = ''] = g.split('/');
      if (gw) void this.read(GATEWAY, gw, namespace, name);
    }
    this.o.referBackends(key, next?.backends ?? []);
    this.changedRoute(key);
  }

  private changedRoute(key: string): void {
    const r = parseRouteKey(key);
    this.o.changed(r.kind, r.namespace, r.name);
  }

  // ---- what the records are told ----

  private kindState(kind: string): RouteKindState {
    if (!this.discovery) {
      const why = this.discoveryError ? `cannot tell whether it serves ${kind}: ${this.discoveryError}` : `not asked yet whether it serves ${kind}`;
      return { served: false, synced: false, problem: why };
    }
    if (!this.discovery.kinds.has(kind)) {
      const problem = this.discovery.group
        ? `serves no ${kind} (its ${GATEWAY_API_GROUP} CRDs do not include it)`
        : `serves no ${kind}: the Gateway API CRDs (${GATEWAY_API_GROUP}) are not installed`;
      return { served: false, synced: true, problem };
    }
    const w = this.routeWatches.get(kind);
    if (!w?.watch.synced) return { served: true, synced: false, problem: `${kind}s not listed yet${w?.watch.lastError ? `: ${w.watch.lastError}` : ''}` };
    if (!this.discovery.kinds.has(GATEWAY)) return { served: true, synced: true, problem: `serves no Gateway (${GATEWAY_API_GROUP})` };
    const g = this.gatewayWatch;
    if (!g?.watch.synced) return { served: true, synced: false, problem: `Gateways not listed yet${g?.watch.lastError ? `: ${g.watch.lastError}` : ''}` };
    return { served: true, synced: true };
  }

  /** Tells the records naming a route of each kind whose availability changed. */
  private report(): void {
    const wanted = this.o.interest.routeKinds();
    for (const kind of this.reported.keys()) if (!wanted.has(kind)) this.reported.delete(kind);
    for (const [kind, keys] of wanted) {
      const state = JSON.stringify(this.kindState(kind));
      if (this.reported.get(kind) === state) continue;
      this.reported.set(kind, state);
      for (const k of keys) this.changedRoute(k);
    }
  }
}
