// HostWrites on a real API server: DNSEndpoints through the custom objects API, record status
// through the status subresource (with resourceVersion, so a stale write is a 409 and is
// retried from fresh state), Events through core/v1 so `kubectl describe` shows them.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { DNSEndpoint, DNSRecord, RecordKind } from '../api/schema.js';
import { VERSION } from '../api/schema.js';
import { IngressDNSRecordKind, ServiceDNSRecordKind, dnsEndpointKindFor } from '../api/kinds.js';
import type { RecordRef } from '../core/dnsendpoint.js';
import { RECORD_API_VERSION } from '../api/schema.js';
import type { HostWrites } from './reconcile.js';

export class ApiHostWrites implements HostWrites {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly plural: string;

  constructor(
    kc: KubeConfig,
    private readonly group: string,
    private readonly component = 'mcdns',
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.core = kc.makeApiClient(CoreV1Api);
    this.plural = dnsEndpointKindFor(group).plural;
  }

  async createDNSEndpoint(obj: DNSEndpoint): Promise<void> {
    const namespace = obj.metadata.namespace as string;
    await this.custom.createNamespacedCustomObject({ group: this.group, version: VERSION, namespace, plural: this.plural, body: obj });
  }

  async replaceDNSEndpoint(obj: DNSEndpoint): Promise<void> {
    const { namespace, name } = obj.metadata as { namespace: string; name: string };
    await this.custom.replaceNamespacedCustomObject({ group: this.group, version: VERSION, namespace, plural: this.plural, name, body: obj });
  }

  async deleteDNSEndpoint(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ group: this.group, version: VERSION, namespace, plural: this.plural, name });
  }

  async replaceStatus(kind: RecordKind, record: DNSRecord): Promise<void> {
    const def = kind === 'IngressDNSRecord' ? IngressDNSRecordKind : ServiceDNSRecordKind;
    const { namespace, name } = record.metadata as { namespace: string; name: string };
    await this.custom.replaceNamespacedCustomObjectStatus({
      group: def.group,
      version: def.version,
      namespace,
      plural: def.plural,
      name,
      body: { ...record, apiVersion: RECORD_API_VERSION, kind },
    });
  }

  async event(record: RecordRef, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const now = new Date();
    await this.core.createNamespacedEvent({
      namespace: record.namespace,
      body: {
        metadata: { generateName: `${record.name}.`, namespace: record.namespace },
        involvedObject: { apiVersion: RECORD_API_VERSION, kind: record.kind, name: record.name, namespace: record.namespace, uid: record.uid },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: this.component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        reportingComponent: this.component,
      },
    });
  }
}

/** The HTTP status of a client-node ApiException (or undefined for network errors). */
export function httpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}
