// Targeted reads of one member: when a record begins to need objects that the member's watches
// dropped as they arrived (nothing wanted them then), they are fetched from the member: one GET
// or one selected LIST per Service or Ingress, or one LIST of the namespace when many are wanted
// there at once (a burst of new records). Each read is one round trip to the member, so a record
// created after its Service existed publishes one round trip later than one whose Service is new.
// Every read is a LIST (selected by name, label or namespace): the member grants list and watch.
import { CoreV1Api, DiscoveryV1Api, NetworkingV1Api, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import { backoffDelay } from '../backoff.js';
import { describeError } from '../errors.js';
import type { FilteredListWatch, ReadScope } from '../kube/filtered-list-watch.js';
import { timeoutOptions } from '../kube/request.js';
import type { Logger } from '../log.js';
import { observeMemberRead } from '../metrics/metrics.js';
import { objectKey, sliceServiceOf } from './reduce.js';

/** The three caches reads fill (their element types do not matter here). */
interface ReadableCaches {
  Ingress: FilteredListWatch<KubernetesObject>;
  Service: FilteredListWatch<KubernetesObject>;
  EndpointSlice: FilteredListWatch<KubernetesObject>;
}

type ReadKind = keyof ReadableCaches;

export interface MemberReadsOptions {
  cluster: string;
  kc: KubeConfig;
  caches: ReadableCaches;
  requestTimeoutMs: number;
  logger: Logger;
  /** Whether a read is still worth doing (retries of failed reads ask it); `kind` as given to the read. */
  stillWanted(kind: string, namespace: string, name: string | undefined): boolean;
}

/** More keys of one kind in one namespace than this in one go: one LIST of the namespace. */
const BATCH = 8;
/** Requests in flight at once, per member. */
const CONCURRENCY = 8;
/** Objects per page of a namespace LIST. */
const PAGE = 500;
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export class MemberReads {
  private readonly core: CoreV1Api;
  private readonly networking: NetworkingV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly timeout;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];
  private stopped = false;
  private readonly retries = new Set<NodeJS.Timeout>();

  constructor(private readonly o: MemberReadsOptions) {
    this.core = o.kc.makeApiClient(CoreV1Api);
    this.networking = o.kc.makeApiClient(NetworkingV1Api);
    this.discovery = o.kc.makeApiClient(DiscoveryV1Api);
    this.timeout = timeoutOptions(o.requestTimeoutMs);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
  }

  /** The Services (object and EndpointSlices) of `keys` ("namespace/name"). */
  services(keys: readonly string[]): Promise<void> {
    return this.perNamespace(keys, (ns, names) =>
      names.length > BATCH
        ? [this.namespaceList('Service', ns), this.slicesOf(ns, names)]
        : [...names.map((n) => this.serviceObject(ns, n)), this.slicesOf(ns, names)],
    );
  }

  /** Only the EndpointSlices of the Services `keys` (backends of an Ingress or a route). */
  slices(keys: readonly string[]): Promise<void> {
    return this.perNamespace(keys, (ns, names) => [this.slicesOf(ns, names)]);
  }

  /**
   * One object of another resource (a Gateway API route or Gateway) by name, into its own cache,
   * as `one` reads: `list` answers the LIST of the namespace selecting the name (`fieldSelector`).
   * `kind` names it in logs and metrics.
   */
  named(kind: string, cache: FilteredListWatch<KubernetesObject>, namespace: string, name: string, list: (fieldSelector: string) => Promise<unknown>): Promise<void> {
    const scope: ReadScope<KubernetesObject> = { namespace, covers: (o) => objectKey(o)?.name === name };
    return this.runIn(cache, kind, namespace, name, scope, async (take) => {
      take(((await list(`metadata.name=${name}`)) as KubernetesListObject<KubernetesObject>).items);
    });
  }

  /** The Ingress `namespace/name` (GET); undefined name: every Ingress of the namespace (LIST). */
  ingress(namespace: string, name?: string): Promise<void> {
    return name === undefined ? this.namespaceList('Ingress', namespace) : this.one('Ingress', namespace, name);
  }

  private async perNamespace(keys: readonly string[], reads: (ns: string, names: string[]) => Array<Promise<void>>): Promise<void> {
    const byNs = new Map<string, string[]>();
    for (const k of keys) {
      const slash = k.indexOf('/');
      const ns = k.slice(0, slash);
      byNs.set(ns, [...(byNs.get(ns) ?? []), k.slice(slash + 1)]);
    }
    await Promise.all([...byNs].flatMap(([ns, names]) => reads(ns, names)));
  }

  private serviceObject(namespace: string, name: string): Promise<void> {
    return this.one('Service', namespace, name);
  }

  /** EndpointSlices of some Services of a namespace: one LIST by label (`in (...)` for several), or the namespace's. */
  private slicesOf(namespace: string, names: string[]): Promise<void> {
    if (names.length > BATCH * 4) return this.namespaceList('EndpointSlice', namespace);
    const wanted = new Set(names);
    const labelSelector = names.length === 1 ? `${SERVICE_NAME_LABEL}=${names[0]}` : `${SERVICE_NAME_LABEL} in (${[...wanted].sort().join(',')})`;
    const scope: ReadScope<KubernetesObject> = { namespace, covers: (o) => wanted.has(sliceServiceOf(o)?.name ?? '') };
    return this.run('EndpointSlice', namespace, names.length === 1 ? names[0] : undefined, scope, (take) =>
      this.pages((page) => this.discovery.listNamespacedEndpointSlice({ namespace, labelSelector, ...page }, this.timeout), take),
    );
  }

  /**
   * One object by name: a LIST of its namespace selecting the name, not a GET, so that the member
   * grants mcdns no more than list and watch (manifests/member).
   */
  private one(kind: 'Service' | 'Ingress', namespace: string, name: string): Promise<void> {
    const scope: ReadScope<KubernetesObject> = { namespace, covers: (o) => objectKey(o)?.name === name };
    const fieldSelector = `metadata.name=${name}`;
    return this.run(kind, namespace, name, scope, async (take) => {
      const list = kind === 'Service' ? await this.core.listNamespacedService({ namespace, fieldSelector }, this.timeout) : await this.networking.listNamespacedIngress({ namespace, fieldSelector }, this.timeout);
      take(list.items as KubernetesObject[]);
    });
  }

  /** Every object of a kind in a namespace. */
  private namespaceList(kind: ReadKind, namespace: string): Promise<void> {
    const scope: ReadScope<KubernetesObject> = { namespace, covers: () => true };
    const list = (page: { limit: number; _continue?: string }): Promise<KubernetesListObject<KubernetesObject>> =>
      kind === 'Service'
        ? this.core.listNamespacedService({ namespace, ...page }, this.timeout)
        : kind === 'Ingress'
          ? this.networking.listNamespacedIngress({ namespace, ...page }, this.timeout)
          : this.discovery.listNamespacedEndpointSlice({ namespace, ...page }, this.timeout);
    return this.run(kind, namespace, undefined, scope, (take) => this.pages(list, take));
  }

  private async pages(list: (page: { limit: number; _continue?: string }) => Promise<KubernetesListObject<KubernetesObject>>, take: (items: readonly KubernetesObject[]) => void): Promise<void> {
    let token: string | undefined;
    do {
      const answer = await list({ limit: PAGE, ...(token ? { _continue: token } : {}) });
      take(answer.items);
      token = answer.metadata?._continue || undefined;
    } while (token);
  }

  /** One read through the cache of `kind`. */
  private run(
    kind: ReadKind,
    namespace: string,
    name: string | undefined,
    scope: ReadScope<KubernetesObject>,
    fetch: (take: (items: readonly KubernetesObject[]) => void) => Promise<void>,
  ): Promise<void> {
    return this.runIn(this.o.caches[kind], kind, namespace, name, scope, fetch);
  }

  /** One read through `cache`, within the concurrency bound; retried with a backoff while still wanted. */
  private async runIn(
    cache: FilteredListWatch<KubernetesObject>,
    kind: string,
    namespace: string,
    name: string | undefined,
    scope: ReadScope<KubernetesObject>,
    fetch: (take: (items: readonly KubernetesObject[]) => void) => Promise<void>,
    failures = 0,
  ): Promise<void> {
    if (this.stopped) return;
    // The slot is taken around the requests only: a read first waits for any list of its kind.
    const bounded = async (take: (items: readonly KubernetesObject[]) => void): Promise<void> => {
      await this.slot();
      try {
        await fetch(take);
      } finally {
        this.release();
      }
    };
    try {
      await cache.read(scope, bounded);
      observeMemberRead(this.o.cluster, kind, 'ok');
    } catch (err) {
      observeMemberRead(this.o.cluster, kind, 'error');
      const retryInMs = backoffDelay(failures, { baseMs: 500, maxMs: 30_000, jitter: 0.2 });
      this.o.logger.warn('targeted read failed, retrying', { kind, namespace, ...(name ? { name } : {}), reason: describeError(err), retryInMs });
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        if (this.o.stillWanted(kind, namespace, name)) void this.runIn(cache, kind, namespace, name, scope, fetch, failures + 1);
      }, retryInMs);
      this.retries.add(timer);
    }
  }

  private async slot(): Promise<void> {
    if (this.inFlight < CONCURRENCY) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }
}
