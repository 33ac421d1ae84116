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
import type { ClusterObservation, ClusterState, ObservedIngress, ObservedService } from '../core/observation.js';
import { describeError } from '../errors.js';
import { watchResource, type ResourceWatch, type WatchTuning } from '../kube/informer.js';
import { timeoutOptions } from '../kube/request.js';
import { log as rootLog, type Logger } from '../log.js';
import type { MemberConfig } from '../members/types.js';
import {
  byNamespaceName,
  ingressOf,
  objectKey,
  readyEndpointsByService,
  serviceOf,
  sliceServiceOf,
  topologyOf,
  withRegistration,
} from './reduce.js';

export type MemberChangeKind = 'Ingress' | 'Service' | 'EndpointSlice' | 'Node' | 'State';

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
}

/** Checks that the member's API server answers; rejects with the reason otherwise. */
export type Probe = (kc: KubeConfig, signal: AbortSignal) => Promise<void>;

export interface MemberObserverOptions {
  /** Interval between reachability checks (default 5000 ms). */
  heartbeatMs?: number;
  /** Timeout of one check (default 3000 ms). */
  heartbeatTimeoutMs?: number;
  /** Offline after this long without any successful contact (default 30000 ms). */
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
}

export const readyzProbe: Probe = async (kc, signal) => {
  if (!(await new Health(kc).readyz({ signal }))) throw new Error('/readyz did not answer ok');
};

