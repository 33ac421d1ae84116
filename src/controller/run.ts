// `mcdns run`: wires the adapters around the reconciler. Host watches and member watches
// queue the records a change can affect; workers reconcile them; a cron resync catches
// anything a watch missed.
//
// Every replica watches everything (a standby has warm caches and takes over without a DNS
// flap); only the one that may write runs the workers. With --leader-elect that is the holder
// of the Lease: workers start when it becomes leader and stop when it loses the Lease, and every
// write passes a gate that closes at once when the Lease cannot be renewed in time. Workers
// start only once ready(): host caches synced and every member synced or declared offline
// (bounded by the offline grace), so a cold start does not publish half the members.
import { readFileSync } from 'node:fs';
import cron from 'node-cron';
import type { DNSRecord, RecordKind } from '../api/schema.js';
import type { ClusterObservation, ClusterState } from '../core/observation.js';
import { RECORD_KIND_LABEL } from '../core/dnsendpoint.js';
import { readyCondition, type RecordStatus } from '../core/status.js';
import { createLogger, type Logger } from '../log.js';
import { hostKubeConfig, membersFromKubeconfig } from '../members/kubeconfig.js';
import { KubeFedClusterSource } from '../members/kubefed.js';
import { bindMetricSources, observeProbe, observeReconcile, setLeader, startMetricsServer } from '../metrics.js';
import { MemberSet } from '../observe/members.js';
import { describeError, statusCodeOf } from '../errors.js';
import { EventReason, eventRecorder, type EventRecorder } from './events.js';
import { ApiHostView, type HostChange } from './host-view.js';
import { ApiHostWrites, GatedHostWrites, NotLeaderError } from './host-writes.js';
import { apiLeaseClient, defaultIdentity, LeaderElector } from './leader.js';
import { WorkQueue } from './queue.js';
import { Reconciler, RetryLater, keyOf, parseKey, type RecordKey } from './reconcile.js';
import { providerSettings } from '../commands/provider-options.js';
import { describeProviderConfig, type ProviderSettings } from '../apply/config.js';
import { DEFAULT_PROBE_CONCURRENCY, Prober } from '../health/index.js';
import { DirectOutputs, leaderGate, sinksFrom } from './direct.js';

export interface ControllerOptions {
  kubeconfig?: string;
  hostContext?: string;
  memberContexts: string[];
  kubefedClusters: boolean;
  kubefedNamespace: string;
  namespace?: string;
  dnsEndpointGroup: string;
  offlineGraceMs: number;
  heartbeatMs: number;
  workers: number;
  logLevel: string;
  /** Cron expression of the full resync (default every 5 minutes). */
  resyncSchedule: string;
  /** Address of /metrics, /healthz, /readyz ("0" or "" = none). */
  metricsAddress: string;
  leaderElect: boolean;
  /** Namespace of the Lease (default: the pod's namespace, else the host context's, else "default"). */
  leaderElectionNamespace?: string;
  /** Name of the Lease. */
  leaderElectionId: string;
  leaseDurationMs: number;
  /** How long SIGTERM waits for in-flight reconciles before abandoning them. */
  shutdownTimeoutMs: number;
  /** Direct DNS providers (none: DNSEndpoints for ExternalDNS only). */
  providers: ProviderSettings;
  /** Emit DNSEndpoints (on by default; may be turned off when a provider is configured). */
  dnsEndpoints: boolean;
  /** Keep the last published targets of a name whose targets all fail (default on). */
  failOpen: boolean;
  probeConcurrency: number;
  /** Extra CA bundle (PEM file) trusted by https probes. */
  probeCaFile?: string;
}

