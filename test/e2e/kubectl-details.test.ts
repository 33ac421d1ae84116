// What an admin sees with kubectl on real API servers: both DNSEndpoint CRDs installed and mcdns
// writing the legacy group, the short name and category that reach it, the troubleshooting
// commands of docs/troubleshooting.md, no status.health without spec.healthCheck, and the
// Degraded condition + Events when a member stops serving the record.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CustomObjectsApi, NetworkingV1Api } from '@kubernetes/client-node';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, installMcdnsCrds, putIngress } from '../env/workloads.js';
import type { IngressDNSRecord } from '../../src/api/schema.js';

const NS = 'fed-namespace';
const RECORD = 'fed-helloworld-ingress';
const HOST = 'helloworld.example.org';

describe('kubectl details: the legacy DNSEndpoint group, Degraded, status.health', function () {
  this.timeout(180_000);
  let bed: Bed;
  let mcdns: McdnsHandle;

  before(async () => {
    bed = await startBed({ members: ['member1', 'member2'], powerdns: false, externalDns: false });
    for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
    await installMcdnsCrds((m) => bed.apply('host', m));
    await putIngress(bed.kubeConfig('member1'), NS, 'helloworld-ingress', [HOST], ['127.0.0.11']);
    await putIngress(bed.kubeConfig('member2'), NS, 'helloworld-ingress', [HOST], ['127.0.0.12']);
    mcdns = startMcdns([...bedFlags(bed), '--dnsendpoint-group=multiclusterdns.kubefed.io', '--heartbeat-interval=1s']);
    await bed.apply('host', readFileSync('manifests/samples/ingressdnsrecord.yaml', 'utf8'));
  });

  tearDownSuite(() => ({ mcdns, bed }));

  const kubectl = (...args: string[]) => bed.kubectl('host', args);
  const record = async () =>
    (await bed.kubeConfig('host').makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'ingressdnsrecords', name: RECORD,
    })) as IngressDNSRecord;
  const degraded = (r: IngressDNSRecord) => r.status?.conditions?.find((c) => c.type === 'Degraded');

  it('reaches the legacy-group DNSEndpoint by its short name, its category and its full name', async () => {
    await eventually('legacy DNSEndpoint', () => kubectl('-n', NS, 'get', 'kfdnsep', '-o', 'name'), (out) => out.includes(`ingress-${RECORD}`));
    // A bare `dnsendpoints` means the externaldns.k8s.io group, where mcdns wrote nothing here.
    expect(await kubectl('-n', NS, 'get', 'dnsendpoints', '-o', 'name')).to.equal('');
    const all = await kubectl('-n', NS, 'get', 'mcdns', '-o', 'name');
    expect(all.split('\n')).to.include.members([
      `dnsendpoint.multiclusterdns.kubefed.io/ingress-${RECORD}`,
      `ingressdnsrecord.multiclusterdns.kubefed.io/${RECORD}`,
    ]);
    const yaml = await kubectl('-n', NS, 'get', 'dnsendpoints.multiclusterdns.kubefed.io', `ingress-${RECORD}`, '-o', 'yaml');
    expect(yaml).to.contain('127.0.0.11').and.contain('127.0.0.12');
  });

  it('writes no status.health on a record without spec.healthCheck', async () => {
    const r = await eventually('Ready', record, (x) => x.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false);
    expect(r.status).to.not.have.property('health');
    expect(degraded(r), 'no Degraded condition while every cluster serves').to.equal(undefined);
  });

  it('marks the record Degraded with a Warning Event when member2 loses its Ingress, and recovers', async () => {
    await bed.kubeConfig('member2').makeApiClient(NetworkingV1Api).deleteNamespacedIngress({ namespace: NS, name: 'helloworld-ingress' });
    const r = await eventually('Degraded=True', record, (x) => degraded(x)?.status === 'True');
    expect(degraded(r)).to.include({ reason: 'ClustersLost' });
    expect(degraded(r)?.message).to.match(/^clusters no longer serving: member2 /);
    expect(r.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'member1 still serves').to.equal('True');
    // The commands docs/troubleshooting.md gives.
    const described = await eventually('the Event', () => kubectl('-n', NS, 'describe', 'ingressdnsrecord', RECORD), (out) => out.includes('ClustersLost'));
    expect(described).to.match(/Warning\s+ClustersLost/);
    const columns = await kubectl(
      'get', 'ingressdnsrecords,servicednsrecords', '-A', '-o',
      'custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name,DEGRADED:.status.conditions[?(@.type=="Degraded")].message',
    );
    expect(columns).to.match(new RegExp(`${NS}\\s+${RECORD}\\s+clusters no longer serving: member2`));

    await putIngress(bed.kubeConfig('member2'), NS, 'helloworld-ingress', [HOST], ['127.0.0.12']);
    const back = await eventually('Degraded=False', record, (x) => degraded(x)?.status === 'False');
    expect(degraded(back)).to.include({ reason: 'ClustersRecovered' });
    await eventually('the recovery Event', () => kubectl('-n', NS, 'describe', 'ingressdnsrecord', RECORD), (out) => /Normal\s+ClustersRecovered/.test(out));
  });
});