type Kind = Exclude<MemberChangeKind, 'State'>;
type AnyList = () => Promise<KubernetesListObject<KubernetesObject>>;

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
  private watches: Partial<Record<Kind, ResourceWatch<KubernetesObject>>> = {};
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

  // Reduced forms last reported, so that only real changes are emitted.
  private readonly reported = new Map<string, string>();
  /** EndpointSlices by Service "namespace/name", maintained from watch events. */
  private readonly slicesByService = new Map<string, Map<string, KubernetesObject>>();
  private readonly serviceOfSlice = new Map<string, string>();

  constructor(
    config: MemberConfig,
    private readonly opts: MemberObserverOptions = {},
  ) {
    this.config = config;
    this.cluster = config.name;
    this.kc = config.kubeConfig;
    this.now = opts.now ?? Date.now;
    this.heartbeatMs = opts.heartbeatMs ?? 5000;
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? 3000;
    this.graceMs = opts.offlineGraceMs ?? 30000;
    this.logger = (opts.logger ?? rootLog).child({ cluster: config.name });
    this.stateSince = this.now();
    this.startedAt = this.stateSince;
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
      Ingress: this.watch('Ingress', '/apis/networking.k8s.io/v1/ingresses', () => networking.listIngressForAllNamespaces({}, timeout)),
      Service: this.watch('Service', '/api/v1/services', () => core.listServiceForAllNamespaces({}, timeout)),
      EndpointSlice: this.watch('EndpointSlice', '/apis/discovery.k8s.io/v1/endpointslices', () =>
        discovery.listEndpointSliceForAllNamespaces({}, timeout),
      ),
      Node: this.watch('Node', '/api/v1/nodes', () => core.listNode({}, timeout)),
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

  /**
   * The cluster as DNS sees it now. Offline and unknown snapshots still carry the last cached
   * objects: whether to keep publishing them is the core's decision, not the observer's.
   */
  snapshot(): ClusterObservation {
    const ingresses: ObservedIngress[] = [];
    for (const o of this.watches.Ingress?.list() ?? []) {
      const i = ingressOf(o);
      if (i) ingresses.push(i);
    }
    const services: ObservedService[] = [];
    for (const o of this.watches.Service?.list() ?? []) {
      const key = objectKey(o);
      const s = key ? serviceOf(o, this.readyEndpoints(`${key.namespace}/${key.name}`)) : undefined;
      if (s) services.push(s);
    }
    const topology = withRegistration(topologyOf(this.watches.Node?.list() ?? []), this.config.region, this.config.zones);
    return {
      cluster: this.cluster,
      state: this.state,
      ...(this.state !== 'online' && this.stateMessage ? { stateMessage: this.stateMessage } : {}),
      stateSince: new Date(this.stateSince).toISOString(),
      ...(topology.region ? { region: topology.region } : {}),
      zones: topology.zones,
      ingresses: ingresses.sort(byNamespaceName),
      services: services.sort(byNamespaceName),
    };
  }

  // ---- informers ----

  private watch(kind: Kind, path: string, list: AnyList): ResourceWatch<KubernetesObject> {
    const changed = (o: KubernetesObject, deleted: boolean): void => this.onObject(kind, o, deleted);
    return watchResource<KubernetesObject>(this.kc, path, list, {
      ...this.opts.watch,
      name: kind,
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

  private onObject(kind: Kind, o: KubernetesObject, deleted: boolean): void {
    const key = objectKey(o);
    if (!key) return;
    switch (kind) {
      case 'Ingress':
        this.reportIf(`Ingress ${key.namespace}/${key.name}`, deleted ? undefined : ingressOf(o), { kind, ...key });
        break;
      case 'Service':
        this.reportIf(`Service ${key.namespace}/${key.name}`, deleted ? undefined : serviceOf(o, 0), { kind, ...key });
        break;
      case 'EndpointSlice': {
        const touched = this.indexSlice(o, `${key.namespace}/${key.name}`, deleted);
        for (const svc of touched) {
          const [namespace = '', name = ''] = svc.split('/');
          this.reportIf(`EndpointSlice ${svc}`, this.readyEndpoints(svc), { kind, namespace, name });
        }
        break;
      }
      case 'Node': {
        const topology = topologyOf(this.watches.Node?.list() ?? []);
        this.reportIf('Node', topology, { kind });
        break;
      }
    }
  }

  /** Updates the slice index; returns the Services whose slices changed. */
  private indexSlice(slice: KubernetesObject, sliceKey: string, deleted: boolean): string[] {
    const touched: string[] = [];
    const before = this.serviceOfSlice.get(sliceKey);
    if (before !== undefined) {
      this.slicesByService.get(before)?.delete(sliceKey);
      if (this.slicesByService.get(before)?.size === 0) this.slicesByService.delete(before);
      this.serviceOfSlice.delete(sliceKey);
      touched.push(before);
    }
    const svc = deleted ? undefined : sliceServiceOf(slice);
    if (svc) {
      const k = `${svc.namespace}/${svc.name}`;
      let slices = this.slicesByService.get(k);
      if (!slices) this.slicesByService.set(k, (slices = new Map()));
      slices.set(sliceKey, slice);
      this.serviceOfSlice.set(sliceKey, k);
      if (!touched.includes(k)) touched.push(k);
    }
    return touched;
  }

  private readyEndpoints(serviceKey: string): number {
    const slices = this.slicesByService.get(serviceKey);
    return slices ? (readyEndpointsByService([...slices.values()]).get(serviceKey) ?? 0) : 0;
  }

  private reportIf(key: string, reduced: unknown, change: MemberChange): void {
    const digest = reduced === undefined ? undefined : JSON.stringify(reduced);
    if (this.reported.get(key) === digest) return;
    if (digest === undefined) this.reported.delete(key);
    else this.reported.set(key, digest);
    this.emit(change);
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
    const timer = setTimeout(() => ctrl.abort(new DOMException(`no answer within ${this.heartbeatTimeoutMs} ms`, 'TimeoutError')), this.heartbeatTimeoutMs);
    this.probeInFlight = ctrl;
    try {
      await (this.opts.probe ?? readyzProbe)(this.kc, ctrl.signal);
      if (!this.stopped) this.succeeded();
    } catch (err) {
      if (!this.stopped) this.failed(`heartbeat: ${ctrl.signal.aborted ? `no answer within ${this.heartbeatTimeoutMs} ms` : describeError(err)}`);
    } finally {
      clearTimeout(timer);
      this.probeInFlight = undefined;
    }
  }

  private succeeded(): void {
    if (this.stopped) return;
    const wasOffline = this.state === 'offline';
    this.lastSuccessAt = this.now();
    // The cluster answers: informers waiting out a backoff need not wait any longer.
    for (const w of Object.values(this.watches)) if (!w.running) w.restartNow();
    if (wasOffline) this.lastError = undefined;
    this.evaluate();
  }

  private failed(reason: string): void {
    if (this.stopped) return;
    this.lastError = reason;
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
    } else if (now - (this.lastSuccessAt ?? this.startedAt) > this.graceMs) {
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
    const pending = (Object.entries(this.watches) as [Kind, ResourceWatch<KubernetesObject>][])
      .filter(([, w]) => !w.synced)
      .map(([k, w]) => (w.lastError ? `${k} (${w.lastError})` : k));
    return pending.length ? `waiting for the first list of ${pending.join(', ')}` : 'waiting for the first contact';
  }
}
