// Leader election on a coordination.k8s.io/v1 Lease, the algorithm of client-go's
// leaderelection package (client-node 2.0.1 has no implementation of its own):
//
//   - every candidate reads the Lease each retry period; the holder renews it (renewTime) each
//     retry period with an update that carries the resourceVersion it read, so two replicas
//     can never both succeed (the API server answers 409 to the slower one);
//   - a candidate takes the Lease over only when the holder has not changed it for
//     leaseDurationSeconds, measured on the candidate's own clock from the moment it first saw
//     that version (no clock comparison between machines);
//   - the holder counts itself leader only until renewDeadline after the start of its last
//     successful renewal, which is shorter than the lease duration: a leader cut off from the
//     API server stops writing before anyone else can take over. isLeader() checks the clock,
//     so the gate closes on time even while a renewal request hangs;
//   - on shutdown the holder releases the Lease (holder "", duration 1 s) so a successor takes
//     over at its next retry instead of waiting for the lease to expire.
//
// Defaults follow client-go and kube-controller-manager: 15 s lease, 10 s renew deadline,
// 2 s retry period.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import {
  CoordinationV1Api,
  CoreV1Api,
  Observable,
  V1MicroTime,
  type ConfigurationOptions,
  type KubeConfig,
  type RequestContext,
  type ResponseContext,
  type V1Lease,
} from '@kubernetes/client-node';
import { describeError, statusCodeOf } from '../errors.js';
import type { Logger } from '../log.js';
import { observeLeaseRenewal } from '../metrics/metrics.js';
import { eventBody } from './event-body.js';

/** The three Lease calls the elector makes; CoordinationV1Api in production. */
export interface LeaseClient {
  read(namespace: string, name: string, signal: AbortSignal): Promise<V1Lease>;
  create(namespace: string, lease: V1Lease, signal: AbortSignal): Promise<V1Lease>;
  /** Must send lease.metadata.resourceVersion (optimistic concurrency). */
  replace(namespace: string, name: string, lease: V1Lease, signal: AbortSignal): Promise<V1Lease>;
  /** Best effort: an Event on the Lease ("<identity> became leader"). */
  event?(namespace: string, lease: V1Lease, reason: string, message: string): Promise<void>;
}

function withSignal(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (ctx: RequestContext) => {
          ctx.setSignal(signal);
          return new Observable(Promise.resolve(ctx));
        },
        post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: 'append',
  };
}

export function apiLeaseClient(kc: KubeConfig, component = 'mcdns'): LeaseClient {
  const api = kc.makeApiClient(CoordinationV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    read: (namespace, name, signal) => api.readNamespacedLease({ namespace, name }, withSignal(signal)),
    create: (namespace, body, signal) => api.createNamespacedLease({ namespace, body }, withSignal(signal)),
    replace: (namespace, name, body, signal) => api.replaceNamespacedLease({ namespace, name, body }, withSignal(signal)),
    async event(namespace, lease, reason, message) {
      const name = lease.metadata?.name ?? 'lease';
      const involvedObject = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name, namespace, uid: lease.metadata?.uid };
      const body = eventBody({ involvedObject, type: 'Normal', reason, message, component });
      await core.createNamespacedEvent({ namespace, body }, withSignal(AbortSignal.timeout(5_000)));
    },
  };
}

export interface LeaderElectionOptions {
  namespace: string;
  /** Name of the Lease (default "mcdns"). */
  name?: string;
  /** This replica's identity in the Lease (default <pod or host name>_<uuid>). */
  identity?: string;
  /** Default 15 s. */
  leaseDurationMs?: number;
  /** Default: 2/3 of the lease duration (10 s for 15 s). Must be shorter than the lease duration. */
  renewDeadlineMs?: number;
  /** Default: 2/15 of the lease duration (2 s for 15 s). Must be shorter than the renew deadline. */
  retryPeriodMs?: number;
  logger: Logger;
  now?: () => number;
}

export interface LeaderCallbacks {
  /** This replica became leader: start working. */
  onStartedLeading(): void;
  /** This replica stopped being leader (lost, could not renew in time, or stopped): stop writing now. */
  onStoppedLeading(reason: string): void;
  /** The Lease names a different holder than last time ("" = nobody). */
  onNewLeader?(identity: string): void;
}

/** `<pod or host name>_<uuid>`: the pod's name when known (a hostNetwork pod's hostname is the node's). */
export function defaultIdentity(name: string = hostname()): string {
  return `${name}_${randomUUID()}`;
}

const micro = (ms: number): V1MicroTime => new V1MicroTime(ms);

export class LeaderElector {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly requestTimeoutMs: number;

