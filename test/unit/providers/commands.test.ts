import { expect } from 'chai';
import { auditTable } from '../../../src/commands/audit.js';
import { desiredFromDNSEndpoints, planText } from '../../../src/commands/plan.js';
import { auditReport } from '../../../src/plan/audit.js';
import { formatOwnership, ownershipConfig } from '../../../src/plan/ownership.js';

describe('providers: audit and plan output', () => {
  const cfg = ownershipConfig({ ownerId: 'mcdns' });

  it('audits old-format ownership and marks TXTs shared by several owners', () => {
    const report = auditReport('mcdns', [
      {
        zone: 'example.org',
        records: [
          { name: 'old.example.org', type: 'A', ttl: 60, targets: ['192.0.2.1'] },
          { name: 'old.example.org', type: 'TXT', ttl: 60, targets: [formatOwnership({ owner: 'legacy' })] },
          { name: 'co.example.org', type: 'A', ttl: 60, targets: ['192.0.2.2'] },
          { name: 'a-co.example.org', type: 'TXT', ttl: 60, targets: [formatOwnership({ owner: 'mcdns', resource: 'x/y/z' }), formatOwnership({ owner: 'kuadrant' })] },
        ],
      },
    ], cfg);
    expect(report.entries.map((e) => [e.name, e.status, e.owner, e.shared ?? false])).to.deep.equal([
      ['co.example.org', 'owned', 'mcdns', true],
      ['old.example.org', 'other-owner', 'legacy', false],
    ]);
    expect(auditTable(report)).to.include('owned (shared)');
  });

  it('reports, for a provider answering subtrees, record sets that change the answer of another owner\'s name above them', () => {
    const zone = {
      zone: 'example.org',
      records: [
        { name: 'other.example.org', type: 'A', ttl: 60, targets: ['198.51.100.7'] },
        { name: 'a-other.example.org', type: 'TXT', ttl: 60, targets: [formatOwnership({ owner: 'external-dns', resource: 'crd/x/other' })] },
        { name: 'api.other.example.org', type: 'A', ttl: 60, targets: ['192.0.2.1'] },
        { name: 'a-api.other.example.org', type: 'TXT', ttl: 60, targets: [formatOwnership({ owner: 'mcdns', resource: 'ingressdnsrecord/ns/api' })] },
        { name: 'www.example.org', type: 'A', ttl: 60, targets: ['192.0.2.2'] },
      ],
    };
    const report = auditReport('mcdns', [zone], cfg, { answersSubtree: true });
    expect(report.entries.filter((e) => e.shadows).map((e) => [e.name, e.shadows])).to.deep.equal([
      ['api.other.example.org', 'A other.example.org (owner external-dns)'],
    ]);
    expect(report.shadowing).to.equal(1);
    expect(auditTable(report)).to.include('owned, SHADOWS A other.example.org (owner external-dns)')
      .and.include("1 record set changing the answer of another owner's name above");
    // The same pair seen from above: other.example.org is answered with mcdns's record below it.
    expect(report.entries.filter((e) => e.shadowedBy).map((e) => [e.name, e.shadowedBy])).to.deep.equal([
      ['other.example.org', 'A api.other.example.org (owner mcdns)'],
    ]);
    expect(report.shadowed).to.equal(1);
    expect(auditTable(report)).to.include('other owner, ANSWERS WITH A api.other.example.org (owner mcdns)')
      .and.include("1 record set answered with another owner's records below");
    // A provider that answers each name alone has no such problem.
    expect(auditReport('mcdns', [zone], cfg).shadowing).to.equal(0);
    expect(auditReport('mcdns', [zone], cfg).shadowed).to.equal(0);
  });

  it('prints a plan with + ~ - ! ? lines and a total', () => {
    const text = planText([
      {
        resource: 'ingressdnsrecord/ns/web',
        zones: [
          {
            zone: 'example.org',
            changes: [
              { action: 'delete', record: { name: 'old.example.org', type: 'A', ttl: 60, targets: ['192.0.2.1'] } },
              { action: 'update', record: { name: 'www.example.org', type: 'A', ttl: 60, targets: ['192.0.2.2'] }, previous: { name: 'www.example.org', type: 'A', ttl: 30, targets: ['192.0.2.1'] } },
            ],
          },
        ],
        conflicts: [{ name: 'x.example.org', type: 'A', zone: 'example.org', message: 'A x.example.org not written: taken' }],
        problems: [{ name: 'y.example.net', type: 'A', reason: 'no-zone', message: 'no managed zone holds y.example.net' }],
      },
      { resource: 'servicednsrecord/ns/api', zones: [], conflicts: [], problems: [] },
    ]);
    expect(text.split('\n')).to.deep.equal([
      'ingressdnsrecord/ns/web:',
      '  - A old.example.org 60 192.0.2.1',
      '  ~ A www.example.org 60 192.0.2.2 (was 30 192.0.2.1)',
      '  ! A x.example.org not written: taken',
      '  ? no managed zone holds y.example.net',
      'servicednsrecord/ns/api:',
      '  (no changes)',
      '',
      'Plan: 0 to create, 1 to update, 1 to delete, 2 blocked.',
      '',
    ]);
  });

  it('reads desired records from multi-document DNSEndpoint YAML, other kinds ignored', () => {
    const desired = desiredFromDNSEndpoints(`
apiVersion: externaldns.k8s.io/v1alpha1
kind: DNSEndpoint
metadata: { name: service-api, namespace: team, labels: { multiclusterdns.kubefed.io/record-kind: servicednsrecord, multiclusterdns.kubefed.io/record-name: api } }
spec: { endpoints: [ { dnsName: api.example.org, recordType: A, targets: [192.0.2.1] } ] }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: x }
---
apiVersion: externaldns.k8s.io/v1alpha1
kind: DNSEndpoint
metadata: { name: hand-made, namespace: team }
spec: {}
`);
    expect(desired).to.deep.equal([
      { resource: 'servicednsrecord/team/api', endpoints: [{ dnsName: 'api.example.org', recordType: 'A', targets: ['192.0.2.1'] }] },
      { resource: 'dnsendpoint/team/hand-made', endpoints: [] },
    ]);
  });
});
