// Observes one member cluster: four watched caches (Ingress, Service, EndpointSlice, Node) and a
// reachability heartbeat, reduced on demand to a ClusterObservation for the pure core.
import {
  CoreV1Api,
  DiscoveryV1Api,
  Health,
  NetworkingV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { ClusterObservation, ClusterState } from '../core/observation.js';
import { normaliseName } from '../core/names.js';
import { describeError } from '../errors.js';
import { watchResource, type ListPage, type ResourceWatch, type WatchTuning } from '../kube/informer.js';
import { timeoutOptions } from '../kube/request.js';
import { shareConnections } from '../kube/connections.js';
import { log as rootLog, type Logger } from '../log.js';
import type { MemberConfig } from './sources/member-config.js';
import { observeHeartbeat } from '../metrics/metrics.js';
import { eventLoopStalls, type LoopStalls } from './event-loop.js';
import { ClusterIndex, IngressProjection, key, project, type RecordQuery } from './projections.js';
import { byNamespaceName, objectKey, withRegistration } from './reduce.js';

type MemberChangeKind = 'Ingress' | 'Service' | 'EndpointSlice' | 'Node' | 'State';

/**
 * Something DNS-relevant changed in one member. For EndpointSlice, namespace/name are those of
 * the Service the slices belong to (what a ServiceDNSRecord maps to), not of the slice. Node and
 * State carry no name. Changes that do not alter the reduced observation (a Node heartbeat, a
 * Service annotation) are not reported.
 */
export interface MemberChange {
  kind: MemberChangeKind;
  namespace?: string;
  name?: string;
  /** Ingress: the normalised hosts it listed before and lists now (which records it can serve). */
  hosts?: string[];
}

/** Checks that the member's API server answers; rejects with the reason otherwise. */
type Probe = (kc: KubeConfig, signal: AbortSignal) => Promise<void>;

export interface MemberObserverOptions {
  /** Interval between reachability checks (default 5000 ms). */
  heartbeatMs?: number;
  /** Timeout of one check (default 3000 ms). */
  heartbeatTimeoutMs?: number;
  /**
   * Offline after this long without any successful contact (default 30000 ms), once a failure
   * has been seen since the last success.
   */
  offlineGraceMs?: number;
  /** Timeout of each list request (default 30000 ms). */
  requestTimeoutMs?: number;
  /** Clock for state decisions and stateSince; tests inject one. */
  now?: () => number;
  logger?: Logger;
  /** Backoff and timeouts of the informers. */
  watch?: WatchTuning;
  /** Default: GET /readyz (client-node's Health, which falls back to /healthz on 404). */
  probe?: Probe;
  /**
   * Stalls of mcdns's own event loop (default: the process-wide watch). A heartbeat that timed
   * out while the loop was stalled for a quarter of its timeout or more proves nothing about
   * the member and is not counted against it.
   */
  loop?: LoopStalls;
}

const readyzProbe: Probe = async (kc, signal) => {
  if (!(await new Health(kc).readyz({ signal }))) throw new Error('/readyz did not answer ok');
};

type Kind = Exclude<MemberChangeKind, 'State'>;
type AnyList = (page?: ListPage) => Promise<KubernetesListObject<KubernetesObject>>;

/**
 * What the informer caches hold: identity and resourceVersion (which the cache keys and resumes
 * by) and the projection, never the whole object. One object that is its own metadata (those
 * three fields are all client-node's ListWatch reads of a cached object), not a {metadata,
 * projection} pair: that was two objects per cached object.
 */
class Slim {
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
type Cached = Slim | IngressProjection;

const TRANSFORMS: Record<Kind, (o: KubernetesObject) => Cached> = {
  Ingress: (o) => project.ingress(o) ?? new Slim(o, undefined),
  Service: (o) => new Slim(o, project.service(o)),
  EndpointSlice: (o) => new Slim(o, project.slice(o)),
  Node: (o) => new Slim(o, project.node(o)),
};

export class MemberObserver {
  readonly cluster: string;
  private readonly kc: KubeConfig;
  private readonly config: MemberConfig;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly heartbeatMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly graceMs: number;
  private readonly listeners = new Set<(change: MemberChange) => void>();
  private watches: Partial<Record<Kind, ResourceWatch<Cached>>> = {};
  private started = false;
  private stopped = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private probeInFlight: AbortController | undefined;

  private state: ClusterState = 'unknown';
  private stateMessage: string | undefined = 'not started';
  private stateSince: number;
  private startedAt: number;
  private lastSuccessAt: number | undefined;
  private lastError: string | undefined;
  /** A failure counted against the member (network evidence, not our own stalls) since the last success. */
  private failedSinceSuccess = false;
  private readonly loop: LoopStalls;

  /** The projections, updated per informer event; what every read answers from. */
  private readonly index = new ClusterIndex();

  constructor(
    config: MemberConfig,
    private readonly opts: MemberObserverOptions = {},
  ) {
    this.config = config;
    this.cluster = config.name;
    this.kc = shareConnections(config.kubeConfig);
    this.now = opts.now ?? Date.now;
    this.heartbeatMs = opts.heartbeatMs ?? 5000;
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? 3000;
    this.graceMs = opts.offlineGraceMs ?? 30000;
    this.logger = (opts.logger ?? rootLog).child({ cluster: config.name });
    this.stateSince = this.now();
    this.startedAt = this.stateSince;
    this.loop = opts.loop ?? eventLoopStalls();
  }

  onChange(cb: (change: MemberChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.startedAt = this.now();
    this.stateSince = this.startedAt;
    this.stateMessage = 'waiting for the first list';
    const timeout = timeoutOptions(this.opts.requestTimeoutMs ?? 30000);
    const core = this.kc.makeApiClient(CoreV1Api);
    const networking = this.kc.makeApiClient(NetworkingV1Api);
    const discovery = this.kc.makeApiClient(DiscoveryV1Api);
    // The typed lists' element classes are all KubernetesObjects; the reducers read them as unknown.
    this.watches = {
      Ingress: this.watch('Ingress', '/apis/networking.k8s.io/v1/ingresses', (page) => networking.listIngressForAllNamespaces({ ...page }, timeout)),
      Service: this.watch('Service', '/api/v1/services', (page) => core.listServiceForAllNamespaces({ ...page }, timeout)),
      EndpointSlice: this.watch('EndpointSlice', '/apis/discovery.k8s.io/v1/endpointslices', (page) =>
        discovery.listEndpointSliceForAllNamespaces({ ...page }, timeout),
      ),
      Node: this.watch('Node', '/api/v1/nodes', (page) => core.listNode({ ...page }, timeout)),
    };
    this.scheduleHeartbeat(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeatTimer !== undefined) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.probeInFlight?.abort();
    await Promise.all(Object.values(this.watches).map((w) => w.stop()));
  }

  /** Every informer has applied its first list. */
  synced(): boolean {
    const ws = Object.values(this.watches);
    return ws.length === 4 && ws.every((w) => w.synced);
  }

  /** State, region and zones, without objects: what transitions, readiness and metrics read. */
  status(): ClusterObservation {
    const topology = withRegistration(this.index.topology(), this.config.region, this.config.zones);
    return {
      cluster: this.cluster,
      state: this.state,
      ...(this.state !== 'online' && this.stateMessage ? { stateMessage: this.stateMessage } : {}),
      stateSince: new Date(this.stateSince).toISOString(),
      ...(topology.region ? { region: topology.region } : {}),
      zones: topology.zones,
      ingresses: [],
      services: [],
    };
  }

  /**
   * The cluster as one record sees it: only the Ingresses and the Service that record can use
   * (see ClusterIndex.ingressesFor). Costs O(matching objects), not O(objects in the cluster).
   * Offline and unknown clusters still carry the last cached objects: whether to keep
   * publishing them is the core's decision, not the observer's.
   */
  observationFor(q: RecordQuery): ClusterObservation {
    const base = this.status();
    if (q.kind === 'IngressDNSRecord') return { ...base, ingresses: this.index.ingressesFor(q).sort(byNamespaceName) };
    const service = this.index.service(key(q.namespace, q.name));
    return { ...base, services: service ? [service] : [] };
  }

  /**
   * The whole cluster as DNS sees it. O(objects): for tests and diagnostics, never per record.
   */
  snapshot(): ClusterObservation {
    return {
      ...this.status(),
      ingresses: this.index.allIngresses().sort(byNamespaceName),
      services: this.index.allServices().sort(byNamespaceName),
    };
  }

  /** Objects indexed, by kind. */
  counts(): Record<Kind, number> {
    return this.index.counts();
  }

  // ---- informers ----

  private watch(kind: Kind, path: string, list: AnyList): ResourceWatch<Cached> {
    const changed = (o: Cached, deleted: boolean): void => this.onObject(kind, o, deleted);
    return watchResource<Cached>(this.kc, path, list as (page?: ListPage) => Promise<KubernetesListObject<Cached>>, {
      ...this.opts.watch,
      name: kind,
      transform: TRANSFORMS[kind],
      logger: this.logger,
      on: {
        add: (o) => changed(o, false),
        update: (o) => changed(o, false),
        delete: (o) => changed(o, true),
        synced: () => this.evaluate(),
        healthy: () => this.succeeded(),
        error: (err) => this.failed(`${kind} watch: ${describeError(err)}`),
      },
    });
  }

  private onObject(kind: Kind, o: Cached, deleted: boolean): void {
    const id = objectKey(o);
    if (!id) return;
    const k = key(id.namespace, id.name);
    const projection = deleted ? undefined : o instanceof Slim ? o.projection : o;
    switch (kind) {
      case 'Ingress': {
        const changed = this.index.setIngress(k, projection as IngressProjection | undefined);
        if (changed) this.emit({ kind, ...id, hosts: changed.hosts });
        break;
      }
      case 'Service':
        if (this.index.setService(k, projection as ReturnType<typeof project.service>)) this.emit({ kind, ...id });
        break;
      case 'EndpointSlice': {
        const next = projection as ReturnType<typeof project.slice> | undefined;
        // Ingresses re-run only when a backend's readiness flips (none ↔ some ready, or known ↔
        // unknown), not on every endpoint that comes and goes.
        const owners = [this.index.sliceService(k), next?.service].filter((s): s is string => s !== undefined);
        const before = new Map(owners.map((svc) => [svc, this.index.readiness(svc)]));
        for (const svc of this.index.setSlice(k, next)) {
          const [namespace = '', name = ''] = svc.split('/');
          this.emit({ kind, namespace, name });
        }
        for (const [svc, was] of before) {
          if (this.index.readiness(svc) === was) continue;
          for (const i of this.index.ingressesBackedBy(svc)) {
            this.emit({ kind: 'Ingress', namespace: i.namespace, name: i.name, hosts: i.hosts.map(normaliseName).sort() });
          }
        }
        break;
      }
      case 'Node':
        if (this.index.setNode(id.name, projection as ReturnType<typeof project.node> | undefined)) this.emit({ kind });
        break;
    }
  }

  private emit(change: MemberChange): void {
    if (this.stopped) return;
    for (const cb of this.listeners) {
      try {
        cb(change);
      } catch (err) {
        this.logger.error('change listener threw', { reason: describeError(err) });
      }
    }
  }

  // ---- reachability ----

  private scheduleHeartbeat(delay: number): void {
    if (this.stopped) return;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = undefined;
      void this.heartbeat();
      this.scheduleHeartbeat(this.heartbeatMs);
    }, delay);
  }

  private async heartbeat(): Promise<void> {
    this.evaluate(); // the grace can run out while a probe hangs
    if (this.probeInFlight) return;
    const ctrl = new AbortController();
    const startedAt = Date.now();
    const timer = setTimeout(() => ctrl.abort(new DOMException(`no answer within ${this.heartbeatTimeoutMs} ms`, 'TimeoutError')), this.heartbeatTimeoutMs);
    this.probeInFlight = ctrl;
    try {
      await (this.opts.probe ?? readyzProbe)(this.kc, ctrl.signal);
      observeHeartbeat(this.cluster, 'ok');
      if (!this.stopped) this.succeeded();
    } catch (err) {
      if (this.stopped) return;
      const stalledMs = ctrl.signal.aborted ? this.loop.stalledMs(startedAt) : 0;
      if (stalledMs >= this.heartbeatTimeoutMs / 4) {
        // Our own loop was too busy to read the answer in time: no evidence either way.
        observeHeartbeat(this.cluster, 'discounted');
        this.logger.debug('heartbeat timed out while the event loop was stalled: not counted', { stalledMs });
        return;
      }
      observeHeartbeat(this.cluster, 'failed');
      this.failed(`heartbeat: ${ctrl.signal.aborted ? `no answer within ${this.heartbeatTimeoutMs} ms` : describeError(err)}`);
    } finally {
      clearTimeout(timer);
      this.probeInFlight = undefined;
    }
  }

  private succeeded(): void {
    if (this.stopped) return;
    const wasOffline = this.state === 'offline';
    this.lastSuccessAt = this.now();
    this.failedSinceSuccess = false;
    // The cluster answers: informers waiting out a backoff need not wait any longer.
    for (const w of Object.values(this.watches)) if (!w.running) w.restartNow();
    if (wasOffline) this.lastError = undefined;
    this.evaluate();
  }

  private failed(reason: string): void {
    if (this.stopped) return;
    this.lastError = reason;
    this.failedSinceSuccess = true;
    this.evaluate();
  }

  /** Decides the state from the last success, the grace and the informers' sync. */
  private evaluate(): void {
    if (this.stopped || !this.started) return;
    const now = this.now();
    let next: ClusterState = this.state;
    let message = this.stateMessage;
    const recent = this.lastSuccessAt !== undefined && now - this.lastSuccessAt <= this.graceMs;
    if (recent) {
      if (this.synced()) {
        next = 'online';
        message = undefined;
      } else {
        next = 'unknown';
        message = this.waitingMessage();
      }
    } else if (now - (this.lastSuccessAt ?? this.startedAt) > this.graceMs && this.failedSinceSuccess) {
      // Offline needs evidence from the network: a failure since the last success. Timeouts
      // discounted because our own event loop stalled are none.
      next = 'offline';
      message = this.lastError ?? `no successful contact for ${Math.round(this.graceMs / 1000)} s`;
    } else if (this.state !== 'online') {
      message = this.state === 'unknown' ? this.waitingMessage() : (this.lastError ?? message);
    }
    this.stateMessage = message;
    if (next === this.state) return;
    const previous = this.state;
    this.state = next;
    this.stateSince = now;
    const fields = { from: previous, to: next, ...(message ? { reason: message } : {}) };
    if (next === 'offline') this.logger.warn('member cluster offline', fields);
    else this.logger.info(`member cluster ${next}`, fields);
    this.emit({ kind: 'State' });
  }

  private waitingMessage(): string {
    const pending = (Object.entries(this.watches) as [Kind, ResourceWatch<Cached>][])
      .filter(([, w]) => !w.synced)
      .map(([k, w]) => (w.lastError ? `${k} (${w.lastError})` : k));
    return pending.length ? `waiting for the first list of ${pending.join(', ')}` : 'waiting for the first contact';
  }
}
