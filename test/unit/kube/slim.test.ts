// What the host caches keep of the objects the API server sends: everything a reconcile reads or
// writes back, none of the server's bookkeeping.
import { expect } from 'chai';
import type { DNSEndpoint, IngressDNSRecord } from '../../../src/api/schema.js';
import { validateObject } from '../../../src/api/validate.js';
import { canonical } from '../../../src/core/canonical.js';
import { LAST_APPLIED_ANNOTATION, dnsEndpointCacheEntry, endpointCount, recordCacheEntry, stripManagedFields } from '../../../src/kube/slim.js';

const managedFields = [
  { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', time: '2026-11-30T12:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:hosts': {} } } },
  { manager: 'mcdns', operation: 'Update', subresource: 'status', fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { 'f:conditions': {} } } },
];

/** A record as the API server sends it (parsed from JSON, as the informer gets it). */
function recordFromServer(annotations?: Record<string, string>): IngressDNSRecord {
  return JSON.parse(
    JSON.stringify({
      apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
      kind: 'IngressDNSRecord',
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: '6f1c1b5e-0000-4000-8000-000000000001',
        resourceVersion: '4711',
        generation: 3,
        creationTimestamp: '2026-11-30T12:00:00Z',
        finalizers: ['multiclusterdns.kubefed.io/cleanup'],
        labels: { team: 'shop' },
        ...(annotations ? { annotations } : {}),
        managedFields,
      },
      spec: { hosts: ['web.example.org'], recordTTL: 60 },
      status: {
        observedGeneration: 3,
        conditions: [{ type: 'Ready', status: 'True', reason: 'Published', message: 'published', lastTransitionTime: '2026-11-30T12:00:02Z' }],
        dns: [
          { cluster: 'eu', loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } },
          { cluster: 'us', loadBalancer: { ingress: [{ hostname: 'lb.us.example.net' }] } },
        ],
        targets: ['192.0.2.10', 'lb.us.example.net'],
      },
    }),
  ) as IngressDNSRecord;
}

describe('kube/slim: what the host caches keep', () => {
  describe('stripManagedFields (records and Domains)', () => {
    it('drops metadata.managedFields and keeps everything a reconcile reads', () => {
      const cached = stripManagedFields(recordFromServer());
      expect(cached.metadata).to.not.have.property('managedFields');
      const expected = recordFromServer();
      delete (expected.metadata as { managedFields?: unknown }).managedFields;
      expect(cached).to.deep.equal(expected);
    });

    it("drops kubectl apply's last-applied-configuration and keeps the other annotations", () => {
      const applied = JSON.stringify({ apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'IngressDNSRecord', spec: { hosts: ['web.example.org'] } });
      expect(stripManagedFields(recordFromServer({ [LAST_APPLIED_ANNOTATION]: applied, owner: 'team-a' })).metadata.annotations).to.deep.equal({ owner: 'team-a' });
      expect(stripManagedFields(recordFromServer({ [LAST_APPLIED_ANNOTATION]: applied })).metadata).to.not.have.property('annotations');
      expect(stripManagedFields(recordFromServer({ owner: 'team-a' })).metadata.annotations).to.deep.equal({ owner: 'team-a' });
    });

    it('leaves an object without metadata as it is', () => {
      const bare = { apiVersion: 'v1', kind: 'Thing' };
      expect(stripManagedFields(bare)).to.equal(bare);
    });
  });

  describe('recordCacheEntry (IngressDNSRecords and ServiceDNSRecords)', () => {
    it('reads, writes and compares the status as the server sent it, without managedFields', () => {
      const live = recordFromServer();
      const cached = recordCacheEntry(live);
      const { managedFields: _m, ...metadata } = live.metadata as typeof live.metadata & { managedFields?: unknown };
      expect(JSON.parse(JSON.stringify(cached))).to.deep.equal({ ...live, metadata });
      expect(cached.status?.dns).to.deep.equal(live.status?.dns);
      expect(cached.status?.targets).to.deep.equal(live.status?.targets);
      expect(cached.status?.conditions).to.deep.equal(live.status?.conditions);
      expect(canonical(cached.status)).to.equal(canonical(live.status));
    });

    it('passes the same validation as the record it came from (the packed text is no field)', () => {
      const cached = recordCacheEntry(recordFromServer());
      expect(validateObject(cached)).to.deep.equal([]);
      expect(Object.keys(cached.status ?? {}).sort()).to.deep.equal(['conditions', 'observedGeneration']);
    });

    it('leaves a record without status as stripManagedFields does', () => {
      const live = recordFromServer();
      delete live.status;
      expect(recordCacheEntry(live)).to.deep.equal(stripManagedFields(live));
    });
  });

  describe('dnsEndpointCacheEntry (DNSEndpoints mcdns made)', () => {
    const fromServer = (): DNSEndpoint =>
      JSON.parse(
        JSON.stringify({
          apiVersion: 'externaldns.k8s.io/v1alpha1',
          kind: 'DNSEndpoint',
          metadata: {
            name: 'ingress-web',
            namespace: 'shop',
            uid: '6f1c1b5e-0000-4000-8000-000000000002',
            resourceVersion: '4712',
            generation: 2,
            creationTimestamp: '2026-11-30T12:00:01Z',
            labels: { 'app.kubernetes.io/managed-by': 'mcdns', 'multiclusterdns.kubefed.io/record-kind': 'ingressdnsrecord', 'multiclusterdns.kubefed.io/record-name': 'web' },
            annotations: { note: 'kept' },
            ownerReferences: [{ apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'IngressDNSRecord', name: 'web', uid: '6f1c1b5e-0000-4000-8000-000000000001', controller: true, blockOwnerDeletion: true }],
            managedFields,
          },
          spec: { endpoints: [{ dnsName: 'web.example.org', recordType: 'A', recordTTL: 60, targets: ['192.0.2.10', '198.51.100.7'] }] },
          status: { observedGeneration: 2 },
        }),
      ) as DNSEndpoint;

    it('keeps the spec, labels and ownerReferences mcdns compares, and what a replace must send back', () => {
      const live = fromServer();
      const cached = dnsEndpointCacheEntry(live);
      expect(cached.spec.endpoints).to.deep.equal(live.spec.endpoints);
      expect(JSON.parse(JSON.stringify(cached))).to.deep.equal({
        apiVersion: live.apiVersion,
        kind: live.kind,
        metadata: {
          name: 'ingress-web',
          namespace: 'shop',
          resourceVersion: '4712',
          labels: live.metadata.labels,
          annotations: { note: 'kept' },
          ownerReferences: live.metadata.ownerReferences,
        },
        spec: live.spec,
      });
    });

    it('counts the endpoints of a cached DNSEndpoint as of one from the server (what /metrics reports)', () => {
      const live = fromServer();
      expect(endpointCount(dnsEndpointCacheEntry(live).spec)).to.equal(1).and.equal(endpointCount(live.spec));
      expect(endpointCount(dnsEndpointCacheEntry({ ...live, spec: {} } as DNSEndpoint).spec)).to.equal(0);
      expect(endpointCount(undefined)).to.equal(0);
    });

    it('keeps finalizers and a deletion in progress, which a replace must not drop', () => {
      const live = fromServer();
      live.metadata.finalizers = ['example.com/keep'];
      (live.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2026-11-30T12:05:00Z';
      expect(dnsEndpointCacheEntry(live).metadata).to.include({ deletionTimestamp: '2026-11-30T12:05:00Z' }).and.to.deep.include({ finalizers: ['example.com/keep'] });
    });
  });
});
