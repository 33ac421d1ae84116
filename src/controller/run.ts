// `mcdns run`: wires the adapters around the reconciler and starts them as runnables of one
// manager: member observation, the host view, leader election, workers, the resync, metrics.
// Host watches and member watches queue only the records a change can affect (fan-out.ts);
// workers reconcile them; a cron resync catches anything a watch missed.
//
// Every replica watches everything (a standby has warm caches and takes over without a DNS
// flap); only the one that may write runs the workers. With --leader-elect that is the holder
// of the Lease: workers start when it becomes leader and stop when it loses the Lease, and every
// write passes a gate that closes at once when the Lease cannot be renewed in time. Workers
// start only once ready(): host caches synced and every member synced or declared offline
// (bounded by the offline grace), so a cold start does not publish half the members.
import { readFileSync } from 'node:fs';
import { RECORD_KIND_LABEL } from '../core/dnsendpoint.js';
import { readyCondition, type RecordStatus } from '../core/status.js';
import { createLogger, type Logger } from '../log.js';
import { hostKubeConfig, membersFromKubeconfig } from '../observe/sources/kubeconfig.js';
import { KubeFedClusterSource } from '../observe/sources/kubefed.js';
import { observeProbe, setLeader } from '../metrics/metrics.js';
import { startMetricsServer } from '../metrics/server.js';
import { bindMetricSources } from '../metrics/sources.js';
import { MemberSet } from '../observe/members.js';
import { shareConnections } from '../kube/connections.js';
import { endpointCount } from '../kube/slim.js';
import { describeError } from '../errors.js';
import { eventRecorder, type EventRecorder } from './events/recorder.js';
import { HealthTransitions } from './events/health-transitions.js';
import { ApiHostView } from './host/host-view.js';
import { ApiHostWrites, HOST_REQUEST_TIMEOUT_MS, GatedHostWrites } from './host/host-writes.js';
import { apiLeaseClient, defaultIdentity, LeaderElector } from '../kube/leader-election.js';
import { WorkQueue } from './runtime/queue.js';
import { Reconciler } from './reconcile/reconciler.js';
import { keyOf, parseKey, type RecordKey } from '../core/record-key.js';
import { describeProviderConfig, type ProviderSettings } from '../apply/config.js';
import { DEFAULT_PROBE_CONCURRENCY, Prober, ProbePolicy, type ProbePolicyOptions } from '../health/index.js';
import { ClaimIndex } from './triggers/claims.js';
import { ApiNamePolicy } from './host/name-policy.js';
import { DirectOutputs, leaderGate, sinksFrom } from '../apply/outputs.js';
import { FanOut } from './triggers/fan-out.js';
import { Manager, runnable } from './runtime/manager.js';
import { OwnWrites } from './host/own-writes.js';
import { Readiness } from './runtime/readiness.js';
import { Resync } from './triggers/resync.js';
import { ServedRecords } from './triggers/served.js';
import { TransitionEvents } from './events/member-transitions.js';
import { Workers } from './workers.js';

/**
 * Records reconciled at once. A reconcile is mostly waiting on host API writes, so this is a
 * bound on concurrent I/O, not on CPU; one waiting for its provider batch gives its place back
 * (queue.ts Slot), so batches are not bounded by it.
 */
