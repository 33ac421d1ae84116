// Health-aware DNS end to end: real API servers, the built controller, ExternalDNS writing into
// PowerDNS, and fake load balancers (real HTTP servers on 127.0.0.11 / 127.0.0.12) that the test
// stops and starts. An address whose probes fail leaves the DNS answer and returns when it
// recovers; when every address fails the last healthy set stays (fail-open); a failover record
// moves to its second cluster and back.
//
// Needs the controller wiring of the health prober (flag --probe-concurrency; fail-open is on by default).
import { expect } from 'chai';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { DNSEndpoint, IngressDNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, installMcdnsCrds, putIngress, setReadyEndpoints } from '../env/workloads.js';
import { startLoadBalancers, type FakeLoadBalancer } from '../env/fake-lb.js';

const NS = 'health';
const WEB = 'web.example.org';
const PRIMARY = 'primary.example.org';

describe('end to end: health checks take failing addresses out of DNS and bring them back', function () {
  this.timeout(300_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  let lb1: FakeLoadBalancer;
  let lb2: FakeLoadBalancer;
  const sorted = (a: string[]) => [...a].sort().join(',');
  const answer = (name: string) => bed.powerdns!.query(name, 'A').then(sorted);
  const custom = () => bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
  const record = async (name: string) =>
    (await custom().getNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'ingressdnsrecords', name,
    })) as IngressDNSRecord;
  const dnsEndpoint = async (name: string) =>
    (await custom().getNamespacedCustomObject({
      group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: NS, plural: 'dnsendpoints', name: `ingress-${name}`,
    })) as DNSEndpoint;
  /** The health Events on a record, as `kubectl describe` lists them. */
  const healthEvents = async (name: string) =>
    (
      await bed.kubeConfig('host').makeApiClient(CoreV1Api).listNamespacedEvent({
        namespace: NS,
        fieldSelector: `involvedObject.kind=IngressDNSRecord,involvedObject.name=${name}`,
      })
    ).items
      .filter((e) => e.reason?.startsWith('Target'))
      .map((e) => `${e.type} ${e.reason}: ${e.message}`);
  const targetHealth = (r: IngressDNSRecord, target: string) => r.status?.health?.targets?.find((t) => t.target === target);

  const recordYaml = (name: string, host: string, port: number, extra = '') => `
apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: IngressDNSRecord
metadata:
  name: ${name}
  namespace: ${NS}
spec:
  hosts: [${host}]
  recordTTL: 5
  healthCheck:
    protocol: http
    port: ${port}
    path: /healthz
    intervalSeconds: 1
    timeoutSeconds: 1
    failureThreshold: 2
    successThreshold: 1
${extra}`;

  before(async () => {
    [lb1, lb2] = (await startLoadBalancers(['127.0.0.11', '127.0.0.12'])) as [FakeLoadBalancer, FakeLoadBalancer];
    bed = await startBed({ members: ['member1', 'member2'] });
    for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
    await installMcdnsCrds((m) => bed.apply('host', m));
    for (const [member, address] of [['member1', '127.0.0.11'], ['member2', '127.0.0.12']] as const) {
      await putIngress(bed.kubeConfig(member), NS, 'web', [WEB], [address]);
      await putIngress(bed.kubeConfig(member), NS, 'primary', [PRIMARY], [address]);
    }
    mcdns = startMcdns([
      ...bedFlags(bed),
      '--heartbeat-interval=1s',
      '--probe-concurrency=8',
      '--log-level=debug',
    ]);
    await bed.apply('host', recordYaml('web', WEB, lb1.port));
    await bed.apply('host', recordYaml('primary', PRIMARY, lb1.port, '  strategy: failover\n  failoverPriority: [member2, member1]\n'));
  });

  tearDownSuite(() => ({ mcdns, bed, lbs: [lb1, lb2] }));

  it('publishes both healthy addresses and shows their health in the record status', async () => {
    await eventually(`A ${WEB}`, () => answer(WEB), (a) => a === '127.0.0.11,127.0.0.12', 120_000);
    const r = await eventually('targets healthy in status', () => record('web'), (x) => x.status?.health?.targets?.length === 2);
    expect(r.status?.health?.targets?.map((t) => [t.target, t.cluster, t.healthy, t.published])).to.deep.equal([
      ['127.0.0.11', 'member1', true, true],
      ['127.0.0.12', 'member2', true, true],
    ]);
    expect(r.status?.health?.clusters?.map((c) => [c.cluster, c.healthy])).to.deep.equal([['member1', true], ['member2', true]]);
    expect(lb1.seen.some((s) => s.path === '/healthz' && s.host === `${WEB}:${lb1.port}`)).to.equal(true);
  });

  it('takes an address whose load balancer stops answering out of the answer, and says why', async () => {
    await lb2.down();
    await eventually(`${WEB} without 127.0.0.12`, () => answer(WEB), (a) => a === '127.0.0.11');
    const r = await eventually('status shows 127.0.0.12 unhealthy', () => record('web'), (x) => targetHealth(x, '127.0.0.12')?.healthy === false);
    expect(targetHealth(r, '127.0.0.12')).to.include({ cluster: 'member2', published: false, lastError: 'connection refused' });
    expect(r.status?.conditions?.[0]?.message).to.contain('127.0.0.12 failing health checks');
    // One Event for the change; the first verdicts ("healthy") were no news and wrote none.
    const events = await eventually('a TargetUnhealthy Event', () => healthEvents('web'), (e) => e.length > 0);
    expect(events).to.deep.equal(['Warning TargetUnhealthy: target 127.0.0.12 (cluster member2) failed its health check: connection refused']);
  });

  it('puts it back once it answers again', async () => {
    await lb2.up();
    await eventually(`${WEB} with 127.0.0.12 again`, () => answer(WEB), (a) => a === '127.0.0.11,127.0.0.12');
  });

  it('takes an address out while the Service behind its Ingress has no ready endpoint, although its probes pass', async () => {
    // Both Ingresses route to Service helloworld; member2's loses its ready endpoints.
    await setReadyEndpoints(bed.kubeConfig('member2'), NS, 'helloworld', 0);
    await eventually(`${WEB} without 127.0.0.12`, () => answer(WEB), (a) => a === '127.0.0.11');
    const r = await record('web');
    expect(targetHealth(r, '127.0.0.12')).to.include({
      healthy: false,
      published: false,
      lastError: `Ingress ${NS}/web: backend Service helloworld has no ready endpoints`,
    });
    await setReadyEndpoints(bed.kubeConfig('member2'), NS, 'helloworld', 1);
    await eventually(`${WEB} with 127.0.0.12 again`, () => answer(WEB), (a) => a === '127.0.0.11,127.0.0.12');
    await eventually(`${PRIMARY} back on member2`, () => answer(PRIMARY), (a) => a === '127.0.0.12');
  });

  it('keeps the last healthy set when every address fails (fail-open), and says so in Ready', async () => {
    await lb2.down();
    await eventually(`${WEB} without 127.0.0.12`, () => answer(WEB), (a) => a === '127.0.0.11');
    // A failure more than one detection window (1 s × 2) after the first is a separate failure:
    // fail-open keeps only the last to fail, the set that served just before.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await lb1.down();
    const r = await eventually('Ready reason FailOpen', () => record('web'), (x) => x.status?.conditions?.[0]?.reason === 'FailOpen');
    expect(r.status?.conditions?.[0]?.status).to.equal('True');
    expect(r.status?.conditions?.[0]?.message).to.contain(`${WEB}: every target is unhealthy; fail-open keeps publishing 127.0.0.11`);
    expect(r.status?.health?.failOpen).to.deep.equal([WEB]);
    // The DNSEndpoint is written before the status, so it already says what fail-open keeps.
    expect((await dnsEndpoint('web')).spec.endpoints?.[0]?.targets).to.deep.equal(['127.0.0.11']);
    expect(await answer(WEB)).to.equal('127.0.0.11');
    await lb1.up();
    await lb2.up();
    await eventually(`${WEB} with both again`, () => answer(WEB), (a) => a === '127.0.0.11,127.0.0.12');
    await eventually('Ready reason Published', () => record('web'), (x) => x.status?.conditions?.[0]?.reason === 'Published');
  });

  it('keeps every address when they all fail together, not only the last one judged', async () => {
    await eventually(`${WEB} with both`, () => answer(WEB), (a) => a === '127.0.0.11,127.0.0.12');
    await Promise.all([lb1.down(), lb2.down()]);
    const r = await eventually('Ready reason FailOpen', () => record('web'), (x) => x.status?.health?.targets?.every((t) => !t.healthy) === true && x.status?.conditions?.[0]?.reason === 'FailOpen');
    expect(r.status?.conditions?.[0]?.message).to.contain(`${WEB}: every target is unhealthy; fail-open keeps publishing 127.0.0.11, 127.0.0.12 (one failure`);
    expect((await dnsEndpoint('web')).spec.endpoints?.[0]?.targets).to.deep.equal(['127.0.0.11', '127.0.0.12']);
    await eventually(`${WEB} still answers with both`, () => answer(WEB), (a) => a === '127.0.0.11,127.0.0.12');
    await Promise.all([lb1.up(), lb2.up()]);
    await eventually('Ready reason Published', () => record('web'), (x) => x.status?.conditions?.[0]?.reason === 'Published');
  });

  it('failover: answers with the first cluster of failoverPriority, moves to the second when it fails, and back', async () => {
    await eventually(`${PRIMARY} on member2`, () => answer(PRIMARY), (a) => a === '127.0.0.12');
    await lb2.down();
    await eventually(`${PRIMARY} on member1`, () => answer(PRIMARY), (a) => a === '127.0.0.11');
    const r = await record('primary');
    expect(r.status?.conditions?.[0]?.message).to.contain(`${PRIMARY}: failover to cluster member1 (no healthy target in member2)`);
    await lb2.up();
    await eventually(`${PRIMARY} back on member2`, () => answer(PRIMARY), (a) => a === '127.0.0.12');
  });
});
