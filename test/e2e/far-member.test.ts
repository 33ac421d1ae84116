// A member far away over a lossy path (the test env's TCP proxy: 200 ms round trip, 1 % of
// segments lost), beside a near one, on real API servers: mcdns measures the round trip, keeps the
// far member online through a window with a short offline grace, follows its changes, and
// publishes a record created after its Service existed there (read across the far link).
// The window is short here; the bench holds it for 10 minutes (--member-rtt 200,1).
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { makeTempDir, sleep } from '../env/process.js';
import { parseSamples, sumBy } from '../env/prom.js';
import { KubeRest, type KubeObject } from '../env/rest.js';
import { startTcpProxy, type TcpProxy } from '../env/tcp-proxy.js';
import { tearDownSuite } from '../env/teardown.js';
import { eventually, installMcdnsCrds } from '../env/workloads.js';

const NS = 'shop';
const GROUP = '/apis/multiclusterdns.kubefed.io/v1alpha1';
const WINDOW_S = Number(process.env['MCDNS_FAR_WINDOW_S'] ?? 40);

interface EndpointObject extends KubeObject {
  spec?: { endpoints?: Array<{ dnsName: string; targets?: string[] }> };
}

/** An Ingress web (web.example.org) with its load-balancer address. */
async function putIngress(rest: KubeRest, ip: string): Promise<void> {
  const path = `/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`;
  await rest.post(path, { metadata: { name: 'web', namespace: NS }, spec: { rules: [{ host: 'web.example.org' }] } }, [409]);
  const web = await rest.get<KubeObject>(`${path}/web`);
  await rest.put(`${path}/web/status`, { ...web, status: { loadBalancer: { ingress: [{ ip }] } } });
}