  private leading = false;
  /** Local time at which the last successful acquire/renew request was sent. */
  private renewedAt = 0;
  /** The Lease as last read or written, and when (local clock) its version was first seen. */
  private lease: V1Lease | undefined;
  private observedAt = 0;
  private holder: string | undefined;
  /** When another holder's lease runs out on our clock, if another replica holds it. */
  private holderLeaseEndsAt: number | undefined;
  private callbacks: LeaderCallbacks | undefined;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private readonly stopCtrl = new AbortController();
  private wake: (() => void) | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: LeaseClient,
    opts: LeaderElectionOptions,
  ) {
    this.namespace = opts.namespace;
    this.name = opts.name ?? 'mcdns';
    this.identity = opts.identity ?? defaultIdentity();
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? Math.round((this.leaseDurationMs * 2) / 3);
    this.retryPeriodMs = opts.retryPeriodMs ?? Math.round((this.leaseDurationMs * 2) / 15);
    if (this.leaseDurationMs < 1000 || this.leaseDurationMs % 1000 !== 0) {
      throw new Error('lease duration must be a whole number of seconds, at least 1 s');
    }
    if (!(this.renewDeadlineMs < this.leaseDurationMs)) throw new Error('renew deadline must be shorter than the lease duration');
    if (!(this.retryPeriodMs > 0 && this.retryPeriodMs < this.renewDeadlineMs)) {
      throw new Error('retry period must be positive and shorter than the renew deadline');
    }
    this.requestTimeoutMs = Math.max(1000, Math.min(5000, Math.round(this.renewDeadlineMs / 3)));
    this.log = opts.logger.child({ lease: `${this.namespace}/${this.name}`, identity: this.identity });
    this.now = opts.now ?? Date.now;
  }

  /**
   * True while this replica holds the Lease and its last renewal is younger than the renew
   * deadline. The write gate of the controller.
   */
  isLeader(): boolean {
    return this.leading && this.now() - this.renewedAt < this.renewDeadlineMs;
  }

  /** The holder named by the Lease as last seen (undefined before the first read). */
  get currentLeader(): string | undefined {
    return this.holder;
  }

  /** Starts campaigning; callbacks fire on every transition until stop(). */
  start(callbacks: LeaderCallbacks): void {
    if (this.loop) throw new Error('leader elector already started');
    this.callbacks = callbacks;
    this.log.info('leader election: campaigning', {
      leaseDurationMs: this.leaseDurationMs,
      renewDeadlineMs: this.renewDeadlineMs,
      retryPeriodMs: this.retryPeriodMs,
    });
    this.loop = this.run();
  }

  /**
   * Stops campaigning. If this replica leads, it steps down first (onStoppedLeading), then —
   * with release — gives the Lease up so that a successor takes over at once.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopCtrl.abort();
    this.wake?.();
    await this.loop;
    const wasLeading = this.leading;
    this.stepDown('shutting down');
    if (wasLeading && opts.release) await this.release();
  }

  /** Stops campaigning without stepping down or releasing: what a crash looks like (tests). */
  async abandon(): Promise<void> {
    this.stopped = true;
    this.stopCtrl.abort();
    this.wake?.();
    await this.loop;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const started = this.now();
      const renewing = this.leading;
      const t0 = performance.now();
      let acquired = false;
      try {
        acquired = await this.tryAcquireOrRenew(started);
        if (renewing) observeLeaseRenewal(acquired ? 'success' : 'lost', (performance.now() - t0) / 1000);
      } catch (err) {
        if (this.stopped) break;
        if (renewing) observeLeaseRenewal('error', (performance.now() - t0) / 1000);
        this.log.log(this.leading ? 'warn' : 'debug', 'leader election: could not read or update the Lease', {
          status: statusCodeOf(err),
          error: describeError(err),
        });
      }
      if (this.stopped) break;
      if (acquired) {
        this.renewedAt = started;
        this.armDeadline();
        if (!this.leading) {
          this.leading = true;
          this.log.info('leader election: became leader');
          void this.client.event?.(this.namespace, this.lease as V1Lease, 'LeaderElection', `${this.identity} became leader`).catch(() => undefined);
          this.callbacks?.onStartedLeading();
        }
      } else if (this.leading) {
        if (this.holder !== undefined && this.holder !== this.identity) this.stepDown(`the Lease is now held by ${this.holder || 'nobody'}`);
        else if (this.now() - this.renewedAt >= this.renewDeadlineMs) this.stepDown('could not renew the Lease within the renew deadline');
      }
      // Candidates spread their attempts a little (client-go uses a jitter factor of 1.2; a smaller
      // one keeps the observation lag, and so the takeover time, shorter), and never sleep past
      // the moment the holder's lease runs out on their clock; the leader renews on time.
      let delay = this.leading ? this.retryPeriodMs : this.retryPeriodMs * (1 + Math.random() * 0.2);
      if (!this.leading && this.holderLeaseEndsAt !== undefined) delay = Math.max(0, Math.min(delay, this.holderLeaseEndsAt - this.now() + 20));
      await this.sleep(delay);
    }
  }

  private stepDown(reason: string): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    if (!this.leading) return;
    this.leading = false;
    this.log.warn('leader election: stopped leading', { reason });
    this.callbacks?.onStoppedLeading(reason);
  }

  /** Fires at the renew deadline so the workers stop at once even if the loop is stuck in a request. */
  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    const renewedAt = this.renewedAt;
    this.deadlineTimer = setTimeout(() => {
      if (this.renewedAt === renewedAt) this.stepDown('could not renew the Lease within the renew deadline');
    }, Math.max(0, renewedAt + this.renewDeadlineMs - this.now()));
    this.deadlineTimer.unref();
  }

  private signal(): AbortSignal {
    return AbortSignal.any([this.stopCtrl.signal, AbortSignal.timeout(this.requestTimeoutMs)]);
  }

  private observe(lease: V1Lease): void {
    const version = lease.metadata?.resourceVersion;
    if (version !== this.lease?.metadata?.resourceVersion) this.observedAt = this.now();
    this.lease = lease;
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.holder) {
      this.holder = holder;
      if (holder !== this.identity) this.log.info('leader election: new leader observed', { leader: holder || '(none)' });
      this.callbacks?.onNewLeader?.(holder);
    }
  }

  private spec(now: number, previous: V1Lease['spec'] | undefined): NonNullable<V1Lease['spec']> {
    const mine = previous?.holderIdentity === this.identity && this.leading;
    const transitions = previous?.leaseTransitions ?? 0;
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseDurationMs / 1000,
      acquireTime: mine && previous?.acquireTime ? micro(new Date(previous.acquireTime).getTime()) : micro(now),
      renewTime: micro(now),
      leaseTransitions: mine || !previous ? transitions : transitions + 1,
    };
  }

  /**
   * A renewal may take most of the renew deadline (client-go gives each round all of it): under
   * a loaded API server a short per-request timeout gives up on renewals that would have kept
   * the lead. The Lease's resourceVersion fences it, and one that lands after this replica
   * stepped down only makes it leader again.
   */
  private renewalSignal(): AbortSignal {
    return AbortSignal.any([this.stopCtrl.signal, AbortSignal.timeout(Math.max(this.requestTimeoutMs, this.renewDeadlineMs - this.retryPeriodMs))]);
  }

  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    // The leader's fast path (client-go's too): update the Lease as last seen, no read first; a
    // conflict (someone wrote it since) falls back to read and decide.
    if (this.leading && this.lease?.spec?.holderIdentity === this.identity) {
      const next: V1Lease = { ...this.lease, spec: { ...this.lease.spec, ...this.spec(now, this.lease.spec) } };
      try {
        this.observe(await this.client.replace(this.namespace, this.name, next, this.renewalSignal()));
        return true;
      } catch (err) {
        if (statusCodeOf(err) !== 409) throw err;
      }
    }
    let current: V1Lease;
    try {
      current = await this.client.read(this.namespace, this.name, this.leading ? this.renewalSignal() : this.signal());
    } catch (err) {
      if (statusCodeOf(err) !== 404) throw err;
      try {
        const created = await this.client.create(
          this.namespace,
          { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.name, namespace: this.namespace }, spec: this.spec(now, undefined) },
          this.signal(),
        );
        this.observe(created);
        return true;
      } catch (createErr) {
        if (statusCodeOf(createErr) === 409) return false; // another replica created it first
        throw createErr;
      }
    }
    this.observe(current);
    const spec = current.spec;
    const holder = spec?.holderIdentity ?? '';
    const durationMs = (spec?.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    this.holderLeaseEndsAt = holder !== '' && holder !== this.identity ? this.observedAt + durationMs : undefined;
    if (this.holderLeaseEndsAt !== undefined && this.now() < this.holderLeaseEndsAt) return false;
    if (holder !== this.identity && holder !== '') {
      this.log.info('leader election: the Lease expired, taking it over', { previous: holder });
    }
    const next: V1Lease = { ...current, spec: { ...spec, ...this.spec(now, spec) } };
    try {
      this.observe(await this.client.replace(this.namespace, this.name, next, this.leading ? this.renewalSignal() : this.signal()));
      return true;
    } catch (err) {
      if (statusCodeOf(err) === 409) return false; // someone else wrote it since we read it
      throw err;
    }
  }

  private async release(): Promise<void> {
    const lease = this.lease;
    if (!lease || lease.spec?.holderIdentity !== this.identity) return;
    const now = this.now();
    const body: V1Lease = {
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        acquireTime: micro(now),
        renewTime: micro(now),
      },
    };
    try {
      this.lease = await this.client.replace(this.namespace, this.name, body, AbortSignal.timeout(this.requestTimeoutMs));
      this.log.info('leader election: released the Lease');
    } catch (err) {
      this.log.warn('leader election: could not release the Lease; a successor takes over when it expires', {
        status: statusCodeOf(err),
        error: describeError(err),
      });
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
