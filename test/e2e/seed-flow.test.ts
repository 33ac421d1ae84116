// The core user flow of the KubeFed guide, on real API servers with a real ExternalDNS writing
// into a real PowerDNS: the admin's YAML goes in unchanged, DNS answers come out.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, installMcdnsCrds, putIngress, setIngressAddresses } from '../env/workloads.js';
import type { DNSEndpoint, IngressDNSRecord } from '../../src/api/schema.js';

const NS = 'fed-namespace';
const RECORD = 'fed-helloworld-ingress';
const HOST = 'helloworld.example.org';

describe('end to end: the KubeFed seed flow through ExternalDNS into PowerDNS', function () {
  this.timeout(240_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  const sorted = (a: string[]) => [...a].sort().join(',');

  before(async () => {
    bed = await startBed({ members: ['member1', 'member2'] });
    for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
    await installMcdnsCrds((m) => bed.apply('host', m));
    // The FederatedIngress of the guide names the member Ingress helloworld-ingress.
    await putIngress(bed.kubeConfig('member1'), NS, 'helloworld-ingress', [HOST], ['127.0.0.11']);
    await putIngress(bed.kubeConfig('member2'), NS, 'helloworld-ingress', [HOST], ['127.0.0.12']);
    mcdns = startMcdns([
      ...bedFlags(bed),
      '--offline-grace=3s',
      '--heartbeat-interval=1s',
      '--log-level=debug',
    ]);
  });

  tearDownSuite(() => ({ mcdns, bed }));

  const dnsEndpoint = async () =>
    (await bed.kubeConfig('host').makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: NS, plural: 'dnsendpoints', name: `ingress-${RECORD}`,
    })) as DNSEndpoint;
  const record = async () =>
    (await bed.kubeConfig('host').makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'ingressdnsrecords', name: RECORD,
    })) as IngressDNSRecord;
  const answer = () => bed.powerdns!.query(HOST, 'A');

  it('turns the seed IngressDNSRecord into a DNSEndpoint with both members\' addresses', async () => {
    await bed.apply('host', readFileSync('manifests/samples/ingressdnsrecord.yaml', 'utf8'));
    const ep = await eventually('DNSEndpoint ingress-fed-helloworld-ingress', dnsEndpoint, (e) => e.spec.endpoints?.length === 1);
    expect(ep.spec.endpoints).to.deep.equal([{ dnsName: HOST, recordType: 'A', targets: ['127.0.0.11', '127.0.0.12'], recordTTL: 300 }]);
    expect(ep.metadata.ownerReferences?.[0]).to.include({ kind: 'IngressDNSRecord', name: RECORD });
  });

  it('writes the per-cluster addresses and Ready=True into the record status', async () => {
    const r = await eventually('record status', record, (x) => x.status?.conditions?.[0]?.status === 'True');
    expect(r.status?.dns).to.deep.equal([
      { cluster: 'member1', loadBalancer: { ingress: [{ ip: '127.0.0.11' }] } },
      { cluster: 'member2', loadBalancer: { ingress: [{ ip: '127.0.0.12' }] } },
    ]);
  });

  it('is answered by PowerDNS with both IPs, written by ExternalDNS with a TXT ownership record', async () => {
    const ips = await eventually(`A ${HOST}`, answer, (a) => sorted(a) === '127.0.0.11,127.0.0.12');
    expect(ips).to.have.members(['127.0.0.11', '127.0.0.12']);
    const rrsets = await bed.powerdns!.rrsets('example.org');
    const txt = rrsets.filter((r) => r.type === 'TXT' && r.records.some((c) => c.content.includes('heritage=external-dns')));
    expect(txt.map((r) => r.name)).to.include(`a-${HOST}.`);
    expect(txt.find((r) => r.name === `a-${HOST}.`)?.records[0]?.content).to.contain(`external-dns/owner=${bed.externalDns!.ownerId}`);
  });

  it('follows a load-balancer change in a member', async () => {
    await setIngressAddresses(bed.kubeConfig('member2'), NS, 'helloworld-ingress', ['127.0.0.13']);
    await eventually(`A ${HOST} after the change`, answer, (a) => sorted(a) === '127.0.0.11,127.0.0.13');
  });

  it('takes an unreachable member out of DNS after the offline grace and puts it back when it returns', async () => {
    await bed.apiServer('member2').stop();
    await eventually('member2 gone from DNS', answer, (a) => sorted(a) === '127.0.0.11');
    const r = await record();
    expect(r.status?.conditions?.[0]?.message).to.match(/member2/);
    await bed.apiServer('member2').start();
    await eventually('member2 back in DNS', answer, (a) => sorted(a) === '127.0.0.11,127.0.0.13');
  });

  it('follows edits of the record: an added host appears, a removed host leaves DNS (sync policy)', async () => {
    const api = bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
    const www = 'www.example.org';
    await putIngress(bed.kubeConfig('member1'), NS, 'helloworld-ingress', [HOST, www], ['127.0.0.11']);
    await putIngress(bed.kubeConfig('member2'), NS, 'helloworld-ingress', [HOST, www], ['127.0.0.13']);
    const r = await record();
    await api.replaceNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'ingressdnsrecords', name: RECORD,
      body: { ...r, spec: { ...r.spec, hosts: [HOST, www] } },
    });
    await eventually(`A ${www}`, () => bed.powerdns!.query(www, 'A'), (a) => sorted(a) === '127.0.0.11,127.0.0.13');
    const r2 = await record();
    await api.replaceNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'ingressdnsrecords', name: RECORD,
      body: { ...r2, spec: { ...r2.spec, hosts: [www] } },
    });
    await eventually(`${HOST} removed`, answer, (a) => a.length === 0);
    expect(sorted(await bed.powerdns!.query(www, 'A'))).to.equal('127.0.0.11,127.0.0.13');
  });

  it('removes every record, TXT included, when the IngressDNSRecord is deleted', async () => {
    await bed.kubeConfig('host').makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'ingressdnsrecords', name: RECORD,
    });
    await eventually('www gone', () => bed.powerdns!.query('www.example.org', 'A'), (a) => a.length === 0);
    const ours = (rr: { name: string; records: { content: string }[] }[]) =>
      rr.filter((r) => /^(a-)?(helloworld|www)\.example\.org\.$/.test(r.name) || r.records.some((c) => c.content.includes('heritage=external-dns')));
    const left = await eventually('no record of the deleted IngressDNSRecord left', () => bed.powerdns!.rrsets('example.org'), (rr) => ours(rr).length === 0);
    expect(left.map((r) => r.type)).to.include.members(['SOA', 'NS']);
  });
});
