import type { DNSEndpoint, DNSRecord, Domain, RecordKind } from '../../../../src/api/schema.js';
import type { ClusterObservation } from '../../../../src/core/observation.js';
import type { RecordRef } from '../../../../src/core/dnsendpoint.js';
import { type HostView, type HostWrites } from '../../../../src/controller/host/ports.js';
import { keyOf, type RecordKey } from '../../../../src/core/record-key.js';

// An in-memory host: the reconciler's two ports, recording every write it makes.
export class MemoryHost implements HostView, HostWrites {
  records = new Map<string, DNSRecord>();
  domains = new Map<string, Domain>();
  endpoints = new Map<string, DNSEndpoint>();
  clusters: ClusterObservation[] = [];
  writes: string[] = [];
  events: string[] = [];

  record(key: RecordKey) { return this.records.get(keyOf(key)); }
  domain(namespace: string, name: string) {
    return this.domains.get(`${namespace}/${name}`) ?? this.domains.get(`kube-federation-system/${name}`);
  }
  domainNamespaces(namespace: string) { return [namespace, 'kube-federation-system']; }
  dnsEndpoint(namespace: string, name: string) { return this.endpoints.get(`${namespace}/${name}`); }
  members() { return this.clusters; }

  async createDNSEndpoint(obj: DNSEndpoint) {
    this.writes.push(`create ${obj.metadata.name}`);
    this.endpoints.set(`${obj.metadata.namespace}/${obj.metadata.name}`, structuredClone(obj));
  }
  async replaceDNSEndpoint(obj: DNSEndpoint) {
    this.writes.push(`replace ${obj.metadata.name}`);
    this.endpoints.set(`${obj.metadata.namespace}/${obj.metadata.name}`, structuredClone(obj));
  }
  async deleteDNSEndpoint(namespace: string, name: string) {
    this.writes.push(`delete ${name}`);
    this.endpoints.delete(`${namespace}/${name}`);
  }
  async replaceStatus(kind: RecordKind, record: DNSRecord) {
    this.writes.push(`status ${record.metadata.name}`);
    this.records.set(`${kind}/${record.metadata.namespace}/${record.metadata.name}`, structuredClone(record));
  }
  async readDNSEndpoint(namespace: string, name: string) { return this.endpoints.get(`${namespace}/${name}`); }
  async updateFinalizers(kind: RecordKind, record: DNSRecord, finalizers: string[]) {
    this.writes.push(`finalizers ${record.metadata.name}`);
    const next = structuredClone({ ...record, metadata: { ...record.metadata, finalizers } });
    this.records.set(`${kind}/${record.metadata.namespace}/${record.metadata.name}`, next);
    return next;
  }
  async event(ref: RecordRef, type: string, reason: string) { this.events.push(`${type} ${reason} ${ref.name}`); }
}

