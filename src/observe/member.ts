// Observes one member cluster: four watched caches (Ingress, Service, EndpointSlice, Node) and a
// reachability heartbeat, reduced on demand to a ClusterObservation for the pure core.
//
// What it keeps follows the records (interest.ts): an Ingress, a Service or an EndpointSlice is
// kept only while a record (or a kept Ingress's backend) refers to it; the others are parsed as
// their events arrive and dropped (filtered-list-watch.ts). When a record begins to need objects
// dropped before, they are read from the member (member-reads.ts). Nodes are all kept: the
// cluster's region and zones come from them.
import type { KubeConfig } from '@kubernetes/client-node';
import type { ClusterObservation, ClusterState } from '../core/observation.js';
import { normaliseName } from '../core/names.js';
import { describeError } from '../errors.js';
import type { WatchTuning } from '../kube/informer.js';
import { shareConnections } from '../kube/connections.js';
import { log as rootLog, type Logger } from '../log.js';
import type { MemberConfig } from './sources/member-config.js';
import { eventLoopStalls, type LoopStalls } from './event-loop.js';
import { Heartbeat, type Probe } from './heartbeat.js';
import { everything, wantKey, Wants, type FleetInterest, type InterestChange } from './interest.js';
import { MemberReads } from './member-reads.js';
import { MemberWatches, Slim, type Cached, type Kind } from './member-watches.js';
import { ClusterIndex, IngressProjection, key, project, type RecordQuery } from './projections.js';
import { GatewayApiObserver } from './gateway-api/routes.js';
import { byNamespaceName, objectKey, withRegistration } from './reduce.js';

type MemberChangeKind = Kind | 'Route' | 'State';

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
  /** Route: its kind (HTTPRoute, ...); the change may be of the route, its Gateways or backends, or its kind's availability. */
  routeKind?: string;
}

export interface MemberObserverOptions {
  /** Interval between reachability checks (default 5000 ms). */
  heartbeatMs?: number;
  /**
   * Timeout of one check (default 3000 ms): its floor, since the timeout grows with the member's
   * measured round trip (heartbeat.ts).
   */
  heartbeatTimeoutMs?: number;
  /**
   * Offline after this long without any successful contact (default 30000 ms), once a failure
   * has been seen since the last success.
   */
  offlineGraceMs?: number;
  /** Timeout of each list and read request (default 30000 ms). */
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
  /** What the fleet's records want (default: everything, for an observer used on its own). */
  interest?: FleetInterest;
  /**
   * At most this many Service names in the EndpointSlice watch's label selector (default 1000);
   * with more, every slice is sent and selected as it arrives.
   */
  sliceSelectorNames?: number;
  /** How often Gateway API discovery is asked again while a route kind records name is not served (default 30 s). */
  gatewayDiscoveryMs?: number;
}

/** How a member's link looks from here (metrics). */
export interface MemberLink {
  /** Smoothed round trip of the heartbeats, ms; undefined before the first. */
  roundTripMs?: number;
  heartbeatTimeoutMs: number;
  /** Objects of each kind the member holds, as far as its lists and watch events tell. */
  seen: Partial<Record<Kind, number>>;
}

const splitKey = (k: string): [string, string] => [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)];

/** The Service ("namespace/name") a cached EndpointSlice belongs to. */
function sliceOf(s: Cached): string | undefined {
  return s instanceof Slim ? (s.projection as ReturnType<typeof project.slice>).service : undefined;
}