export function controllerOptions(raw: Record<string, unknown>): ControllerOptions {
  const str = (k: string) => (typeof raw[k] === 'string' && raw[k] !== '' ? (raw[k] as string) : undefined);
  const opts: ControllerOptions = {
    kubeconfig: str('kubeconfig'),
    hostContext: str('hostContext'),
    memberContexts: (str('memberContexts') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    kubefedClusters: raw.kubefedClusters === true || raw.kubefedClusters === 'true',
    kubefedNamespace: str('kubefedNamespace') ?? 'kube-federation-system',
    namespace: str('namespace'),
    dnsEndpointGroup: str('dnsendpointGroup') ?? 'externaldns.k8s.io',
    offlineGraceMs: Number(raw.offlineGrace ?? 30_000),
    heartbeatMs: Number(raw.heartbeatInterval ?? 5_000),
    workers: Number(raw.workers ?? 2),
    logLevel: str('logLevel') ?? 'info',
    resyncSchedule: str('resyncSchedule') ?? '*/5 * * * *',
    metricsAddress: str('metricsAddress') ?? '0',
    leaderElect: raw.leaderElect === true || raw.leaderElect === 'true',
    leaderElectionNamespace: str('leaderElectionNamespace'),
    leaderElectionId: str('leaderElectionId') ?? 'mcdns',
    leaseDurationMs: Number(raw.leaseDuration ?? 15_000),
    shutdownTimeoutMs: Number(raw.shutdownTimeout ?? 10_000),
    providers: providerSettings(raw),
    dnsEndpoints: raw.dnsendpoints !== false && raw.dnsendpoints !== 'false',
    failOpen: raw.failOpen !== false && raw.failOpen !== 'false',
    probeConcurrency: Number(raw.probeConcurrency ?? DEFAULT_PROBE_CONCURRENCY),
    probeCaFile: str('probeCaFile'),
  };
  if (!opts.dnsEndpoints && opts.providers.providers.length === 0) {
    throw new Error('--no-dnsendpoints needs a --provider: otherwise nothing would be published');
  }
  if (opts.memberContexts.length === 0 && !opts.kubefedClusters) {
    throw new Error('no member clusters: give --member-contexts and/or --kubefed-clusters');
  }
  if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new Error('--workers must be a positive integer');
  if (!(opts.leaseDurationMs >= 1000) || opts.leaseDurationMs % 1000 !== 0) {
    throw new Error('--lease-duration must be a whole number of seconds, at least 1s');
  }
  return opts;
}

const SA_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function leaseNamespace(opts: ControllerOptions, hostContextNamespace: string | undefined): string {
  if (opts.leaderElectionNamespace) return opts.leaderElectionNamespace;
  try {
    const ns = readFileSync(SA_NAMESPACE_FILE, 'utf8').trim();
    if (ns) return ns;
  } catch {
    // not in a pod
  }
  return hostContextNamespace || 'default';
}

/** Records whose DNS a member cluster contributes to (status.dns names it, or it has the record's Ingress/Service). */
function recordsServedBy(cluster: ClusterObservation, keys: RecordKey[], record: (k: RecordKey) => DNSRecord | undefined): RecordKey[] {
  return keys.filter((k) => {
    const r = record(k);
    const dns = ((r?.status as RecordStatus | undefined)?.dns ?? []) as Array<{ cluster?: string }>;
    if (dns.some((d) => d.cluster === cluster.cluster)) return true;
    const objects = k.kind === 'IngressDNSRecord' ? cluster.ingresses : cluster.services;
    return objects.some((o) => o.namespace === k.namespace && o.name === k.name);
  });
}

export interface Controller {
  /**
   * True once the host caches have synced and every member has synced or been declared offline
   * (at the latest after the offline grace); false again while shutting down.
   */
  ready(): boolean;
  /** May this replica write now (leader with a fresh Lease, or no leader election), and not stopping. */
  writing(): boolean;
  /** Event recorder on the record objects (writes only while writing()). */
  events: EventRecorder;
  /**
   * Graceful stop: stop taking work, let in-flight reconciles finish (up to shutdownTimeoutMs,
   * then abandon them: the gate refuses their remaining writes), release the Lease, stop watching.
   */
  stop(): Promise<void>;
  /** Resolves when stop() has finished. */
  done: Promise<void>;
}

export function startController(opts: ControllerOptions, logger: Logger = createLogger(opts.logLevel)): Controller {
  const hostKc = hostKubeConfig(opts.kubeconfig, opts.hostContext);
  const queue = new WorkQueue();
  const startedAt = Date.now();
  const members = new MemberSet({ logger, observer: { offlineGraceMs: opts.offlineGraceMs, heartbeatMs: opts.heartbeatMs, logger } });

  let view: ApiHostView | undefined;
  const all = (kind?: RecordKind, namespace?: string): RecordKey[] =>
    !view ? [] : kind ? view.records(kind, namespace) : [...view.records('IngressDNSRecord', namespace), ...view.records('ServiceDNSRecord', namespace)];
  const enqueue = (keys: RecordKey[]) => keys.forEach((k) => queue.add(keyOf(k)));

  view = new ApiHostView(hostKc, {
    namespace: opts.namespace,
    sharedDomainNamespace: opts.kubefedNamespace,
    dnsEndpointGroup: opts.dnsEndpointGroup,
    logger,
    members: () => members.snapshots(),
    onChange: (c: HostChange) => (c.kind === 'Domain' ? enqueue(all('ServiceDNSRecord')) : enqueue([c])),
  });

  // Which records a member change can affect: an Ingress only IngressDNSRecords of its
  // namespace (matched by name or host), a Service or EndpointSlice only ServiceDNSRecords of its
  // namespace; nodes (region/zone) and reachability affect them all.
  members.onChange((change) => {
    if (change.kind === 'Ingress') enqueue(all('IngressDNSRecord', change.namespace));
    else if (change.kind === 'Service' || change.kind === 'EndpointSlice') enqueue(all('ServiceDNSRecord', change.namespace));
    else enqueue(all());
    if (change.kind === 'State') clusterTransitions();
  });
  // Assigned below, once the write gate and the event recorder exist.
  let clusterTransitions: () => void = () => undefined;

  for (const m of membersFromKubeconfig(opts.kubeconfig, opts.memberContexts)) members.add(m);
  // Joining or unjoining a KubeFedCluster changes the member set without a restart.
  const kubefed = opts.kubefedClusters ? new KubeFedClusterSource(hostKc, { namespace: opts.kubefedNamespace, logger }) : undefined;
  kubefed?.onChange((change) => void members.apply(change));
  kubefed?.start();

  // ---- who may write ----
  let stopping = false;
  const elector = opts.leaderElect
    ? new LeaderElector(apiLeaseClient(hostKc), {
        namespace: leaseNamespace(opts, hostKc.getContextObject(hostKc.getCurrentContext())?.namespace),
        name: opts.leaderElectionId,
        identity: defaultIdentity(),
        leaseDurationMs: opts.leaseDurationMs,
        logger,
      })
    : undefined;
  const writing = () => !stopping && (elector ? elector.isLeader() : true);
  const writes = new GatedHostWrites(new ApiHostWrites(hostKc, opts.dnsEndpointGroup), { allowed: writing });
  const events = eventRecorder(writes, logger);
  // Provider writes pass the same gate as host writes: a replica that lost the Lease writes
  // nothing more to a DNS provider either.
  const direct = new DirectOutputs(sinksFrom(opts.providers, logger, leaderGate(writing)));
  const prober = new Prober({
    concurrency: opts.probeConcurrency,
    logger,
    ...(opts.probeCaFile ? { ca: [readFileSync(opts.probeCaFile, 'utf8')] } : {}),
  });
  prober.onProbe((r, ms) => observeProbe(r.ok ? 'healthy' : r.statusCode !== undefined ? 'unhealthy' : 'error', ms / 1000));
  const reconciler = new Reconciler(view, writes, opts.dnsEndpointGroup, logger, undefined, {
    events,
    direct,
    dnsEndpoints: opts.dnsEndpoints,
    prober,
    failOpen: opts.failOpen,
  });
  // A probe verdict that changes re-runs the record at once, and says so on the record.
  prober.onTransition((t) => {
    queue.add(t.record);
    const key = parseKey(t.record);
    const uid = view?.record(key)?.metadata.uid;
    const message = t.healthy
      ? `target ${t.target} (cluster ${t.cluster}) is healthy again`
      : `target ${t.target} (cluster ${t.cluster}) failed its health check: ${t.lastError ?? 'unhealthy'}`;
    logger.info('target health changed', { record: t.record, cluster: t.cluster, target: t.target, healthy: t.healthy, error: t.lastError });
    if (writing()) void events.record({ ...key, uid }, t.healthy ? 'Normal' : 'Warning', t.healthy ? EventReason.TargetHealthy : EventReason.TargetUnhealthy, message);
  });

  // ---- readiness ----
  // Ready: the host caches have synced, and every member has synced or been declared offline
  // (members get at most the offline grace). Workers wait for it, but never longer than the
  // offline grace: a missing CRD or a forbidden list must not stop the records that can work.
  let readyLatch = false;
  const graceOver = () => Date.now() - startedAt > opts.offlineGraceMs;
  const ready = (): boolean => {
    if (stopping) return false;
    if (readyLatch) return true;
    const hostSynced = (view?.synced() ?? false) && (kubefed?.synced() ?? true);
    const membersDecided = members.synced() || members.snapshots().every((m) => m.state !== 'unknown') || graceOver();
    readyLatch = hostSynced && membersDecided;
    return readyLatch;
  };
  const mayStart = (): boolean => {
    if (ready()) return true;
    if (!graceOver()) return false;
    logger.warn('starting to reconcile before every cache has synced', {
      waitingFor: [...(view?.unsynced() ?? []), ...(kubefed && !kubefed.synced() ? ['KubeFedCluster'] : [])],
    });
    return true;
  };

  // ---- workers ----
  const handle = async (key: string): Promise<void> => {
    const k = parseKey(key);
    const t0 = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
    try {
      const result = await reconciler.reconcile(k);
      observeReconcile(k.kind, true, seconds());
      queue.forget(key);
      logger.debug('reconciled', { record: key, ...result, verdict: result.verdict?.reason });
    } catch (err) {
      // A refused write can also reach here wrapped (a provider failure message): what counts is
      // that this replica may not write now.
      if (err instanceof NotLeaderError || !writing()) {
        // Lost the Lease (or stopping) mid-reconcile: the rest is the next leader's job. The key
        // stays queued in case this replica leads again.
        logger.info('reconcile abandoned: this replica may no longer write', { record: key });
        queue.addAfter(key, 1000);
        return;
      }
      observeReconcile(k.kind, false, seconds());
      const provider = err instanceof RetryLater;
      const retryInMs = queue.addRateLimited(key, provider ? err.delayMs : 0);
      const code = statusCodeOf(err);
      // 409: our cache was behind the API server; the retry reads the fresh object.
      const level = code === 409 ? 'info' : 'warn';
      const message = provider ? 'DNS provider failed, will retry' : 'reconcile failed, will retry';
      logger.log(level, message, { record: key, status: code, error: describeError(err), retryInMs });
    }
  };

  let working: { ctrl: AbortController; done: Promise<void> } | undefined;
  const startWorking = (): void => {
    if (working || stopping) return;
    const ctrl = new AbortController();
    const done = (async () => {
      while (!mayStart() && !ctrl.signal.aborted) await new Promise((r) => setTimeout(r, 100));
      if (ctrl.signal.aborted) return;
      logger.info('reconciling', { workers: opts.workers, queued: queue.depth });
      enqueue(all()); // level-triggered: whatever happened before, every record is checked once
      await queue.run(opts.workers, handle, ctrl.signal);
    })();
    working = { ctrl, done };
  };
  /** Stops the workers; resolves when the busy ones have finished their key (or after timeoutMs). */
  const stopWorking = async (timeoutMs = Infinity): Promise<boolean> => {
    const w = working;
    working = undefined;
    if (!w) return true;
    w.ctrl.abort();
    if (timeoutMs === Infinity) {
      await w.done;
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      w.done.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return finished;
  };

  if (elector) {
    elector.start({
      onStartedLeading: () => {
        setLeader(true);
        startWorking();
      },
      onStoppedLeading: (reason) => {
        setLeader(false);
        logger.warn('stopped reconciling: not the leader any more', { reason });
        void stopWorking();
      },
    });
  } else {
    setLeader(true);
    startWorking();
  }

  // ---- Events on member cluster transitions ----
  // online → offline, never-reached → offline and offline → online, on every record the cluster
  // serves. unknown → online (start-up) is not news. Followers track states but record nothing.
  const clusterStates = new Map<string, ClusterState>();
  clusterTransitions = (): void => {
    const snapshots = members.snapshots();
    for (const name of [...clusterStates.keys()]) if (!snapshots.some((s) => s.cluster === name)) clusterStates.delete(name);
    for (const snap of snapshots) {
      const before = clusterStates.get(snap.cluster);
      if (snap.state === 'unknown' || before === snap.state) continue;
      clusterStates.set(snap.cluster, snap.state);
      const news = snap.state === 'offline' || before === 'offline';
      if (!news || !writing()) continue;
      const offline = snap.state === 'offline';
      const reason = offline ? EventReason.ClusterOffline : EventReason.ClusterOnline;
      const message = offline
        ? `member cluster ${snap.cluster} is offline${snap.stateMessage ? ` (${snap.stateMessage})` : ''}: its addresses leave this record's DNS names until it answers again`
        : `member cluster ${snap.cluster} is online again: its addresses are published again`;
      const served = recordsServedBy(snap, all(), (k) => view?.record(k));
      logger.info('member cluster transition', { cluster: snap.cluster, from: before ?? 'unknown', to: snap.state, records: served.length });
      for (const k of served) {
        void events.record({ ...k, uid: view?.record(k)?.metadata.uid }, offline ? 'Warning' : 'Normal', reason, message);
      }
    }
  };

  // ---- metrics read at scrape time ----
  const unbindMetrics = bindMetricSources({
    queueDepth: () => queue.depth,
    clusterStates: () => members.snapshots().map((m) => m.state),
    records: () =>
      all().map((k) => {
        const c = readyCondition(view?.record(k)?.status as RecordStatus | undefined);
        return { kind: k.kind, status: c?.status, reason: c?.reason };
      }),
    publishedEndpoints: () =>
      (view?.dnsEndpointList() ?? []).map((ep) => ({
        kind: ep.metadata.labels?.[RECORD_KIND_LABEL] === 'servicednsrecord' ? 'ServiceDNSRecord' : 'IngressDNSRecord',
        endpoints: ep.spec.endpoints?.length ?? 0,
      })),
  });

  const resync = cron.schedule(opts.resyncSchedule, () => enqueue(all()), { noOverlap: true });

  logger.info('mcdns started', {
    hostContext: opts.hostContext ?? hostKc.getCurrentContext(),
    members: opts.memberContexts,
    kubefedClusters: opts.kubefedClusters,
    dnsEndpointGroup: opts.dnsEndpoints ? opts.dnsEndpointGroup : 'off',
    providers: opts.providers.providers.map(describeProviderConfig),
    leaderElection: elector ? { lease: `${elector.namespace}/${elector.name}`, identity: elector.identity, leaseDurationMs: elector.leaseDurationMs } : 'off',
  });

  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopped: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    stopping = true;
    await resync.stop();
    // 1. Take no new work; in-flight reconciles finish, up to the timeout.
    const finished = await stopWorking(opts.shutdownTimeoutMs);
    if (!finished) {
      logger.warn('in-flight reconciles did not finish in time: abandoning them (their remaining writes are refused)', {
        inFlight: queue.inFlight,
        timeoutMs: opts.shutdownTimeoutMs,
      });
    }
    // 2. `stopping` already closed the write gate; give the Lease up so a successor starts now.
    await prober.stop();
    await direct.close();
    await elector?.stop({ release: true });
    setLeader(false);
    // 3. Stop watching.
    queue.shutDown();
    await kubefed?.stop();
    await members.stop();
    await view?.stop();
    unbindMetrics();
    logger.info('stopped');
    resolveDone();
  };

  return {
    ready,
    writing,
    events,
    done,
    stop: () => (stopped ??= stop()),
  };
}

export async function runController(opts: ControllerOptions): Promise<void> {
  const logger = createLogger(opts.logLevel);
  const controller = startController(opts, logger);
  const server = await startMetricsServer({ address: opts.metricsAddress, ready: controller.ready, logger }).catch(async (err: unknown) => {
    await controller.stop();
    throw new Error(`--metrics-address ${opts.metricsAddress}: ${(err as Error).message}`);
  });
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      logger.warn('second signal: exiting without finishing the shutdown', { signal });
      process.exit(1);
    }
    logger.info('shutting down', { signal });
    void controller
      .stop()
      .then(() => server?.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error('shutdown failed', { error: describeError(err) });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await controller.done;
}
