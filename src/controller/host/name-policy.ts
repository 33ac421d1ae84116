// The host side of authorised names: watches of the DNSNamePolicy objects and of the
// namespaces' labels, and the decision for one record (src/core/policy.ts). A change of a policy
// re-runs every record; a change of a namespace's labels re-runs that namespace's records.
//
// Until the policy cache has synced the controller does not start reconciling (see run.ts);
// if the DNSNamePolicy CRD is not installed at all, no policy can exist and names stay open.
import { CoreV1Api, type KubeConfig, type KubernetesListObject, type KubernetesObject, type V1Namespace } from '@kubernetes/client-node';
import type { DNSNamePolicy } from '../../api/schema.js';
import { DNSNamePolicyKind } from '../../api/kinds.js';
import { decideNames, type NameDecision } from '../../core/policy.js';
import { watchResource, type ResourceWatch } from '../../kube/informer.js';
import { customObjectLister, customResourcePath } from '../../kube/lists.js';
import { timeoutOptions } from '../../kube/request.js';
import type { Logger } from '../../log.js';

const LIST_TIMEOUT_MS = 30_000;

/** What the reconciler asks: may a record in this namespace publish these names? */
export interface NamePolicy {
  decide(namespace: string, names: Iterable<string>): NameDecision;
}

/** Which records a change concerns: one namespace's, or (undefined) everyone's. */
export type NamePolicyListener = (namespace: string | undefined) => void;

export class ApiNamePolicy implements NamePolicy {
  private readonly policies: ResourceWatch<DNSNamePolicy & KubernetesObject>;
  private readonly namespaces: ResourceWatch<V1Namespace>;
  private readonly listeners = new Set<NamePolicyListener>();

  constructor(kc: KubeConfig, logger: Logger) {
    const resource = { group: DNSNamePolicyKind.group, version: DNSNamePolicyKind.version, plural: DNSNamePolicyKind.plural };
    const everyone = () => this.tell(undefined);
    this.policies = watchResource<DNSNamePolicy & KubernetesObject>(
      kc,
      customResourcePath(resource),
      customObjectLister(kc, resource, LIST_TIMEOUT_MS) as () => Promise<KubernetesListObject<DNSNamePolicy & KubernetesObject>>,
      { name: 'dnsnamepolicies', logger, on: { add: everyone, update: everyone, delete: everyone } },
    );
    const core = kc.makeApiClient(CoreV1Api);
    const listOpts = timeoutOptions(LIST_TIMEOUT_MS);
    // Labels only matter while a policy exists, but watching always keeps a new policy instant.
    const namespace = (ns: V1Namespace) => this.tell(ns.metadata?.name);
    this.namespaces = watchResource<V1Namespace>(kc, '/api/v1/namespaces', () => core.listNamespace({}, listOpts), {
      name: 'namespaces',
      logger,
      on: { add: namespace, update: namespace, delete: namespace },
    });
  }

  onChange(listener: NamePolicyListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Both caches listed, or the policy kind does not exist (no CRD: no policy, names open). */
  synced(): boolean {
    return (this.policies.synced || this.crdMissing()) && this.namespaces.synced;
  }

  /** The caches still waited for, with their last error. */
  unsynced(): string[] {
    const out: string[] = [];
    if (!this.policies.synced && !this.crdMissing()) out.push(`DNSNamePolicy${this.policies.lastError ? ` (${this.policies.lastError})` : ''}`);
    if (!this.namespaces.synced) out.push(`Namespace${this.namespaces.lastError ? ` (${this.namespaces.lastError})` : ''}`);
    return out;
  }

  /** Whether a namespace exists, once the namespace cache has synced (undefined before). */
  namespaceExists(name: string): boolean | undefined {
    return this.namespaces.synced ? this.namespaces.get(name) !== undefined : undefined;
  }

  decide(namespace: string, names: Iterable<string>): NameDecision {
    const labels = this.namespaces.get(namespace)?.metadata?.labels ?? { 'kubernetes.io/metadata.name': namespace };
    return decideNames(names, namespace, labels, this.policies.list());
  }

  async stop(): Promise<void> {
    await Promise.all([this.policies.stop(), this.namespaces.stop()]);
  }

  private crdMissing(): boolean {
    return /\b404\b|not found/i.test(this.policies.lastError ?? '');
  }

  private tell(namespace: string | undefined): void {
    for (const l of this.listeners) l(namespace);
  }
}