export const DEFAULT_WORKERS = 64;

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
  /** TTL (seconds) of health-checked names without a recordTTL; 0: KubeFed's 180 s. */
  healthCheckedTtlS: number;
  probeConcurrency: number;
  /** Extra CA bundle (PEM file) trusted by https probes. */
  probeCaFile?: string;
  /** Which networks and ports health probes may reach. */
  probePolicy: ProbePolicyOptions;
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
  const hostKc = shareConnections(hostKubeConfig(opts.kubeconfig, opts.hostContext));
  const manager = new Manager(logger);
  const queue = new WorkQueue();
  const served = new ServedRecords();
  const own = new OwnWrites();
  let stopping = false;

  // ---- observing: members, then the host ----
  const members = new MemberSet({ logger, observer: { offlineGraceMs: opts.offlineGraceMs, heartbeatMs: opts.heartbeatMs, logger } });
  let fanOut: FanOut | undefined; // set once the view exists; no event can arrive before then
  const view = new ApiHostView(hostKc, {
    namespace: opts.namespace,
    sharedDomainNamespace: opts.kubefedNamespace,
    dnsEndpointGroup: opts.dnsEndpointGroup,
    logger,
    members: (q) => members.observationsFor(q),
    onChange: (c) => fanOut?.host(c),
  });
  const allKeys = (): string[] => [...view.records('IngressDNSRecord'), ...view.records('ServiceDNSRecord')].map(keyOf);
  fanOut = new FanOut(view, served, queue, own, allKeys);

  // ---- who may write ----
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
  // A host write may take at most the time between the renew deadline (2/3 of the Lease, when the
  // gate closes) and the Lease's expiry, so none lands once another replica may lead.
  const hostWriteTimeoutMs = opts.leaderElect ? Math.max(1000, Math.round(opts.leaseDurationMs / 3)) : HOST_REQUEST_TIMEOUT_MS;
  const writes = new GatedHostWrites(new ApiHostWrites(hostKc, opts.dnsEndpointGroup, undefined, own, hostWriteTimeoutMs), { allowed: writing });
  const events = eventRecorder(writes, logger);

  // ---- member cluster transitions: the records they serve, and one Event each ----
  const transitions = new TransitionEvents({
    events,
    served: (cluster) => served.recordsOf(cluster),
    uid: (k) => view.record(k)?.metadata.uid,
    writing,
    logger,
  });
  members.onChange((change) => {
    fanOut?.member(change);
    if (change.kind === 'State') transitions.observe(members.statuses());
  });
  const fromKubeconfig = () => membersFromKubeconfig(opts.kubeconfig, opts.memberContexts).forEach((m) => members.add(m));
  manager.run(runnable('members', fromKubeconfig, () => members.stop()));
  // Joining or unjoining a KubeFedCluster changes the member set without a restart.
  const kubefed = opts.kubefedClusters ? new KubeFedClusterSource(hostKc, { namespace: opts.kubefedNamespace, logger }) : undefined;
  if (kubefed) {
    kubefed.onChange((change) => void members.apply(change));
    manager.run(runnable('kubefed clusters', () => kubefed.start(), () => kubefed.stop()));
  }
  manager.run(runnable('host view', () => undefined, () => view.stop()));

  // ---- reconciling ----
  // Provider writes pass the same gate as host writes: a replica that lost the Lease writes
  // nothing more to a DNS provider either.
  const direct = new DirectOutputs(sinksFrom(opts.providers, logger, leaderGate(writing)));
  direct.onRepublished((k) => queue.add(keyOf(k)));
  // Probes run only while this replica may write: a follower's verdicts would be thrown away,
  // and a deposed leader's would go on loading every target for nothing.
  const prober = new Prober({
    concurrency: opts.probeConcurrency,
    logger,
    paused: elector !== undefined,
    ...(opts.probeCaFile ? { ca: [readFileSync(opts.probeCaFile, 'utf8')] } : {}),
    policy: new ProbePolicy(opts.probePolicy),
  });
  // A hostname target checked by the probe policy may now be published (or stays out): re-run.
  prober.onScreened((record) => queue.add(record));
  // One owner per name: a change of a name's claimants re-runs its other claimants at once.
  const claims = new ClaimIndex();
  claims.onChange((records) => records.forEach((r) => queue.add(r)));
  // Authorised names: a policy change re-runs every record, a namespace's labels its records.
  const namePolicy = new ApiNamePolicy(hostKc, logger);
  namePolicy.onChange((namespace) => allKeys().filter((k) => namespace === undefined || parseKey(k).namespace === namespace).forEach((k) => queue.add(k)));
  manager.run(runnable('name policy', () => undefined, () => namePolicy.stop()));
  prober.onProbe((r, ms) => observeProbe(r.ok ? 'healthy' : r.statusCode !== undefined ? 'unhealthy' : 'error', ms / 1000));
  const reconciler = new Reconciler(view, writes, opts.dnsEndpointGroup, logger, undefined, {
    events,
    direct,
    dnsEndpoints: opts.dnsEndpoints,
    prober,
    failOpen: opts.failOpen,
    healthCheckedTtl: opts.healthCheckedTtlS,
    claims,
    namePolicy,
  });
  // Verdict changes re-run the record and say so on it, batched per record (health-transitions.ts).
  const health = new HealthTransitions({ events, enqueue: (r) => queue.add(r), uid: (k) => view.record(k)?.metadata.uid, writing, logger });
  prober.onTransition((t) => health.observe(t));

  const readiness = new Readiness({
    hostSynced: () => view.synced() && (kubefed?.synced() ?? true) && namePolicy.synced(),
    hostWaitingFor: () => [...view.unsynced(), ...(kubefed && !kubefed.synced() ? ['KubeFedCluster'] : []), ...namePolicy.unsynced()],
    membersDecided: () => members.synced() || members.statuses().every((m) => m.state !== 'unknown'),
    graceMs: opts.offlineGraceMs,
    stopping: () => stopping,
    logger,
  });
  const workers = new Workers({
    queue,
    reconciler,
    workers: opts.workers,
    logger,
    writing,
    mayStart: () => readiness.mayStart(),
    allKeys: () => {
      const keys = allKeys();
      reconciler.seedClaims(keys.map(parseKey)); // every older claim is known before the first reconcile
      return keys;
    },
    publishOutputs: (k, outputs) => reconciler.publishOutputs(k, outputs),
    recordsSynced: () => view.recordsSynced(),
    ...(direct.configured
      ? {
          // Only records this replica watches: another namespace's records are not ours to judge.
          orphans: async () =>
            (await direct.orphans((k) => view.record(k) !== undefined || (opts.namespace !== undefined && k.namespace !== opts.namespace))).map(keyOf),
        }
      : {}),
    reconciled: (key, result, k: RecordKey) => {
      if (result) served.set(k, result.clusters ?? []);
      fanOut?.settle(key);
    },
  });

  // ---- leader election starts and stops the workers ----
  manager.run(
    runnable(
      'leader election',
      () => {
        if (!elector) {
          setLeader(true);
          workers.start();
          return;
        }
        elector.start({
          onStartedLeading: () => {
            setLeader(true);
            // Verdicts start from the records' status.health (Reconciler), not from "healthy".
            prober.resume();
            // Another leader may have written meanwhile: no zone read in an earlier term guides a write.
            direct.forgetZones();
            workers.start();
          },
          onStoppedLeading: (reason) => {
            setLeader(false);
            transitions.clear();
            health.clear();
            void prober.pause();
            reconciler.forgetConfirmed();
            logger.warn('stopped reconciling: not the leader any more', { reason });
            void workers.stop();
          },
        });
      },
      // `stopping` already closed the write gate; give the Lease up so a successor starts now.
      async () => {
        await prober.stop();
        await direct.close();
        await elector?.stop({ release: true });
        setLeader(false);
      },
    ),
  );

  // ---- metrics read at scrape time ----
  const metricSources: Parameters<typeof bindMetricSources>[0] = {
    queueDepth: () => queue.depth,
    inFlight: () => queue.inFlight,
    clusterStates: () => members.statuses().map((m) => m.state),
    clusters: () => members.statuses().map((m) => ({ cluster: m.cluster, state: m.state })),
    objectsIndexed: () => members.counts(),
    records: () =>
      [...view.records('IngressDNSRecord'), ...view.records('ServiceDNSRecord')].map((k) => {
        const c = readyCondition(view.record(k)?.status as RecordStatus | undefined);
        return { kind: k.kind, status: c?.status, reason: c?.reason };
      }),
    publishedEndpoints: () =>
      view.dnsEndpointList().map((ep) => ({
        kind: ep.metadata.labels?.[RECORD_KIND_LABEL] === 'servicednsrecord' ? 'ServiceDNSRecord' : 'IngressDNSRecord',
        endpoints: endpointCount(ep.spec),
      })),
  };
  let unbindMetrics = (): void => undefined;
  manager.run(runnable('metrics sources', () => (unbindMetrics = bindMetricSources(metricSources)), () => unbindMetrics()));

  // Last started, first stopped: no resync is queued once shutdown begins.
  manager.run(new Resync(opts.resyncSchedule, () => allKeys().forEach((k) => queue.add(k, 'sweep'))));

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
    transitions.clear();
    health.clear();
    // 1. Take no new work; in-flight reconciles finish, up to the timeout (the gate refuses the
    //    remaining writes of abandoned ones).
    const finished = await workers.stop(opts.shutdownTimeoutMs, true);
    if (!finished) {
      logger.warn('in-flight reconciles did not finish in time: abandoning them (their remaining writes are refused)', {
        inFlight: queue.inFlight,
        timeoutMs: opts.shutdownTimeoutMs,
      });
    }
    // 2. Then, in reverse start order: resync, metrics, providers and the Lease, host view, members.
    queue.shutDown();
    await manager.stop();
    logger.info('stopped');
    resolveDone();
  };

  return {
    ready: () => readiness.ready(),
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
