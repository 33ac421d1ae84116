// HostWrites on a real API server: DNSEndpoints through the custom objects API, record status
// through the status subresource (with resourceVersion, so a stale write is a 409 and is
// retried from fresh state), Events through core/v1 so `kubectl describe` shows them.
// GatedHostWrites wraps them with the leader-election write gate and the write metrics.
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type ConfigurationOptions, type KubeConfig } from '@kubernetes/client-node';
import { RECORD_API_VERSION, VERSION, type DNSEndpoint, type DNSRecord, type RecordKind } from '../../api/schema.js';
import { dnsEndpointKindFor, recordKindDef } from '../../api/kinds.js';
import type { RecordRef } from '../../core/dnsendpoint.js';
import { NotLeaderError, statusCodeOf } from '../../errors.js';
import { observeHostWrite } from '../../metrics/metrics.js';
import type { OwnWrites } from './own-writes.js';
import { keyOf } from '../../core/record-key.js';
import { timeoutOptions } from '../../kube/request.js';
import { eventBody } from '../../kube/event-body.js';
import type { HostWrites, WriteGate } from './ports.js';

/** Default deadline of one host API request (see ApiHostWrites). */
export const HOST_REQUEST_TIMEOUT_MS = 5_000;

const versionOf = (o: unknown): string | undefined => (o as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;

export class ApiHostWrites implements HostWrites {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly plural: string;
  private readonly timeout: ConfigurationOptions;
  private readonly mergePatch: ConfigurationOptions;

  constructor(
    kc: KubeConfig,
    private readonly group: string,
    private readonly component = 'mcdns',
    /** Notes the resourceVersion each of our writes left, so their watch echoes are not work. */
    private readonly own?: OwnWrites,
    /**
     * Longest a host request may take. A write that passed the leader gate must not land after
     * the Lease could have passed to another replica: 5 s is a 15 s Lease less its 10 s renew
     * deadline. (undici alone would wait up to 300 s.)
     */
    requestTimeoutMs = HOST_REQUEST_TIMEOUT_MS,
  ) {
    this.timeout = timeoutOptions(requestTimeoutMs);
    this.mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch, this.timeout);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    this.plural = dnsEndpointKindFor(group).plural;
  }

  async createDNSEndpoint(obj: DNSEndpoint): Promise<void> {
    const { namespace, name } = obj.metadata as { namespace: string; name: string };
    const made = await this.custom.createNamespacedCustomObject({ group: this.group, version: VERSION, namespace, plural: this.plural, body: obj }, this.timeout);
    this.own?.wrote(keyOf({ kind: 'DNSEndpoint', namespace, name }), versionOf(made));
  }

  async replaceDNSEndpoint(obj: DNSEndpoint): Promise<void> {
    const { namespace, name } = obj.metadata as { namespace: string; name: string };
    const made = await this.custom.replaceNamespacedCustomObject({ group: this.group, version: VERSION, namespace, plural: this.plural, name, body: obj }, this.timeout);
    this.own?.wrote(keyOf({ kind: 'DNSEndpoint', namespace, name }), versionOf(made));
  }

  async deleteDNSEndpoint(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ group: this.group, version: VERSION, namespace, plural: this.plural, name }, this.timeout);
  }

  async readDNSEndpoint(namespace: string, name: string): Promise<DNSEndpoint | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ group: this.group, version: VERSION, namespace, plural: this.plural, name }, this.timeout)) as DNSEndpoint;
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw err;
    }
  }

  async replaceStatus(kind: RecordKind, record: DNSRecord): Promise<DNSRecord> {
    const def = recordKindDef(kind);
    const { namespace, name } = record.metadata as { namespace: string; name: string };
    const made = await this.custom.replaceNamespacedCustomObjectStatus({
      group: def.group,
      version: def.version,
      namespace,
      plural: def.plural,
      name,
      body: { ...record, apiVersion: RECORD_API_VERSION, kind },
    }, this.timeout);
    this.own?.wrote(keyOf({ kind, namespace, name }), versionOf(made));
    return made as DNSRecord;
  }

  async updateFinalizers(kind: RecordKind, record: DNSRecord, finalizers: string[]): Promise<DNSRecord> {
    const def = recordKindDef(kind);
    const { namespace, name } = record.metadata as { namespace: string; name: string };
    // A merge patch of the finalizers alone, carrying the cached resourceVersion: a stale cache
    // gets a 409 and a retry, as with an update, and whatever the cache leaves out (the
    // last-applied-configuration annotation) stays on the object.
    const made = (await this.custom.patchNamespacedCustomObject({
      group: def.group,
      version: def.version,
      namespace,
      plural: def.plural,
      name,
      body: { metadata: { finalizers, resourceVersion: record.metadata.resourceVersion } },
    }, this.mergePatch)) as DNSRecord;
    this.own?.wrote(keyOf({ kind, namespace, name }), versionOf(made));
    return made;
  }

  async event(record: RecordRef, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const involvedObject = { apiVersion: RECORD_API_VERSION, kind: record.kind, name: record.name, namespace: record.namespace, uid: record.uid };
    const body = eventBody({ involvedObject, type, reason, message, component: this.component });
    await this.core.createNamespacedEvent({ namespace: record.namespace, body }, this.timeout);
  }
}


/**
 * HostWrites that check the gate right before every request (a replica that loses the lease
 * stops writing at once, even mid-reconcile) and count every write in mcdns_host_writes_total.
 */
export class GatedHostWrites implements HostWrites {
  constructor(
    private readonly inner: HostWrites,
    private readonly gate: WriteGate,
  ) {}

  private async call<T>(resource: string, verb: string, fn: () => Promise<T>): Promise<T> {
    if (!this.gate.allowed()) throw new NotLeaderError(`${verb} ${resource}`);
    try {
      const v = await fn();
      observeHostWrite(resource, verb, true);
      return v;
    } catch (err) {
      observeHostWrite(resource, verb, false);
      throw err;
    }
  }

  createDNSEndpoint(obj: DNSEndpoint): Promise<void> {
    return this.call('dnsendpoints', 'create', () => this.inner.createDNSEndpoint(obj));
  }
  replaceDNSEndpoint(obj: DNSEndpoint): Promise<void> {
    return this.call('dnsendpoints', 'update', () => this.inner.replaceDNSEndpoint(obj));
  }
  deleteDNSEndpoint(namespace: string, name: string): Promise<void> {
    return this.call('dnsendpoints', 'delete', () => this.inner.deleteDNSEndpoint(namespace, name));
  }
  /** A read: not gated, not counted. */
  readDNSEndpoint(namespace: string, name: string): Promise<DNSEndpoint | undefined> {
    return this.inner.readDNSEndpoint(namespace, name);
  }
  replaceStatus(kind: RecordKind, record: DNSRecord): Promise<DNSRecord | void> {
    return this.call('status', 'update', () => this.inner.replaceStatus(kind, record));
  }
  updateFinalizers(kind: RecordKind, record: DNSRecord, finalizers: string[]): Promise<DNSRecord> {
    return this.call('finalizers', 'update', () => this.inner.updateFinalizers(kind, record, finalizers));
  }
  event(record: RecordRef, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    return this.call('events', 'create', () => this.inner.event(record, type, reason, message));
  }
}