export class MemberObserver {
  readonly cluster: string;
  private readonly kc: KubeConfig;
  private readonly config: MemberConfig;
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly graceMs: number;
  private readonly listeners = new Set<(change: MemberChange) => void>();
  private readonly interest: FleetInterest;
  /** The Services whose EndpointSlices this member's kept Ingresses route to (referrer: the Ingress). */
  private readonly backends = new Wants();
  private watches: MemberWatches | undefined;
  private reads: MemberReads | undefined;
  private gatewayApi: GatewayApiObserver | undefined;
  private heartbeat: Heartbeat | undefined;
  private unsubscribe: () => void = () => undefined;
  private started = false;
  private stopped = false;

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
    this.graceMs = opts.offlineGraceMs ?? 30000;
    this.logger = (opts.logger ?? rootLog).child({ cluster: config.name });
    this.stateSince = this.now();
    this.startedAt = this.stateSince;
    this.loop = opts.loop ?? eventLoopStalls();
    this.interest = opts.interest ?? everything();
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
    const requestTimeoutMs = this.opts.requestTimeoutMs ?? 30000;
    this.watches = new MemberWatches({
      cluster: this.cluster,
      kc: this.kc,
      requestTimeoutMs,
      tuning: this.opts.watch,
      logger: this.logger,
      interest: this.interest,
      backends: this.backends,
      ...(this.opts.sliceSelectorNames !== undefined ? { sliceSelectorNames: this.opts.sliceSelectorNames } : {}),
      on: {
        object: (kind, o, deleted) => this.onObject(kind, o, deleted),
        synced: () => this.evaluate(),
        healthy: () => this.succeeded(),
        error: (kind, err) => this.failed(`${kind} watch: ${describeError(err)}`),
        selected: (services) => void this.reads?.slices(services.filter((k) => this.stillWanted('EndpointSlice', ...splitKey(k)))),
      },
    });
    this.reads = new MemberReads({
      cluster: this.cluster,
      kc: this.kc,
      caches: this.watches.caches,
      requestTimeoutMs,
      logger: this.logger,
      stillWanted: (kind, ns, name) => this.stillWanted(kind, ns, name),
    });
    this.gatewayApi = new GatewayApiObserver({
      ...{ cluster: this.cluster, kc: this.kc, requestTimeoutMs, tuning: this.opts.watch, logger: this.logger, interest: this.interest, reads: this.reads, discoveryIntervalMs: this.opts.gatewayDiscoveryMs },
      referBackends: (referrer, services) => this.referBackends(referrer, services),
      readyEndpoints: (svc) => (this.index.readiness(svc) === 'unknown' ? undefined : this.index.readyEndpoints(svc)),
      changed: (routeKind, namespace, name) => this.emit({ kind: 'Route', routeKind, namespace, name }),
      healthy: () => this.succeeded(),
    });
    this.gatewayApi.start();
    this.unsubscribe = this.interest.onChange((change) => this.interestChanged(change));
    this.heartbeat = new Heartbeat({
      cluster: this.cluster,
      kc: this.kc,
      intervalMs: this.opts.heartbeatMs ?? 5000,
      timeoutFloorMs: this.opts.heartbeatTimeoutMs ?? 3000,
      timeoutCeilingMs: this.graceMs / 2,
      ...(this.opts.probe ? { probe: this.opts.probe } : {}),
      loop: this.loop,
      logger: this.logger,
      tick: () => this.evaluate(),
      ok: () => this.succeeded(),
      failed: (reason) => this.failed(reason),
    });
    this.heartbeat.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    this.heartbeat?.stop();
    this.reads?.stop();
    await Promise.all([this.watches?.stop(), this.gatewayApi?.stop()]);
  }

  /** Every informer has applied its first list. */
  synced(): boolean {
    return (this.watches?.synced() ?? false) && (this.gatewayApi?.settled() ?? false);
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
    if (q.kind === 'RouteDNSRecord') return { ...base, ...this.gatewayApi?.observe(q) };
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

  /** Objects indexed (retained), by kind. */
  counts(): Record<string, number> {
    return { ...this.index.counts(), ...this.gatewayApi?.counts() };
  }

  /** The link to the member: its round trip, the heartbeat's timeout, the objects it holds. */
  link(): MemberLink {
    const rtt = this.heartbeat?.roundTrip.smoothedMs;
    return {
      ...(rtt !== undefined ? { roundTripMs: rtt } : {}),
      heartbeatTimeoutMs: this.heartbeat?.timeoutMs ?? this.opts.heartbeatTimeoutMs ?? 3000,
      seen: this.watches?.seen() ?? {},
    };
  }

  // ---- what the records want ----

  /** Reads what began to be wanted, lets go of what ceased to be; settles when the reads have. */
  private interestChanged(change: InterestChange): Promise<void> | undefined {
    const watches = this.watches;
    const reads = this.reads;
    if (!watches || !reads || this.stopped) return undefined;
    for (const ns of change.ingressNamespacesShrunk) {
      watches.caches.Ingress.forget(ns, (i) => !(i instanceof IngressProjection && this.interest.wantsIngress(i.namespace, i.name, i.hosts)));
    }
    for (const svc of change.servicesShrunk) this.letGoOfService(svc);
    if (change.services.length > 0 || change.servicesShrunk.length > 0) watches.sliceInterestChanged();
    const routes = this.gatewayApi?.interestChanged(change);
    const pending = [...change.ingresses.map((i) => this.readIngress(i.namespace, i.name, i.named, i.hosts.length > 0)), ...(change.services.length > 0 ? [reads.services(change.services)] : []), ...(routes ? [routes] : [])];
    return pending.length > 0 ? Promise.all(pending).then(() => undefined) : undefined;
  }

  /**
   * A record's own Ingress by name; its namespace's Ingresses (for the hosts they list) only when
   * it has none here: KubeFed's rule is one Ingress of the record's name, the hosts the fallback.
   */
  private async readIngress(namespace: string, name: string, named: boolean, hosts: boolean): Promise<void> {
    const reads = this.reads!;
    if (named) await reads.ingress(namespace, name);
    if ((named || hosts) && !this.watches?.caches.Ingress.get(name, namespace)) await reads.ingress(namespace);
  }

  /** A Service no record reads any more: its object, and its slices unless an Ingress routes to it. */
  private letGoOfService(svc: string): void {
    const caches = this.watches!.caches;
    const [namespace = '', name = ''] = svc.split('/');
    caches.Service.forget(namespace, (s) => s.metadata?.name === name);
    if (!this.backends.has(svc)) caches.EndpointSlice.forget(namespace, (s) => sliceOf(s) === svc);
  }

  private stillWanted(kind: string, namespace: string, name: string | undefined): boolean {
    if (kind !== 'Ingress' && kind !== 'Service' && kind !== 'EndpointSlice') return this.gatewayApi?.stillWanted(kind, namespace, name) ?? false;
    if (kind === 'Ingress') return name === undefined || this.interest.wantsNamedIngress(namespace, name);
    if (name === undefined) return true;
    const k = wantKey(namespace, name);
    return this.interest.wantsService(k) || (kind === 'EndpointSlice' && this.backends.has(k));
  }

  // ---- objects ----

  private onObject(kind: Kind, o: Cached, deleted: boolean): void {
    const id = objectKey(o);
    if (!id) return;
    const k = key(id.namespace, id.name);
    const projection = deleted ? undefined : o instanceof Slim ? o.projection : o;
    switch (kind) {
      case 'Ingress': {
        const next = projection as IngressProjection | undefined;
        const changed = this.index.setIngress(k, next);
        if (changed) this.emit({ kind, ...id, hosts: changed.hosts });
        this.referBackends(k, (next?.backends ?? []).map((b) => wantKey(id.namespace, b)));
        // A record's own Ingress is gone: Ingresses listing its hosts, dropped while it was there, serve it now.
        if (deleted && this.interest.wantsNamedIngress(id.namespace, id.name)) void this.reads?.ingress(id.namespace);
        break;
      }
      case 'Service':
        if (this.index.setService(k, projection as ReturnType<typeof project.service>)) this.emit({ kind, ...id });
        break;
      case 'EndpointSlice':
        this.onSlice(k, projection as ReturnType<typeof project.slice> | undefined);
        break;
      case 'Node':
        if (this.index.setNode(id.name, projection as ReturnType<typeof project.node> | undefined)) this.emit({ kind });
        break;
    }
  }

  /** A kept Ingress (or route) wants the EndpointSlices of its backends ("namespace/name"): read those newly wanted, let go of the others. */
  private referBackends(referrer: string, services: string[]): void {
    const { grown, shrunk } = this.backends.refer(referrer, services);
    for (const svc of shrunk) {
      const namespace = svc.slice(0, svc.indexOf('/'));
      if (!this.interest.wantsService(svc)) this.watches?.caches.EndpointSlice.forget(namespace, (s) => sliceOf(s) === svc);
    }
    const toRead = grown.filter((svc) => !this.interest.wantsService(svc));
    if (toRead.length > 0) void this.reads?.slices(toRead);
    if (grown.length > 0 || shrunk.length > 0) this.watches?.sliceInterestChanged();
  }

  private onSlice(k: string, next: ReturnType<typeof project.slice> | undefined): void {
    // Ingresses re-run only when a backend's readiness flips (none ↔ some ready, or known ↔
    // unknown), not on every endpoint that comes and goes.
    const owners = [this.index.sliceService(k), next?.service].filter((s): s is string => s !== undefined);
    const before = new Map(owners.map((svc) => [svc, this.index.readiness(svc)]));
    for (const svc of this.index.setSlice(k, next)) {
      const [namespace = '', name = ''] = svc.split('/');
      this.emit({ kind: 'EndpointSlice', namespace, name });
    }
    for (const [svc, was] of before) {
      if (this.index.readiness(svc) === was) continue;
      this.gatewayApi?.backendReadinessChanged(svc);
      for (const i of this.index.ingressesBackedBy(svc)) {
        this.emit({ kind: 'Ingress', namespace: i.namespace, name: i.name, hosts: i.hosts.map(normaliseName).sort() });
      }
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

  private succeeded(): void {
    if (this.stopped) return;
    const wasOffline = this.state === 'offline';
    this.lastSuccessAt = this.now();
    this.failedSinceSuccess = false;
    // The cluster answers: informers waiting out a backoff need not wait any longer.
    this.watches?.restartStopped();
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
    const pending = this.watches?.pending() ?? [];
    if (pending.length > 0 && !this.interest.ready) return `waiting for the host's records, then the first list of ${pending.join(', ')}`;
    return pending.length ? `waiting for the first list of ${pending.join(', ')}` : 'waiting for the first contact';
  }
}
