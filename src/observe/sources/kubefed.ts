// Members from KubeFed's registrations: KubeFedCluster objects (core.kubefed.io/v1beta1) on the
// host cluster and the Secrets they reference. The KubeFedClusters are watched; each referenced
// Secret is read by name (never listed, so mcdns needs only `get` on Secrets and holds no
// unrelated ones) when its cluster appears or changes, and re-read every secretRefreshMs. A
// join, an unjoin or an endpoint change takes effect at once, a token rotation within that time.
import { CoreV1Api, KubeConfig, type KubernetesObject, type V1Secret } from '@kubernetes/client-node';
import { Value } from '@sinclair/typebox/value';
import { KUBEFED_CORE_GROUP, KubeFedCluster } from '../../api/schema.js';
import { describeError, statusCodeOf } from '../../errors.js';
import { watchResource, type ResourceWatch, type WatchTuning } from '../../kube/informer.js';
import { customObjectLister, customResourcePath } from '../../kube/lists.js';
import { timeoutOptions } from '../../kube/request.js';
import { log as rootLog, type Logger } from '../../log.js';
import { memberFingerprint, type MemberChangeSet, type MemberConfig } from './member-config.js';

const KUBEFED_NAMESPACE = 'kube-federation-system';
const KUBEFED_VERSION = 'v1beta1';

export interface KubeFedClusterSourceOptions extends WatchTuning {
  /** Where the KubeFedClusters and their Secrets live (default kube-federation-system). */
  namespace?: string;
  logger?: Logger;
  /** Timeout of each list request (default 30 s). */
  requestTimeoutMs?: number;
  /** How often the referenced Secrets are read again, to follow token rotation (default 30 s). */
  secretRefreshMs?: number;
}

/** A referenced Secret as last read: the object, absent (404), or why it could not be read. */
export type SecretRead = V1Secret | { unreadable: string } | undefined;

/** A registered cluster that cannot be used, and why (never contains the token). */
export interface MemberProblem {
  cluster: string;
  reason: string;
}

type Built = { ok: true; member: MemberConfig } | { ok: false; reason: string };

function decodeToken(secret: SecretRead, secretName: string, namespace: string): { token?: string; reason?: string } {
  if (!secret) return { reason: `secret "${secretName}" not found in namespace ${namespace}` };
  if ('unreadable' in secret) return { reason: `secret "${secretName}" in namespace ${namespace} could not be read: ${secret.unreadable}` };
  const encoded = secret.data?.['token'];
  if (encoded === undefined) return { reason: `secret "${secretName}" has no "token" key` };
  const token = Buffer.from(encoded, 'base64').toString('utf8').trim();
  if (!token) return { reason: `secret "${secretName}" has an empty "token"` };
  return { token };
}

/** Turns one KubeFedCluster (+ its Secret as read) into a MemberConfig or a reason. */
function memberFromKubeFedCluster(obj: unknown, secretByName: (name: string) => SecretRead, namespace: string): Built {
  if (!Value.Check(KubeFedCluster, obj)) {
    const first = Value.Errors(KubeFedCluster, obj).First();
    return { ok: false, reason: `invalid KubeFedCluster: ${first ? `${first.path || '/'} ${first.message}` : 'unknown shape'}` };
  }
  const name = obj.metadata.name ?? '';
  const { token, reason } = decodeToken(secretByName(obj.spec.secretRef.name), obj.spec.secretRef.name, namespace);
  if (token === undefined) return { ok: false, reason: reason ?? 'no token' };

  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name,
        server: obj.spec.apiEndpoint,
        // KubeFed stores the CA bundle as base64 ([]byte in Go), which is what caData expects.
        caData: obj.spec.caBundle || undefined,
        skipTLSVerify: (obj.spec.disabledTLSValidations ?? []).includes('*'),
        proxyUrl: obj.spec.proxyURL || undefined,
      },
    ],
    users: [{ name, token }],
    contexts: [{ name, cluster: name, user: name }],
    currentContext: name,
  });
  const member: MemberConfig = { name, kubeConfig, source: 'kubefedcluster' };
  if (obj.status?.region) member.region = obj.status.region;
  if (obj.status?.zones?.length) member.zones = [...obj.status.zones];
  return { ok: true, member };
}

