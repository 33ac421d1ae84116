// `mcdns run`: wires the adapters around the reconciler. Host watches and member watches
// queue the records a change can affect; workers reconcile them; a cron resync catches
// anything a watch missed.
import cron from 'node-cron';
import type { RecordKind } from '../api/schema.js';
import { createLogger, type Logger } from '../log.js';
import { hostKubeConfig, membersFromKubeconfig } from '../members/kubeconfig.js';
import { KubeFedClusterSource } from '../members/kubefed.js';
import { MemberSet } from '../observe/members.js';
import { describeError, statusCodeOf } from '../kube/errors.js';
import { ApiHostView, type HostChange } from './host-view.js';
import { ApiHostWrites } from './host-writes.js';
import { WorkQueue } from './queue.js';
import { Reconciler, keyOf, parseKey, type RecordKey } from './reconcile.js';

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
  };
  if (opts.memberContexts.length === 0 && !opts.kubefedClusters) {
    throw new Error('no member clusters: give --member-contexts and/or --kubefed-clusters');
  }
  if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new Error('--workers must be a positive integer');
  return opts;
}

export interface Controller {
  /** Resolves once the host caches and every member have synced (or timed out). */
  ready(): boolean;
  stop(): Promise<void>;
  done: Promise<void>;
}

export function startController(opts: ControllerOptions, logger: Logger = createLogger(opts.logLevel)): Controller {
  const hostKc = hostKubeConfig(opts.kubeconfig, opts.hostContext);
  const queue = new WorkQueue();
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
  });

  for (const m of membersFromKubeconfig(opts.kubeconfig, opts.memberContexts)) members.add(m);
  // Joining or unjoining a KubeFedCluster changes the member set without a restart.
  const kubefed = opts.kubefedClusters ? new KubeFedClusterSource(hostKc, { namespace: opts.kubefedNamespace, logger }) : undefined;
  kubefed?.onChange((change) => void members.apply(change));
  kubefed?.start();

  const reconciler = new Reconciler(view, new ApiHostWrites(hostKc, opts.dnsEndpointGroup), opts.dnsEndpointGroup, logger);
  const done = queue.run(opts.workers, async (key) => {
    const k = parseKey(key);
    try {
      const result = await reconciler.reconcile(k);
      queue.forget(key);
      logger.debug('reconciled', { record: key, ...result, verdict: result.verdict?.reason });
    } catch (err) {
      const code = statusCodeOf(err);
      const delay = queue.addRateLimited(key);
      // 409: our cache was behind the API server; the retry reads the fresh object.
      const level = code === 409 ? 'info' : 'warn';
      logger.log(level, 'reconcile failed, will retry', { record: key, status: code, error: describeError(err), retryInMs: delay });
    }
  });

  const resync = cron.schedule(opts.resyncSchedule, () => enqueue(all()), { noOverlap: true });

  logger.info('mcdns started', {
    hostContext: opts.hostContext ?? hostKc.getCurrentContext(),
    members: opts.memberContexts,
    kubefedClusters: opts.kubefedClusters,
    dnsEndpointGroup: opts.dnsEndpointGroup,
  });

  return {
    ready: () => (view?.synced() ?? false) && members.synced() && (kubefed?.synced() ?? true),
    done,
    async stop() {
      await resync.stop();
      queue.shutDown();
      await kubefed?.stop();
      await members.stop();
      await view?.stop();
      await done;
    },
  };
}

export async function runController(opts: ControllerOptions): Promise<void> {
  const logger = createLogger(opts.logLevel);
  const controller = startController(opts, logger);
  const shutdown = (signal: string) => {
    logger.info('shutting down', { signal });
    void controller.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await controller.done;
}
