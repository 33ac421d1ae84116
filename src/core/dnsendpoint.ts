// The DNSEndpoint object mcdns keeps for each record, as ExternalDNS reads it (--source=crd).
// Pure: building and comparing; writing it is the sink's job.
import type { DNSEndpoint, Endpoint, RecordKind } from '../api/schema.js';
import { RECORD_API_VERSION, RECORD_KINDS, VERSION } from '../api/schema.js';
import { canonical } from './canonical.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'mcdns';
export const RECORD_KIND_LABEL = 'multiclusterdns.kubefed.io/record-kind';
export const RECORD_NAME_LABEL = 'multiclusterdns.kubefed.io/record-name';

export interface RecordRef {
  kind: RecordKind;
  namespace: string;
  name: string;
  uid?: string;
}

/** KubeFed's names: ingress-<name> / service-<name> (and route-<name>), in the record's namespace. */
export function dnsEndpointName(kind: RecordKind, name: string): string {
  return `${kind === 'IngressDNSRecord' ? 'ingress' : kind === 'ServiceDNSRecord' ? 'service' : 'route'}-${name}`;
}

/** The record kind a DNSEndpoint's record-kind label names (mcdns writes the kind in lower case). */
export function recordKindOfLabel(label: string | undefined): RecordKind | undefined {
  return RECORD_KINDS.find((k) => k.toLowerCase() === label);
}

export function dnsEndpointFor(record: RecordRef, endpoints: Endpoint[], group: string): DNSEndpoint {
  const metadata: DNSEndpoint['metadata'] = {
    name: dnsEndpointName(record.kind, record.name),
    namespace: record.namespace,
    labels: {
      [MANAGED_BY_LABEL]: MANAGED_BY,
      [RECORD_KIND_LABEL]: record.kind.toLowerCase(),
      [RECORD_NAME_LABEL]: record.name,
    },
  };
  if (record.uid) {
    // The ownerReference lets the garbage collector remove the DNSEndpoint with its record.
    metadata.ownerReferences = [
      { apiVersion: RECORD_API_VERSION, kind: record.kind, name: record.name, uid: record.uid, controller: true, blockOwnerDeletion: true },
    ];
  }
  return { apiVersion: `${group}/${VERSION}`, kind: 'DNSEndpoint', metadata, spec: { endpoints } };
}

/** Whether the live object already says what we would write (ignoring server-set fields). */
export function sameDNSEndpoint(live: DNSEndpoint, desired: DNSEndpoint): boolean {
  return (
    canonical(live.spec.endpoints ?? []) === canonical(desired.spec.endpoints ?? []) &&
    canonical(pickLabels(live.metadata.labels, desired.metadata.labels)) === canonical(desired.metadata.labels ?? {}) &&
    canonical(live.metadata.ownerReferences ?? []) === canonical(desired.metadata.ownerReferences ?? [])
  );
}

function pickLabels(live: Record<string, string> | undefined, wanted: Record<string, string> | undefined) {
  return Object.fromEntries(Object.keys(wanted ?? {}).map((k) => [k, live?.[k]]));
}
