// What mcdns keeps of a member full of other workloads, on real API servers: the Services, slices
// and Ingresses no record refers to are not kept, their churn changes nothing mcdns holds and
// wakes no record, and a record created after its Service and Ingress existed still publishes
// them (mcdns reads them from the member when the record appears); when the record goes, so does
// what mcdns kept for it.
import { expect } from 'chai';
import { startBed, type Bed } from '../env/bed.js';
import { createBackground, type Background } from '../env/background.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { parseSamples, sumBy } from '../env/prom.js';
import { KubeRest, type KubeObject } from '../env/rest.js';
import { tearDownSuite } from '../env/teardown.js';
import { eventually, installMcdnsCrds } from '../env/workloads.js';

const NS = 'shop';
const GROUP = '/apis/multiclusterdns.kubefed.io/v1alpha1';

interface EndpointObject extends KubeObject {
  spec?: { endpoints?: Array<{ dnsName: string; targets?: string[] }> };
}

describe('end to end: what mcdns keeps of a busy member follows the records', function () {
  this.timeout(240_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  let host: KubeRest;
  let member: KubeRest;
  let background: Background;
  let metricsUrl: string;

  const metric = async (name: string, by: string[], where: (l: Record<string, string>) => boolean = () => true): Promise<Record<string, number>> =>
    sumBy(parseSamples(await (await fetch(`${metricsUrl}/metrics`)).text(), [name]), name, by, where);
  const retained = () => metric('mcdns_member_objects_indexed', ['kind']);
  const endpointTargets = async (name: string): Promise<string[]> => {
    const res = await host.raw('GET', `/apis/externaldns.k8s.io/v1alpha1/namespaces/${NS}/dnsendpoints/${name}`);
    if (res.status !== 200) return [];
    return ((JSON.parse(res.body) as EndpointObject).spec?.endpoints ?? []).flatMap((e) => e.targets ?? []).sort();
  };

  before(async () => {
    bed = await startBed({ members: ['member1'], powerdns: false, externalDns: false });
    host = new KubeRest(bed.apiServer('host'));
    member = new KubeRest(bed.apiServer('member1'));
    await installMcdnsCrds((m) => bed.apply('host', m));
    for (const [rest, ns] of [[host, NS], [member, NS], [host, 'kube-federation-system']] as const) await rest.post('/api/v1/namespaces', { metadata: { name: ns } }, [409]);
    await host.post(`${GROUP}/namespaces/kube-federation-system/domains`, { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'Domain', metadata: { name: 'test-domain', namespace: 'kube-federation-system' }, domain: 'example.org' });
    // Other workloads, and in the record's own namespace an unrelated Service with churning endpoints.
    background = await createBackground(member, { services: 200, ingresses: 20, namespaces: 4 });
    await member.post(`/api/v1/namespaces/${NS}/services`, { metadata: { name: 'batch', namespace: NS }, spec: { clusterIP: 'None', ports: [{ port: 80 }] } });
    // The objects of two records that do not exist yet: a LoadBalancer Service and an Ingress.
    await member.post(`/api/v1/namespaces/${NS}/services`, { metadata: { name: 'db', namespace: NS }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    const db = await member.get<KubeObject>(`/api/v1/namespaces/${NS}/services/db`);
    await member.put(`/api/v1/namespaces/${NS}/services/db/status`, { ...db, status: { loadBalancer: { ingress: [{ ip: '127.0.0.41' }] } } });
    await member.post(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, {
      metadata: { name: 'db-1', namespace: NS, labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.1.0.1'], conditions: { ready: true } }],
    });
    const rules = [{ host: 'web.example.org', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'db', port: { number: 80 } } } }] } }];
    await member.post(`/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`, { metadata: { name: 'web', namespace: NS }, spec: { rules } });
    const web = await member.get<KubeObject>(`/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses/web`);
    await member.put(`/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses/web/status`, { ...web, status: { loadBalancer: { ingress: [{ ip: '127.0.0.42' }] } } });

    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}`;
    mcdns = startMcdns([...bedFlags(bed), `--metrics-address=127.0.0.1:${port}`, '--heartbeat-interval=1s']);
    await eventually('member1 online', () => metric('mcdns_cluster_state', ['state'], (l) => l['cluster'] === 'member1'), (s) => s['online'] === 1, 120_000);
  });

  tearDownSuite(() => ({ mcdns, bed }));

  it('keeps nothing of a member whose objects no record refers to, while counting what the member holds', async () => {
    expect(await retained()).to.deep.equal({ Ingress: 0, Service: 0, EndpointSlice: 0, Node: 0 });
    const seen = await metric('mcdns_member_objects_seen', ['kind']);
    expect(seen['Service'], 'the member holds the background and the records-to-be').to.be.at.least(background.services + 3);
    expect(seen['Ingress']).to.equal(background.ingresses + 1);
  });

  it('publishes a record created after its Service and Ingress existed, reading them from the member', async () => {
    await host.post(`${GROUP}/namespaces/${NS}/servicednsrecords`, { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'ServiceDNSRecord', metadata: { name: 'db', namespace: NS }, spec: { domainRef: 'test-domain' } });
    await host.post(`${GROUP}/namespaces/${NS}/ingressdnsrecords`, { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'IngressDNSRecord', metadata: { name: 'web', namespace: NS }, spec: { hosts: ['web.example.org'] } });
    await eventually('the ServiceDNSRecord published', () => endpointTargets('service-db'), (t) => t.includes('127.0.0.41'));
    await eventually('the IngressDNSRecord published', () => endpointTargets('ingress-web'), (t) => t.join() === '127.0.0.42');
    expect(await retained()).to.deep.equal({ Ingress: 1, Service: 1, EndpointSlice: 1, Node: 0 });
    const reads = await metric('mcdns_member_reads_total', ['kind', 'result']);
    expect(reads['Service ok'], 'a targeted read, not a re-list').to.be.at.least(1);
  });

  it("does not change what it keeps, nor wake a record, when unrelated EndpointSlices churn (the slice watch's selector keeps them at the member)", async () => {
    const reconciles = async () => Object.values(await metric('mcdns_reconcile_total', [])).reduce((a, b) => a + b, 0);
    const before = { retained: await retained(), reconciles: await reconciles(), events: await metric('mcdns_member_watch_events_total', ['kind']) };
    const slices = [
      ...background.slices.slice(0, 40),
      { namespace: NS, name: 'batch-1', endpoints: [] as Background['slices'][number]['endpoints'] },
    ];
    await member.post(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, {
      metadata: { name: 'batch-1', namespace: NS, labels: { 'kubernetes.io/service-name': 'batch' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.2.0.1'], conditions: { ready: true } }],
    });
    for (let round = 0; round < 3; round++) {
      for (const s of slices) {
        await member.mergePatch(`/apis/discovery.k8s.io/v1/namespaces/${s.namespace}/endpointslices/${s.name}`, {
          endpoints: [{ addresses: ['10.2.0.1'], conditions: { ready: round % 2 === 0 } }],
        });
      }
    }
    // A change mcdns must see, after the noise: once it is published, the noise has been delivered too.
    await member.mergePatch(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices/db-1`, { endpoints: [{ addresses: ['10.1.0.1'], conditions: { ready: true } }, { addresses: ['10.1.0.2'], conditions: { ready: true } }] });
    await eventually('the marker slice', () => metric('mcdns_member_watch_events_total', ['kind']), (e) => (e['EndpointSlice'] ?? 0) > (before.events['EndpointSlice'] ?? 0));
    expect(await retained()).to.deep.equal(before.retained);
    const events = await metric('mcdns_member_watch_events_total', ['kind', 'verdict']);
    expect(events['EndpointSlice dropped'] ?? 0, 'no unrelated slice even reached mcdns').to.equal(0);
    // Only the db Service's slice change could wake a record (its readiness count changed: the ServiceDNSRecord).
    expect((await reconciles()) - before.reconciles).to.be.at.most(2);
  });

  it('lets go of what a record kept once the record is deleted', async () => {
    await host.request('DELETE', `${GROUP}/namespaces/${NS}/servicednsrecords/db`);
    await host.request('DELETE', `${GROUP}/namespaces/${NS}/ingressdnsrecords/web`);
    await eventually('nothing kept', () => retained(), (r) => r['Service'] === 0 && r['Ingress'] === 0 && r['EndpointSlice'] === 0);
  });
});