export class KubeFedClusterSource {
  private readonly namespace: string;
  private readonly logger: Logger;
  private readonly listeners = new Set<(change: MemberChangeSet) => void>();
  private clusters: ResourceWatch<KubernetesObject> | undefined;
  /** The referenced Secrets as last read, by name; only names some KubeFedCluster references. */
  private secrets = new Map<string, SecretRead>();
  /** Secret reads run one round at a time, in order. */
  private reads: Promise<void> = Promise.resolve();
  private refreshTimer: NodeJS.Timeout | undefined;
  private core: CoreV1Api | undefined;
  private stopped = false;
  private current = new Map<string, { member: MemberConfig; fingerprint: string }>();
  private currentProblems = new Map<string, string>();
  private initialized = false;

  constructor(
    private readonly host: KubeConfig,
    private readonly opts: KubeFedClusterSourceOptions = {},
  ) {
    this.namespace = opts.namespace ?? KUBEFED_NAMESPACE;
    this.logger = (opts.logger ?? rootLog).child({ component: 'kubefedclusters', namespace: this.namespace });
  }

  /** Receives every non-empty change; the first one (after the first list and Secret reads) adds all members. */
  onChange(cb: (change: MemberChangeSet) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  start(): void {
    if (this.clusters) return;
    const timeoutMs = this.opts.requestTimeoutMs ?? 30_000;
    const tuning: WatchTuning = {
      initialBackoffMs: this.opts.initialBackoffMs,
      maxBackoffMs: this.opts.maxBackoffMs,
      idleTimeoutMs: this.opts.idleTimeoutMs,
      minStreamMs: this.opts.minStreamMs,
    };
    // Each cluster event reads the Secrets not read yet, then recomputes.
    const onClusters = (): void => this.readSecrets(false);
    const handlers = { add: onClusters, update: onClusters, delete: onClusters, synced: onClusters };
    const resource = { group: KUBEFED_CORE_GROUP, version: KUBEFED_VERSION, plural: 'kubefedclusters', namespace: this.namespace };
    this.clusters = watchResource(this.host, customResourcePath(resource), customObjectLister(this.host, resource, timeoutMs), {
      ...tuning,
      name: 'kubefedclusters',
      logger: this.logger,
      on: handlers,
    });
    this.core = this.host.makeApiClient(CoreV1Api);
    this.refreshTimer = setInterval(() => this.readSecrets(true), this.opts.secretRefreshMs ?? 30_000);
    this.refreshTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.refreshTimer);
    await Promise.all([this.clusters?.stop(), this.reads]);
  }

  /** Queues a round of Secret reads (all referenced ones, or only those not read yet), then a recompute. */
  private readSecrets(all: boolean): void {
    this.reads = this.reads.then(async () => {
      const clusters = this.clusters;
      if (this.stopped || !clusters?.synced) return;
      const referenced = new Set<string>();
      for (const obj of clusters.list()) {
        const ref = (obj as { spec?: { secretRef?: { name?: unknown } } }).spec?.secretRef?.name;
        if (typeof ref === 'string' && ref) referenced.add(ref);
      }
      for (const name of this.secrets.keys()) if (!referenced.has(name)) this.secrets.delete(name);
      // Besides the periodic round, a cluster event retries any Secret not read successfully.
      const good = (n: string): boolean => {
        const r = this.secrets.get(n);
        return r !== undefined && !('unreadable' in r);
      };
      const toRead = [...referenced].filter((n) => all || !good(n));
      await Promise.all(toRead.map(async (name) => this.secrets.set(name, await this.readSecret(name, this.secrets.get(name)))));
      if (!this.stopped) this.recompute();
    });
  }

