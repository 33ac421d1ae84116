// `mcdns run`: wires the adapters around the reconciler and starts them as runnables of one
// manager: member observation, the host view, leader election, workers, the resync, metrics.
// Host watches and member watches queue only the records a change can affect (fan-out.ts);
// workers reconcile them; a cron resync catches anything a watch missed. The parts are built in
// wiring/ (observing, write access, reconciling); this file puts them together, in start order.
//
// Every replica watches everything (a standby has warm caches and takes over without a DNS
// flap); only the one that may write runs the workers. With --leader-elect that is the holder
// of the Lease: workers start when it becomes leader and stop when it loses the Lease, and every
// write passes a gate that closes at once when the Lease cannot be renewed in time. Workers
// start only once ready(): host caches synced and every member synced or declared offline
// (bounded by the offline grace), so a cold start does not publish half the members.
import type { DirectOutputs } from '../apply/outputs.js';
import { describeProviderConfig } from '../apply/config.js';
import { RECORD_KINDS } from '../api/schema.js';
import { BUILD } from '../build-info.js';
import { RECORD_KIND_LABEL, recordKindOfLabel } from '../core/dnsendpoint.js';
import { readyCondition, type RecordStatus } from '../core/status.js';
import { describeError } from '../errors.js';
import type { Prober } from '../health/index.js';
import { shareConnections } from '../kube/connections.js';
import { endpointCount } from '../kube/slim.js';
import { createLogger, type Logger } from '../log.js';
import { setLeader } from '../metrics/metrics.js';
import { startMetricsServer } from '../metrics/server.js';
import { bindMetricSources } from '../metrics/sources.js';
import { hostKubeConfig } from '../observe/sources/kubeconfig.js';
import { MemberSourceReport } from './events/member-sources.js';
import type { EventRecorder } from './events/recorder.js';
import type { HealthTransitions } from './events/health-transitions.js';
import type { TransitionEvents } from './events/member-transitions.js';
import { OwnWrites } from './host/own-writes.js';
import type { ControllerBase, ControllerOptions } from './options.js';
import { Reconciler } from './reconcile/reconciler.js';
import { Manager, runnable, type Runnable } from './runtime/manager.js';
import { WorkQueue } from './runtime/queue.js';
import { Resync } from './triggers/resync.js';
import { ServedRecords } from './triggers/served.js';
import { memberSourceStates, observeHost, watchMembers, type HostSide } from './wiring/observing.js';
import { healthEvents, nameOwnership, providerOutputs, readinessOf, startProber, workersFor, type NameOwnership } from './wiring/reconciling.js';
import { writeAccess, type WriteAccess } from './wiring/write-access.js';
import type { Workers } from './workers.js';

interface Controller {
  /**
   * True once the host caches have synced and every member has synced or been declared offline
   * (at the latest after the offline grace); false again while shutting down.
   */
  ready(): boolean;
  /** What /readyz says beside its status: what is awaited, what cannot be read. */
  readyDetail(): string[];
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

function startController(opts: ControllerOptions, logger: Logger = createLogger(opts.logLevel)): Controller {
  const hostKc = shareConnections(hostKubeConfig(opts.kubeconfig, opts.hostContext));
  const base: ControllerBase = {
    opts,
    logger,
    hostKc,
    manager: new Manager(logger),
    queue: new WorkQueue(),
    served: new ServedRecords(),
    own: new OwnWrites(),
  };
  const { manager, queue } = base;
  let stopping = false;

  // ---- observing: members, then the host ----
  const host = observeHost(base);
  // ---- who may write ----
  const access = writeAccess(base, () => stopping);
  const { elector, writing, writes, events } = access;
  // ---- member cluster transitions: the records they serve, and one Event each ----
  const { transitions, kubefed } = watchMembers(base, host, access);

  // ---- reconciling ----
  // The provider sinks ask the claims who holds a name only when they plan, after the start (a
  // name handed over is taken in one write); the claims need to know whether a provider answers
  // subtrees, so the providers come first.
  let ownership: NameOwnership | undefined;
  const direct = providerOutputs(base, writing, (name) => ownership?.claims.holder(name));
  const prober = startProber(base, elector !== undefined);
  ownership = nameOwnership(base, host.allKeys, direct);
  const { claims, namePolicy } = ownership;
  const reconciler = new Reconciler(host.view, writes, opts.dnsEndpointGroup, logger, undefined, {
    events,
    direct,
    dnsEndpoints: opts.dnsEndpoints,
    prober,
    failOpen: opts.failOpen,
    healthCheckedTtl: opts.healthCheckedTtlS,
    claims,
    namePolicy,
  });
  const health = healthEvents(base, host, access, prober);
  const sources = new MemberSourceReport({
    sources: memberSourceStates(base, kubefed, (ns) => namePolicy.namespaceExists(ns)),
    logger,
    kc: hostKc,
    ...(opts.pod ? { pod: opts.pod } : {}),
  });
  manager.run(runnable('member sources', () => sources.start(), () => sources.stop()));
  const readiness = readinessOf(base, host, () => sources.states(), () => sources.problems(), namePolicy, () => stopping);
  const workers = workersFor(base, host, access, reconciler, direct, readiness);

  // ---- leader election starts and stops the workers ----
  manager.run(leaderElection(base, access, { workers, prober, direct, transitions, health, reconciler }));
  // ---- metrics read at scrape time ----
  manager.run(metricSources(base, host, sources));
  // Last started, first stopped: no resync is queued once shutdown begins.
  manager.run(new Resync(opts.resyncSchedule, () => host.allKeys().forEach((k) => queue.add(k, 'sweep'))));
  logStarted(base, access);

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
    readyDetail: () => readiness.explain(),
    writing,
    events,
    done,
    stop: () => (stopped ??= stop()),
  };
}

