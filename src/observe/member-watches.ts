// The four watches of one member (Ingress, Service, EndpointSlice, Node) and what each keeps of
// what it sees. An Ingress is kept when a record can use it (its own name, or a host a record of
// its namespace lists); a Service when a ServiceDNSRecord reads it and it is a LoadBalancer; an
// EndpointSlice when its Service is read by a record or routed to by a kept Ingress; every Node.
// Everything else is dropped as it arrives: nothing of it is kept, not even its name.
//
// Order at the start: Ingresses and Services are listed once the host's records are known (a list
// before would keep what no record wants, or drop what one does); EndpointSlices once the
// Ingresses are in as well, since their backends decide which slices are wanted.
//
// EndpointSlices are most of a busy member's events (every pod restart rewrites one), so while the
// Services whose slices are wanted are few enough to name in a URL, their names are a label
// selector of the slice list and watch (kubernetes.io/service-name in (...)): the member's API
// server sends no other slice at all. The selector follows the interest, coalesced: a newly
// wanted Service's slices are read at once (member-reads.ts), the watch is then opened again with
// the new selector from where it was, and those slices read once more, for any change between
// the first read and the new watch.
import { CoreV1Api, DiscoveryV1Api, NetworkingV1Api, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { FilteredListWatch } from '../kube/filtered-list-watch.js';
import { watchResource, type ListPage, type ResourceWatch, type WatchTuning } from '../kube/informer.js';
import { timeoutOptions } from '../kube/request.js';
import type { Logger } from '../log.js';
import { observeMemberEvents } from '../metrics/metrics.js';
import { wantKey, type FleetInterest, type Wants } from './interest.js';
import { IngressProjection, key, project } from './projections.js';
import { objectKey, sliceServiceOf } from './reduce.js';

export type Kind = 'Ingress' | 'Service' | 'EndpointSlice' | 'Node';
const KINDS: readonly Kind[] = ['Ingress', 'Service', 'EndpointSlice', 'Node'];

/** More Service names than this are not put in a selector: the slices are selected as they arrive. */
const SLICE_SELECTOR_NAMES = 1000;
/** How long interest changes are gathered before the slice watch is opened again with a new selector. */
const RESELECT_AFTER_MS = 250;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Matches no object (the label both absent and present): the selector while no slice is wanted. */
const NO_SLICE = `!${SERVICE_NAME_LABEL},${SERVICE_NAME_LABEL}`;

/**
 * What the caches hold of a Service, an EndpointSlice or a Node: identity and resourceVersion
 * (which the cache keys and resumes by) and the projection, never the whole object. One object
 * that is its own metadata (those three fields are all a cache reads of what it holds), not a
 * {metadata, projection} pair: that was two objects per cached object.
 */
export class Slim {
  readonly name: string | undefined;
  readonly namespace: string | undefined;
  readonly resourceVersion: string | undefined;
  constructor(
    o: KubernetesObject,
    readonly projection: unknown,
  ) {
    this.name = o.metadata?.name;
    this.namespace = o.metadata?.namespace;
    this.resourceVersion = o.metadata?.resourceVersion;
  }

  get metadata(): this {
    return this;
  }
}

/** An Ingress is cached as its own projection, which the index holds too: one object per Ingress. */
export type Cached = Slim | IngressProjection;

export interface MemberWatchesOptions {
  cluster: string;
  kc: KubeConfig;
  requestTimeoutMs: number;
  tuning?: WatchTuning;
  logger: Logger;
  interest: FleetInterest;
  /** The Services whose EndpointSlices this member's kept Ingresses route to. */
  backends: Wants;
  /** At most this many Service names in the slice selector (default SLICE_SELECTOR_NAMES). */
  sliceSelectorNames?: number;
  on: {
    object(kind: Kind, o: Cached, deleted: boolean): void;
    synced(): void;
    healthy(): void;
    error(kind: Kind, err: unknown): void;
    /** The slice watch carries these Services ("namespace/name") from now on: read their slices again. */
    selected(services: string[]): void;
  };
}

type AnyList = (page?: ListPage) => Promise<KubernetesListObject<KubernetesObject>>;

export class MemberWatches {
  readonly caches = {} as Record<Kind, FilteredListWatch<Cached>>;
  private readonly watches = {} as Record<Kind, ResourceWatch<Cached>>;
  /** The Service names of the slice selector in use; undefined: no selector. */
  private sliceNames: Set<string> | undefined;
  private reselectTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: MemberWatchesOptions) {
    const timeout = timeoutOptions(o.requestTimeoutMs);
    const core = o.kc.makeApiClient(CoreV1Api);
    const networking = o.kc.makeApiClient(NetworkingV1Api);
    const discovery = o.kc.makeApiClient(DiscoveryV1Api);
    const recordsKnown = o.interest.whenReady();
    let ingressesListed: () => void = () => undefined;
    const ingressesIn = new Promise<void>((r) => (ingressesListed = r));
    // The typed lists' element classes are all KubernetesObjects; the reducers read them as unknown.
    this.watch('Ingress', '/apis/networking.k8s.io/v1/ingresses', recordsKnown, (page) => networking.listIngressForAllNamespaces({ ...page }, timeout), ingressesListed);
    this.watch('Service', '/api/v1/services', recordsKnown, (page) => core.listServiceForAllNamespaces({ ...page }, timeout));
    this.watch('EndpointSlice', '/apis/discovery.k8s.io/v1/endpointslices', ingressesIn, (page) => {
      // Each list (the first, a re-list after a 410) takes the selector of the interest as it is.
      if (!page?._continue) this.sliceNames = this.wantedSliceNames();
      return discovery.listEndpointSliceForAllNamespaces({ ...page, labelSelector: this.sliceSelector() }, timeout);
    });
    this.watch('Node', '/api/v1/nodes', Promise.resolve(), (page) => core.listNode({ ...page }, timeout));
  }

  /** Every watch has applied its first list. */
  synced(): boolean {
    return KINDS.every((k) => this.watches[k]?.synced);
  }

  /** The kinds not listed yet, with their last error. */
  pending(): string[] {
    return KINDS.filter((k) => !this.watches[k].synced).map((k) => (this.watches[k].lastError ? `${k} (${this.watches[k].lastError})` : k));
  }

  /** Restarts, at once, watches waiting out a backoff (the member answered). */
  restartStopped(): void {
    for (const k of KINDS) if (!this.watches[k].running) this.watches[k].restartNow();
  }

  /** Objects the member holds of each kind, as its lists and watch events tell. */
  seen(): Partial<Record<Kind, number>> {
    const out: Partial<Record<Kind, number>> = {};
    for (const k of KINDS) out[k] = this.caches[k].seen;
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reselectTimer !== undefined) clearTimeout(this.reselectTimer);
    await Promise.all(KINDS.map((k) => this.watches[k].stop()));
  }

  /** The Services whose slices are wanted changed: the slice selector follows, a moment later. */
  sliceInterestChanged(): void {
    if (this.reselectTimer !== undefined || this.stopped) return;
    this.reselectTimer = setTimeout(() => {
      this.reselectTimer = undefined;
      void this.reselectSlices();
    }, RESELECT_AFTER_MS);
  }

  /** The slice selector as it is in use (undefined: none). */
  sliceSelector(): string | undefined {
    const names = this.sliceNames;
    if (names === undefined) return undefined;
    return names.size === 0 ? NO_SLICE : `${SERVICE_NAME_LABEL} in (${[...names].sort().join(',')})`;
  }

  /** The names of the Services whose slices are wanted; undefined when there are too many (or all are). */
  private wantedSliceNames(): Set<string> | undefined {
    const { interest, backends } = this.o;
    if (interest.wantsAll) return undefined;
    const names = new Set<string>();
    for (const keys of [interest.serviceKeys(), backends.keys()]) {
      for (const k of keys) {
        names.add(k.slice(k.indexOf('/') + 1));
        if (names.size > (this.o.sliceSelectorNames ?? SLICE_SELECTOR_NAMES)) return undefined;
      }
    }
    return names;
  }

  private async reselectSlices(): Promise<void> {
    const before = this.sliceNames;
    const next = this.wantedSliceNames();
    if (before === next || (before && next && before.size === next.size && [...next].every((n) => before.has(n)))) return;
    this.sliceNames = next;
    this.o.logger.debug('EndpointSlice watch selector changed', { services: next?.size ?? 'all' });
    await this.caches.EndpointSlice.reselect();
    if (this.stopped || before === undefined) return; // the watch carried every slice before
    // Slices the old selector kept out may have changed since they were read.
    const { interest, backends } = this.o;
    const added = [...interest.serviceKeys(), ...backends.keys()].filter((k) => !before.has(k.slice(k.indexOf('/') + 1)));
    if (added.length > 0) this.o.on.selected([...new Set(added)]);
  }

  /** What a kind keeps of an object as it arrives; undefined: nothing refers to it. */
  private select(kind: Kind): (o: KubernetesObject) => Cached | undefined {
    const { interest, backends } = this.o;
    switch (kind) {
      case 'Ingress':
        return (o) => {
          const p = project.ingress(o);
          return p && interest.wantsIngress(p.namespace, p.name, p.hosts) ? p : undefined;
        };
      case 'Service':
        return (o) => {
          const id = objectKey(o);
          if (!id || !interest.wantsService(wantKey(id.namespace, id.name))) return undefined;
          const p = project.service(o);
          return p ? new Slim(o, p) : undefined;
        };
      case 'EndpointSlice':
        return (o) => {
          const svc = sliceServiceOf(o);
          const k = svc && key(svc.namespace, svc.name);
          return k && (interest.wantsService(k) || backends.has(k)) ? new Slim(o, project.slice(o)) : undefined;
        };
      case 'Node':
        return (o) => new Slim(o, project.node(o));
    }
  }

  /** One watch whose first list waits for `gate`; `listed` is called once its first list is in. */
  private watch(kind: Kind, path: string, gate: Promise<void>, list: AnyList, listed?: () => void): void {
    const { on, cluster } = this.o;
    this.watches[kind] = watchResource<Cached>(
      this.o.kc,
      path,
      list as (page?: ListPage) => Promise<KubernetesListObject<Cached>>,
      {
        ...this.o.tuning,
        name: kind,
        logger: this.o.logger,
        on: {
          add: (obj) => on.object(kind, obj, false),
          update: (obj) => on.object(kind, obj, false),
          delete: (obj) => on.object(kind, obj, true),
          synced: () => {
            listed?.();
            on.synced();
          },
          healthy: () => on.healthy(),
          error: (err) => on.error(kind, err),
        },
      },
      {
        select: this.select(kind),
        make: (watch, listFn, selectors) =>
          (this.caches[kind] = new FilteredListWatch<Cached>(path, watch, listFn, this.select(kind), {
            ...selectors,
            ...(kind === 'EndpointSlice' ? { labelSelector: () => this.sliceSelector() } : {}),
            gate,
            arrived: (how, kept, dropped) => {
              if (how === 'event') observeMemberEvents(cluster, kind, kept, dropped);
            },
          })),
      },
    );
  }
}