  /** One Secret by name. A transient failure keeps what was read before, so a member is not dropped for it. */
  private async readSecret(name: string, before: SecretRead): Promise<SecretRead> {
    try {
      return await this.core!.readNamespacedSecret({ name, namespace: this.namespace }, timeoutOptions(this.opts.requestTimeoutMs ?? 30_000));
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      // describeError: the API's Status message or the transport error, never a response body.
      const reason = describeError(err);
      if (before && !('unreadable' in before)) {
        this.logger.warn('could not read member cluster secret again; keeping the one read before', { secretName: name, reason });
        return before;
      }
      return { unreadable: reason };
    }
  }

  /** The KubeFedClusters have been listed, their Secrets read, and the first member set computed. */
  synced(): boolean {
    return this.initialized;
  }

  /**
   * Whether KubeFedClusters can be read: available once the first member set is computed;
   * unavailable while listing them fails because their CRD is not installed (404) or RBAC
   * refuses it (403); pending otherwise (still listing, or another error being retried).
   */
  availability(): { state: 'available' | 'unavailable' | 'pending'; reason?: string } {
    if (this.initialized) return { state: 'available' };
    const error = this.clusters?.lastError;
    if (!error) return { state: 'pending' };
    if (/\b404\b|not found/i.test(error)) return { state: 'unavailable', reason: `the KubeFedCluster CRD (kubefedclusters.${KUBEFED_CORE_GROUP}) is not installed` };
    if (/\b403\b|forbidden/i.test(error)) return { state: 'unavailable', reason: `not allowed to list KubeFedClusters in namespace ${this.namespace}: ${error}` };
    return { state: 'pending', reason: error };
  }

  /** The usable members, sorted by name. */
  members(): MemberConfig[] {
    return [...this.current.values()].map((e) => e.member).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Registered clusters that are not members, and why. */
  problems(): MemberProblem[] {
    return [...this.currentProblems].map(([cluster, reason]) => ({ cluster, reason })).sort((a, b) => a.cluster.localeCompare(b.cluster));
  }

  private recompute(): void {
    const clusters = this.clusters;
    if (!clusters?.synced) return;
    const secrets = this.secrets;

    const next = new Map<string, { member: MemberConfig; fingerprint: string }>();
    const problems = new Map<string, string>();
    for (const obj of clusters.list()) {
      const name = obj.metadata?.name ?? '';
      if (!name || obj.metadata?.deletionTimestamp) continue;
      const built = memberFromKubeFedCluster(obj, (n) => secrets.get(n), this.namespace);
      if (built.ok) next.set(name, { member: built.member, fingerprint: memberFingerprint(built.member) });
      else problems.set(name, built.reason);
    }

    const change: MemberChangeSet = { added: [], updated: [], removed: [] };
    for (const [name, entry] of next) {
      const before = this.current.get(name);
      if (!before) change.added.push(entry.member);
      else if (before.fingerprint !== entry.fingerprint) change.updated.push(entry.member);
      else next.set(name, before); // keep the instance the consumers already hold
    }
    for (const name of this.current.keys()) if (!next.has(name)) change.removed.push(name);
    this.logProblems(problems);
    this.current = next;
    this.currentProblems = problems;
    this.initialized = true;

    if (change.added.length + change.updated.length + change.removed.length === 0) return;
    for (const m of change.added) this.logger.info('member cluster joined', { cluster: m.name, server: m.kubeConfig.getCurrentCluster()?.server });
    for (const m of change.updated) this.logger.info('member cluster registration changed', { cluster: m.name });
    for (const name of change.removed) this.logger.info('member cluster left', { cluster: name });
    for (const cb of this.listeners) {
      try {
        cb(change);
      } catch (err) {
        this.logger.error('member change listener threw', { reason: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /** Logs a problem when it appears or changes and when it is resolved, not on every event. */
  private logProblems(problems: Map<string, string>): void {
    for (const [cluster, reason] of problems) {
      if (this.currentProblems.get(cluster) !== reason) this.logger.warn('member cluster not usable', { cluster, reason });
    }
    for (const cluster of this.currentProblems.keys()) {
      if (!problems.has(cluster)) this.logger.info('member cluster problem resolved', { cluster });
    }
  }
}