/** What leader election starts, stops and clears. */
interface Led {
  workers: Workers;
  prober: Prober;
  direct: DirectOutputs;
  transitions: TransitionEvents;
  health: HealthTransitions;
  reconciler: Reconciler;
}

/**
 * Runs the workers while this replica leads (always, without --leader-elect). Stopping it stops
 * the prober and the providers and gives the Lease up, so a successor starts now.
 */
function leaderElection({ logger }: ControllerBase, { elector }: WriteAccess, led: Led): Runnable {
  const { workers, prober, direct, transitions, health, reconciler } = led;
  return runnable(
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
  );
}

/** Binds the state the scrape-time gauges read (queue, members, records, DNSEndpoints) while it runs. */
function metricSources({ queue }: ControllerBase, { members, view }: HostSide, report: MemberSourceReport): Runnable {
  const sources: Parameters<typeof bindMetricSources>[0] = {
    queueDepth: () => queue.depth,
    inFlight: () => queue.inFlight,
    clusterStates: () => members.statuses().map((m) => m.state),
    clusters: () => members.statuses().map((m) => ({ cluster: m.cluster, state: m.state })),
    objectsIndexed: () => members.counts(),
    memberSources: () => report.availability(),
    objectsSeen: () => members.links().flatMap((l) => Object.entries(l.seen).map(([kind, objects]) => ({ cluster: l.cluster, kind, objects }))),
    memberLinks: () => members.links(),
    records: () =>
      RECORD_KINDS.flatMap((kind) => view.records(kind)).map((k) => {
        const c = readyCondition(view.record(k)?.status as RecordStatus | undefined);
        return { kind: k.kind, status: c?.status, reason: c?.reason };
      }),
    publishedEndpoints: () =>
      view.dnsEndpointList().map((ep) => ({
        kind: recordKindOfLabel(ep.metadata.labels?.[RECORD_KIND_LABEL]) ?? 'IngressDNSRecord',
        endpoints: endpointCount(ep.spec),
      })),
  };
  let unbindMetrics = (): void => undefined;
  return runnable('metrics sources', () => (unbindMetrics = bindMetricSources(sources)), () => unbindMetrics());
}

function logStarted({ opts, logger, hostKc }: ControllerBase, { elector }: WriteAccess): void {
  logger.info('mcdns started', {
    version: BUILD.version,
    commit: BUILD.commit,
    nodejs: process.versions.node,
    hostContext: opts.hostContext ?? hostKc.getCurrentContext(),
    members: opts.memberContexts,
    kubefedClusters: opts.kubefedClusters,
    dnsEndpointGroup: opts.dnsEndpoints ? opts.dnsEndpointGroup : 'off',
    providers: opts.providers.providers.map(describeProviderConfig),
    leaderElection: elector ? { lease: `${elector.namespace}/${elector.name}`, identity: elector.identity, leaseDurationMs: elector.leaseDurationMs } : 'off',
  });
}

export async function runController(opts: ControllerOptions): Promise<void> {
  const logger = createLogger(opts.logLevel);
  const controller = startController(opts, logger);
  const server = await startMetricsServer({ address: opts.metricsAddress, ready: controller.ready, readyDetail: controller.readyDetail, logger }).catch(async (err: unknown) => {
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