describe('end to end: a member 200 ms away with 1 % loss', function () {
  this.timeout(WINDOW_S * 1000 + 300_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  let proxy: TcpProxy;
  let host: KubeRest;
  let far: KubeRest;
  let metricsUrl: string;
  /** member2's state at each look during the window. */
  const states: string[] = [];

  const metric = async (name: string, by: string[], where: (l: Record<string, string>) => boolean = () => true): Promise<Record<string, number>> =>
    sumBy(parseSamples(await (await fetch(`${metricsUrl}/metrics`)).text(), [name]), name, by, where);
  const farState = async (): Promise<string> => {
    const s = await metric('mcdns_cluster_state', ['state'], (l) => l['cluster'] === 'member2');
    return Object.entries(s).find(([, v]) => v === 1)?.[0] ?? 'none';
  };
  const targets = async (name: string): Promise<string> => {
    const res = await host.raw('GET', `/apis/externaldns.k8s.io/v1alpha1/namespaces/${NS}/dnsendpoints/${name}`);
    if (res.status !== 200) return '';
    return ((JSON.parse(res.body) as EndpointObject).spec?.endpoints ?? []).flatMap((e) => e.targets ?? []).sort().join(',');
  };

  before(async () => {
    bed = await startBed({ members: ['member1', 'member2'], powerdns: false, externalDns: false });
    host = new KubeRest(bed.apiServer('host'));
    far = new KubeRest(bed.apiServer('member2'));
    const near = new KubeRest(bed.apiServer('member1'));
    await installMcdnsCrds((m) => bed.apply('host', m));
    for (const [rest, ns] of [[host, NS], [near, NS], [far, NS], [host, 'kube-federation-system']] as const) await rest.post('/api/v1/namespaces', { metadata: { name: ns } }, [409]);
    await host.post(`${GROUP}/namespaces/kube-federation-system/domains`, { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'Domain', metadata: { name: 'test-domain', namespace: 'kube-federation-system' }, domain: 'example.org' });
    await putIngress(near, '127.0.0.51');
    await putIngress(far, '127.0.0.52');
    // A LoadBalancer Service on the far member, whose record comes later.
    await far.post(`/api/v1/namespaces/${NS}/services`, { metadata: { name: 'db', namespace: NS }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
    const db = await far.get<KubeObject>(`/api/v1/namespaces/${NS}/services/db`);
    await far.put(`/api/v1/namespaces/${NS}/services/db/status`, { ...db, status: { loadBalancer: { ingress: [{ ip: '127.0.0.53' }] } } });
    await far.post(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, {
      metadata: { name: 'db-1', namespace: NS, labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.1.0.1'], conditions: { ready: true } }],
    });
    await host.post(`${GROUP}/namespaces/${NS}/ingressdnsrecords`, { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'IngressDNSRecord', metadata: { name: 'web', namespace: NS }, spec: { hosts: ['web.example.org'] } });

    // member2 only through the proxy: every request and watch of it crosses the far path.
    proxy = await startTcpProxy(bed.apiServer('member2').port, '127.0.0.1', { rttMs: 200, lossPct: 1 });
    const doc = parse(readFileSync(bed.kubeconfigPath, 'utf8')) as { clusters: Array<{ name: string; cluster: { server: string } }> };
    for (const c of doc.clusters) if (c.name === 'member2') c.cluster.server = `https://127.0.0.1:${proxy.port}`;
    const kubeconfigPath = join(makeTempDir('far-member'), 'kubeconfig');
    writeFileSync(kubeconfigPath, stringify(doc), { mode: 0o600 });

    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}`;
    // A short grace, so that a false offline would show within the window.
    mcdns = startMcdns([...bedFlags({ ...bed, kubeconfigPath }), `--metrics-address=127.0.0.1:${port}`, '--heartbeat-interval=1s', '--offline-grace=6s']);
  });

  tearDownSuite(() => ({ mcdns, bed }));
  after(() => proxy?.close());

  it('publishes the far member beside the near one', async () => {
    await eventually('both members in the DNSEndpoint', () => targets('ingress-web'), (t) => t === '127.0.0.51,127.0.0.52', 120_000);
  });

  it(`keeps the far member online for ${WINDOW_S} s with a 6 s grace, following its changes and reading what a new record needs`, async () => {
    const end = Date.now() + WINDOW_S * 1000;
    let change = 0;
    let serviceRecordAt = 0;
    while (Date.now() < end) {
      states.push(await farState());
      const elapsed = WINDOW_S * 1000 - (end - Date.now());
      if (change < 3 && elapsed > (change + 1) * (WINDOW_S * 250)) {
        change++;
        const ip = `127.0.1.${change}`;
        await putIngress(far, ip);
        await eventually(`far change ${change}`, () => targets('ingress-web'), (t) => t === `127.0.0.51,${ip}`, 30_000, 100);
      }
      if (!serviceRecordAt && elapsed > WINDOW_S * 500) {
        serviceRecordAt = Date.now();
        await host.post(`${GROUP}/namespaces/${NS}/servicednsrecords`, { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'ServiceDNSRecord', metadata: { name: 'db', namespace: NS }, spec: { domainRef: 'test-domain' } });
        await eventually('the far Service published', () => targets('service-db'), (t) => t.includes('127.0.0.53'), 30_000, 100);
      }
      await sleep(1000);
    }
    expect(change, 'every change made').to.equal(3);
    expect(serviceRecordAt).to.be.greaterThan(0);
    expect(states.filter((s) => s !== 'online'), `member2's state at each look (${states.length} looks)`).to.deep.equal([]);
    expect(mcdns.logs()).not.to.contain('member cluster offline');
  });

  it('reports the round trip it measured, and a heartbeat timeout that covers it', async () => {
    const rtt = (await metric('mcdns_member_round_trip_seconds', ['cluster']))['member2'] ?? 0;
    const near = (await metric('mcdns_member_round_trip_seconds', ['cluster']))['member1'] ?? 1;
    const timeout = (await metric('mcdns_member_heartbeat_timeout_seconds', ['cluster']))['member2'] ?? 0;
    console.log(`      far member: round trip ${rtt.toFixed(3)} s (near ${near.toFixed(3)} s), heartbeat timeout ${timeout} s, ${proxy.segmentsLost} segments lost by the path`);
    expect(rtt, 'at least the path round trip').to.be.at.least(0.2);
    expect(near).to.be.below(rtt);
    expect(timeout).to.be.at.least(3);
  });
});
