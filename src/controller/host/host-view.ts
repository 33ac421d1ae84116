// HostView backed by watches on the host cluster: the records, the Domains and the
// DNSEndpoints mcdns made. Every change is handed to `onChange` so the controller can queue
// the records it affects; reads come from the caches, never from the API server.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { DNSEndpoint, DNSRecord, Domain, RecordKind } from '../../api/schema.js';
import { DomainKind, IngressDNSRecordKind, RouteDNSRecordKind, ServiceDNSRecordKind, dnsEndpointKindFor, type KindDef } from '../../api/kinds.js';
import { MANAGED_BY, MANAGED_BY_LABEL, RECORD_KIND_LABEL, RECORD_NAME_LABEL, recordKindOfLabel } from '../../core/dnsendpoint.js';
import type { ClusterObservation } from '../../core/observation.js';
import { watchResource, type ListFn, type ResourceWatch } from '../../kube/informer.js';
import { customObjectLister, customResourcePath } from '../../kube/lists.js';
import { dnsEndpointCacheEntry, recordCacheEntry, stripManagedFields } from '../../kube/slim.js';
import type { Logger } from '../../log.js';
import type { RecordQuery } from '../../observe/projections.js';
import { keyOf } from '../../core/record-key.js';
import { RecordIndex } from './record-index.js';
import type { HostView } from './ports.js';
import type { RecordKey } from '../../core/record-key.js';

/** A host list that hangs this long is abandoned and retried by the watch's restart loop. */
const LIST_TIMEOUT_MS = 30_000;

export type HostChange =
  | {
      kind: RecordKind;
      namespace: string;
      name: string;
      /**
       * The host object that changed and its resourceVersion, when it still exists (the record
       * itself or its DNSEndpoint): a version mcdns wrote is an echo of its own write.
       */
      object?: { key: string; resourceVersion?: string };
    }
  | { kind: 'Domain'; namespace: string; name: string };

export interface HostViewOptions {
  /** Watch records in this namespace only; undefined = all namespaces. */
  namespace?: string;
  /** Where KubeFed kept shared Domains (kube-federation-system). */
  sharedDomainNamespace: string;
  dnsEndpointGroup: string;
  logger: Logger;
  /** The member observations one record can use (MemberSet.observationsFor). */
  members: (q: RecordQuery) => ClusterObservation[];
  onChange: (change: HostChange) => void;
  /** Both record caches have applied their first list: every record is known. */
  onRecordsSynced?: () => void;
}

export class ApiHostView implements HostView {
  private readonly ingressRecords: ResourceWatch<DNSRecord & KubernetesObject>;
  private readonly serviceRecords: ResourceWatch<DNSRecord & KubernetesObject>;
  /** RouteDNSRecords; an installation without their CRD (an upgrade that kept the old CRDs) has none. */
  private readonly routeRecords: ResourceWatch<DNSRecord & KubernetesObject>;
  private readonly domains: ResourceWatch<Domain & KubernetesObject>;
  private readonly dnsEndpoints: ResourceWatch<DNSEndpoint & KubernetesObject>;
  private readonly index = new RecordIndex();

  constructor(kc: KubeConfig, private readonly opts: HostViewOptions) {
    const recordsSynced = () => {
      if (this.recordsSynced()) opts.onRecordsSynced?.();
    };
    const watch = <T extends KubernetesObject>(
      def: KindDef,
      namespace: string | undefined,
      changed: (obj: T, deleted: boolean) => void,
      labelSelector?: string,
      transform: (o: KubernetesObject) => KubernetesObject = stripManagedFields,
    ): ResourceWatch<T> => {
      const resource = { group: def.group, version: def.version, plural: def.plural, namespace, labelSelector };
      const list = customObjectLister(kc, resource, LIST_TIMEOUT_MS) as ListFn<T>;
      return watchResource<T>(kc, customResourcePath(resource), list, {
        name: `${def.plural}.${def.group}`,
        labelSelector,
        logger: opts.logger,
        transform: transform as (o: KubernetesObject) => T,
        on: { add: (o) => changed(o, false), update: (o) => changed(o, false), delete: (o) => changed(o, true), synced: recordsSynced, error: recordsSynced },
      });
    };
    const record = (kind: RecordKind) => (obj: DNSRecord & KubernetesObject, deleted: boolean) => {
      const namespace = obj.metadata.namespace ?? '';
      const name = obj.metadata.name ?? '';
      this.index.set(kind, namespace, name, deleted ? undefined : obj);
      const object = deleted ? undefined : { key: keyOf({ kind, namespace, name }), resourceVersion: obj.metadata.resourceVersion };
      opts.onChange({ kind, namespace, name, ...(object ? { object } : {}) });
    };

    this.ingressRecords = watch(IngressDNSRecordKind, opts.namespace, record('IngressDNSRecord'), undefined, recordCacheEntry);
    this.serviceRecords = watch(ServiceDNSRecordKind, opts.namespace, record('ServiceDNSRecord'), undefined, recordCacheEntry);
    this.routeRecords = watch(RouteDNSRecordKind, opts.namespace, record('RouteDNSRecord'), undefined, recordCacheEntry);
    this.domains = watch<Domain & KubernetesObject>(DomainKind, undefined, (d) =>
      opts.onChange({ kind: 'Domain', namespace: d.metadata.namespace ?? '', name: d.metadata.name ?? '' }),
    );
    // A DNSEndpoint changed or deleted by someone else sends its record back to the queue,
    // which puts it back the way the record says (KubeFed #489 never recreated it).
    this.dnsEndpoints = watch<DNSEndpoint & KubernetesObject>(
      dnsEndpointKindFor(opts.dnsEndpointGroup),
      opts.namespace,
      (ep, deleted) => {
        const kind = recordKindOfLabel(ep.metadata.labels?.[RECORD_KIND_LABEL]) ?? 'IngressDNSRecord';
        const name = ep.metadata.labels?.[RECORD_NAME_LABEL];
        const namespace = ep.metadata.namespace ?? '';
        const object = deleted ? undefined : { key: keyOf({ kind: 'DNSEndpoint', namespace, name: ep.metadata.name ?? '' }), resourceVersion: ep.metadata.resourceVersion };
        if (name) opts.onChange({ kind, namespace, name, ...(object ? { object } : {}) });
      },
      `${MANAGED_BY_LABEL}=${MANAGED_BY}`,
      dnsEndpointCacheEntry,
    );
  }

