// The kinds mcdns serves or emits, with their CRD names and printer columns.
// Each entry points at its schema in schema.ts, so CRDs and run-time validation agree.
import type { TSchema } from '@sinclair/typebox';
import * as S from './schema.js';

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface KindDef {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  listKind: string;
  shortNames?: string[];
  categories?: string[];
  schema: TSchema;
  statusSubresource: boolean;
  printerColumns: PrinterColumn[];
  /** Extra CRD annotations (groups under *.k8s.io need api-approved.kubernetes.io). */
  annotations?: Record<string, string>;
  /** Default Namespaced. */
  scope?: 'Namespaced' | 'Cluster';
}

const readyColumns: PrinterColumn[] = [
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
];
const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function kind(k: Omit<KindDef, 'listKind' | 'singular' | 'version'> & { version?: string }): KindDef {
  return { version: S.VERSION, listKind: `${k.kind}List`, singular: k.kind.toLowerCase(), ...k };
}

export const IngressDNSRecordKind = kind({
  group: S.KUBEFED_GROUP,
  kind: 'IngressDNSRecord',
  plural: 'ingressdnsrecords',
  shortNames: ['idnsr'],
  categories: ['mcdns'],
  schema: S.IngressDNSRecord,
  statusSubresource: true,
  printerColumns: [
    { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts' },
    { name: 'Targets', type: 'string', jsonPath: '.status.targets' },
    ...readyColumns,
    age,
  ],
});

export const ServiceDNSRecordKind = kind({
  group: S.KUBEFED_GROUP,
  kind: 'ServiceDNSRecord',
  plural: 'servicednsrecords',
  shortNames: ['sdnsr'],
  categories: ['mcdns'],
  schema: S.ServiceDNSRecord,
  statusSubresource: true,
  printerColumns: [
    { name: 'Domain', type: 'string', jsonPath: '.status.domain' },
    { name: 'Targets', type: 'string', jsonPath: '.status.targets' },
    ...readyColumns,
    age,
  ],
});

/** The names of a Gateway API route (same group as DNSNamePolicy: an mcdns kind, not KubeFed's). */
export const RouteDNSRecordKind = kind({
  group: S.KUBEFED_GROUP,
  kind: 'RouteDNSRecord',
  plural: 'routednsrecords',
  shortNames: ['rdnsr'],
  categories: ['mcdns'],
  schema: S.RouteDNSRecord,
  statusSubresource: true,
  printerColumns: [
    { name: 'Route', type: 'string', jsonPath: '.spec.routeRef.kind' },
    { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts' },
    { name: 'Targets', type: 'string', jsonPath: '.status.targets' },
    ...readyColumns,
    age,
  ],
});

export const DomainKind = kind({
  group: S.KUBEFED_GROUP,
  kind: 'Domain',
  plural: 'domains',
  categories: ['mcdns'],
  schema: S.Domain,
  statusSubresource: false,
  printerColumns: [
    { name: 'Domain', type: 'string', jsonPath: '.domain' },
    { name: 'NameServer', type: 'string', jsonPath: '.nameServer' },
    age,
  ],
});

const endpointColumns: PrinterColumn[] = [
  { name: 'Names', type: 'string', jsonPath: '.spec.endpoints[*].dnsName' },
  { name: 'Targets', type: 'string', jsonPath: '.spec.endpoints[*].targets' },
  age,
];

/** The DNSEndpoint ExternalDNS v0.21+ reads (the only group it reads, upstream #6414). */
export const DNSEndpointKind = kind({
  group: S.EXTERNALDNS_GROUP,
  kind: 'DNSEndpoint',
  plural: 'dnsendpoints',
  // The API server refuses CRDs in *.k8s.io groups without this; ExternalDNS's own CRD cites
  // the pull request that approved its API.
  annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/external-dns/pull/2007' },
  schema: S.DNSEndpoint,
  statusSubresource: true,
  printerColumns: endpointColumns,
});

/** KubeFed's copy, for ExternalDNS <= v0.20 configured with --crd-source-apiversion as in the seeds. */
export const LegacyDNSEndpointKind = kind({
  group: S.KUBEFED_GROUP,
  kind: 'DNSEndpoint',
  plural: 'dnsendpoints',
  // With both CRDs installed `kubectl get dnsendpoints` picks externaldns.k8s.io: the short name
  // and the category reach this group without typing it.
  shortNames: ['kfdnsep'],
  categories: ['mcdns'],
  schema: S.LegacyDNSEndpoint,
  statusSubresource: true,
  printerColumns: endpointColumns,
});

/** KubeFed's cluster registration, for installations without KubeFed that still want to use it. */
const KubeFedClusterKind = kind({
  group: S.KUBEFED_CORE_GROUP,
  version: 'v1beta1',
  kind: 'KubeFedCluster',
  plural: 'kubefedclusters',
  schema: S.KubeFedCluster,
  statusSubresource: true,
  printerColumns: [{ name: 'API Endpoint', type: 'string', jsonPath: '.spec.apiEndpoint' }, age],
});

/** Which namespaces may publish which names (cluster-scoped: only admins write it). */
export const DNSNamePolicyKind = kind({
  group: S.KUBEFED_GROUP,
  kind: 'DNSNamePolicy',
  plural: 'dnsnamepolicies',
  categories: ['mcdns'],
  scope: 'Cluster',
  schema: S.DNSNamePolicy,
  statusSubresource: false,
  printerColumns: [{ name: 'Names', type: 'string', jsonPath: '.spec.allowedNames[*].suffix' }, age],
});

export const allKinds: KindDef[] = [
  IngressDNSRecordKind,
  ServiceDNSRecordKind,
  RouteDNSRecordKind,
  DomainKind,
  DNSNamePolicyKind,
  DNSEndpointKind,
  LegacyDNSEndpointKind,
  KubeFedClusterKind,
];

/** The kind definition of a record kind. */
export function recordKindDef(kind: S.RecordKind): KindDef {
  return kind === 'IngressDNSRecord' ? IngressDNSRecordKind : kind === 'ServiceDNSRecord' ? ServiceDNSRecordKind : RouteDNSRecordKind;
}

export function dnsEndpointKindFor(group: string): KindDef {
  if (group === S.EXTERNALDNS_GROUP) return DNSEndpointKind;
  if (group === S.KUBEFED_GROUP) return LegacyDNSEndpointKind;
  throw new Error(`unsupported DNSEndpoint group "${group}": use ${S.EXTERNALDNS_GROUP} or ${S.KUBEFED_GROUP}`);
}
