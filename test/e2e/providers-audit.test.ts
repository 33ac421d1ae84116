// `mcdns audit` and `mcdns plan` against a real PowerDNS zone holding mcdns records, a record
// owned by an ExternalDNS (another owner id), a hand-made record and an orphan ownership TXT.
import { expect } from 'chai';
import { runAudit } from '../../src/commands/audit.js';
import { desiredFromDNSEndpoints, runPlan } from '../../src/commands/plan.js';
import type { AuditReport } from '../../src/plan/audit.js';
import { providerConfig, sinkFromConfig } from '../../src/apply/config.js';
import { ownershipConfig, resourceId } from '../../src/plan/ownership.js';
import { ProviderSink } from '../../src/apply/sink.js';
import { PowerDnsProvider } from '../../providers/powerdns/index.js';
import { startPowerDns, type PowerDnsHandle } from '../env/powerdns.js';

const WEB = resourceId('IngressDNSRecord', 'fed-namespace', 'web');
const API = resourceId('ServiceDNSRecord', 'fed-namespace', 'api');
const FOREIGN = '"heritage=external-dns,external-dns/owner=external-dns-prod,external-dns/resource=crd/shop/ingress-shop"';

describe('providers: mcdns audit and plan on a real PowerDNS zone', function () {
  this.timeout(60_000);
  let pdns: PowerDnsHandle;
  const ownership = ownershipConfig({ ownerId: 'mcdns' });
  const provider = () => new PowerDnsProvider({ server: pdns.apiUrl, apiKey: pdns.apiKey });

  before(async () => {
    pdns = await startPowerDns();
    await pdns.createZone('example.org');
    const sink = new ProviderSink({ provider: provider(), ownership, policy: 'sync' });
    await sink.syncRecord(WEB, [{ dnsName: 'www.example.org', recordType: 'A', targets: ['192.0.2.1', '192.0.2.2'], recordTTL: 60 }]);
    await sink.syncRecord(API, [{ dnsName: 'api.example.org', recordType: 'A', targets: ['192.0.2.3'], recordTTL: 60 }]);
    await pdns.api('PATCH', '/servers/localhost/zones/example.org.', {
      rrsets: [
        // What an ExternalDNS v0.22 with --txt-owner-id=external-dns-prod writes.
        { name: 'shop.example.org.', type: 'A', ttl: 300, changetype: 'REPLACE', records: [{ content: '198.51.100.7', disabled: false }] },
        { name: 'a-shop.example.org.', type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: FOREIGN, disabled: false }] },
        // Written by hand, no registry.
        { name: 'legacy.example.org.', type: 'CNAME', ttl: 3600, changetype: 'REPLACE', records: [{ content: 'old.example.net.', disabled: false }] },
        // Someone deleted the api record behind mcdns's back: its TXT is an orphan now.
        { name: 'api.example.org.', type: 'A', changetype: 'DELETE' },
      ],
    });
  });

  after(async () => {
    await pdns?.stop();
  });

  it('reports mcdns records with their resource, the foreign owner, the unowned records and the orphan; exit 1', async () => {
    const { exitCode, output } = await runAudit({ provider: provider(), ownership, zones: ['example.org'], output: 'json' });
    expect(exitCode).to.equal(1);
    const report = JSON.parse(output) as AuditReport;
    const rows = report.entries.map((e) => [e.name, e.type, e.status, e.owner ?? '', e.resource ?? '']);
    expect(rows).to.deep.equal([
      ['a-api.example.org', 'TXT', 'orphan-txt', 'mcdns', API],
      ['example.org', 'NS', 'no-owner', '', ''],
      ['example.org', 'SOA', 'no-owner', '', ''],
      ['legacy.example.org', 'CNAME', 'no-owner', '', ''],
      ['ns1.example.org', 'A', 'no-owner', '', ''],
      ['shop.example.org', 'A', 'other-owner', 'external-dns-prod', 'crd/shop/ingress-shop'],
      ['www.example.org', 'A', 'owned', 'mcdns', WEB],
    ]);
    expect(report.entries.find((e) => e.status === 'orphan-txt')?.ownedRecord).to.equal('A api.example.org');
    expect(report.entries.find((e) => e.name === 'www.example.org')?.targets).to.deep.equal(['192.0.2.1', '192.0.2.2']);
    expect(report.summary).to.deep.equal({ owned: 1, 'other-owner': 1, 'no-owner': 4, 'orphan-txt': 1 });
  });

  it('prints a table by default', async () => {
    const { exitCode, output } = await runAudit({ provider: provider(), ownership, zones: ['example.org'] });
    expect(exitCode).to.equal(1);
    const lines = output.split('\n');
    expect(lines[0]).to.match(/^NAME\s+TYPE\s+TTL\s+STATUS\s+OWNER\s+RESOURCE\s+TARGETS$/);
    expect(lines.find((l) => l.startsWith('www.example.org'))).to.match(/^www\.example\.org\s+A\s+60\s+owned\s+mcdns\s+ingressdnsrecord\/fed-namespace\/web\s+192\.0\.2\.1,192\.0\.2\.2$/);
    expect(lines.find((l) => l.startsWith('shop.example.org'))).to.match(/other owner\s+external-dns-prod\s+crd\/shop\/ingress-shop/);
    expect(lines.find((l) => l.startsWith('a-api.example.org'))).to.match(/ORPHAN TXT\s+mcdns\s+servicednsrecord\/fed-namespace\/api\s+\(for A api\.example\.org\)/);
    expect(output).to.include('6 record sets in example.org: 1 owned by "mcdns", 1 by other owners, 4 without owner; 1 orphan ownership TXT');
  });

  it('exits 0 once the orphan is cleaned up by a sync of its resource, and 2 when the provider is unreachable', async () => {
    const sink = new ProviderSink({ provider: provider(), ownership, policy: 'sync' });
    await sink.syncRecord(API, []);
    expect((await runAudit({ provider: provider(), ownership, zones: ['example.org'] })).exitCode).to.equal(0);
    const down = new PowerDnsProvider({ server: 'http://127.0.0.1:1', apiKey: 'x', timeoutMs: 1000 });
    const failed = await runAudit({ provider: down, ownership, zones: ['example.org'] });
    expect(failed.exitCode).to.equal(2);
    expect(failed.output).to.match(/^mcdns audit: cannot read powerdns: /);
  });

  it('plans DNSEndpoint YAML against the live zone without writing: creates, updates and the conflict', async () => {
    const yaml = `
apiVersion: v1
kind: List
items:
- apiVersion: externaldns.k8s.io/v1alpha1
  kind: DNSEndpoint
  metadata:
    name: ingress-web
    namespace: fed-namespace
    labels: { multiclusterdns.kubefed.io/record-kind: ingressdnsrecord, multiclusterdns.kubefed.io/record-name: web }
  spec:
    endpoints:
    - { dnsName: www.example.org, recordType: A, targets: [192.0.2.1, 192.0.2.9], recordTTL: 60 }
    - { dnsName: shop.example.org, recordType: A, targets: [192.0.2.10], recordTTL: 60 }
    - { dnsName: new.example.org, recordType: A, targets: [192.0.2.11], recordTTL: 60 }
`;
    const desired = desiredFromDNSEndpoints(yaml);
    expect(desired.map((d) => d.resource)).to.deep.equal([WEB]);
    const before = JSON.stringify(await pdns.rrsets('example.org'));
    const cfg = providerConfig('powerdns', {}, { MCDNS_PDNS_SERVER: pdns.apiUrl, MCDNS_PDNS_API_KEY: pdns.apiKey });
    const { exitCode, output } = await runPlan({ sink: sinkFromConfig(cfg, { ownerId: 'mcdns' }), desired });
    expect(exitCode).to.equal(1);
    expect(output.split('\n')).to.include.members([
      'ingressdnsrecord/fed-namespace/web:',
      `  + TXT a-new.example.org 60 "heritage=external-dns,external-dns/owner=mcdns,external-dns/resource=${WEB}"`,
      '  + A new.example.org 60 192.0.2.11',
      '  ~ A www.example.org 60 192.0.2.1,192.0.2.9 (was 60 192.0.2.1,192.0.2.2)',
      '  ! A shop.example.org not written: A shop.example.org is owned by owner "external-dns-prod" (resource crd/shop/ingress-shop)',
      'Plan: 2 to create, 1 to update, 0 to delete, 1 blocked.',
    ]);
    expect(JSON.stringify(await pdns.rrsets('example.org'))).to.equal(before);
  });
});