  synced(): boolean {
    return [this.ingressRecords, this.serviceRecords, this.domains, this.dnsEndpoints].every((w) => w.synced) && this.routeRecordsSynced();
  }

  /** The record caches hold every record: a record missing from them is gone. */
  recordsSynced(): boolean {
    return this.ingressRecords.synced && this.serviceRecords.synced && this.routeRecordsSynced();
  }

  /** Listed, or the RouteDNSRecord CRD is not installed (no such record can exist; installed later, it is picked up). */
  private routeRecordsSynced(): boolean {
    return this.routeRecords.synced || /\b404\b|not found/i.test(this.routeRecords.lastError ?? '');
  }

  /** The caches that have not synced yet, with their last error (e.g. a CRD that is not installed). */
  unsynced(): string[] {
    const watches = { IngressDNSRecord: this.ingressRecords, ServiceDNSRecord: this.serviceRecords, Domain: this.domains, DNSEndpoint: this.dnsEndpoints };
    return [...Object.entries(watches), ...(this.routeRecordsSynced() ? [] : [['RouteDNSRecord', this.routeRecords] as const])]
      .filter(([, w]) => !w.synced)
      .map(([kind, w]) => (w.lastError ? `${kind} (${w.lastError})` : kind));
  }

  private recordCache(kind: RecordKind): ResourceWatch<DNSRecord & KubernetesObject> {
    return kind === 'IngressDNSRecord' ? this.ingressRecords : kind === 'ServiceDNSRecord' ? this.serviceRecords : this.routeRecords;
  }

  record(key: RecordKey): DNSRecord | undefined {
    return this.recordCache(key.kind).get(key.name, key.namespace);
  }

  records(kind: RecordKind, namespace?: string): RecordKey[] {
    const cache = this.recordCache(kind);
    return cache
      .list()
      .filter((r) => namespace === undefined || r.metadata.namespace === namespace)
      .map((r) => ({ kind, namespace: r.metadata.namespace ?? '', name: r.metadata.name ?? '' }));
  }

  /** IngressDNSRecords of `namespace` that list one of the (normalised) hosts. */
  ingressRecordsForHosts(namespace: string, hosts: readonly string[]): RecordKey[] {
    return this.index.ingressRecordsForHosts(namespace, hosts);
  }

  /** RouteDNSRecords of `namespace` naming the route `kind`/`name`. */
  routeRecordsFor(kind: string, namespace: string, name: string): RecordKey[] {
    return this.index.routeRecordsFor(kind, namespace, name);
  }

  /** ServiceDNSRecords that a Domain can serve: of its namespace, or of any for a shared Domain. */
  serviceRecordsForDomain(namespace: string, name: string): RecordKey[] {
    const shared = namespace === this.opts.sharedDomainNamespace;
    return this.index.serviceRecordsForDomain(name, shared ? undefined : (ns) => ns === namespace);
  }

  domainNamespaces(namespace: string): string[] {
    return namespace === this.opts.sharedDomainNamespace ? [namespace] : [namespace, this.opts.sharedDomainNamespace];
  }

  domain(namespace: string, name: string): Domain | undefined {
    for (const ns of this.domainNamespaces(namespace)) {
      const d = this.domains.get(name, ns);
      if (d) return d;
    }
    return undefined;
  }

  dnsEndpoint(namespace: string, name: string): DNSEndpoint | undefined {
    return this.dnsEndpoints.get(name, namespace);
  }

  members(key: RecordKey, hosts: readonly string[], route?: { kind: string; name: string }): ClusterObservation[] {
    return this.opts.members({ ...key, hosts, ...(route ? { route } : {}) });
  }

  /** Every DNSEndpoint mcdns made (cached), for metrics. */
  dnsEndpointList(): readonly DNSEndpoint[] {
    return this.dnsEndpoints.list();
  }

  async stop(): Promise<void> {
    await Promise.all([this.ingressRecords, this.serviceRecords, this.routeRecords, this.domains, this.dnsEndpoints].map((w) => w.stop()));
  }
}
