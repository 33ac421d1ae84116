// ServiceDNSRecord with TCP health checks and strategy region-preferred, end to end: two members
// in one region, one zone each, with fake load balancers (real TCP listeners on 127.0.0.21 and
// 127.0.0.22). When a zone's load balancer stops accepting connections its zonal name answers
// with the regional name's targets (A records, no CNAME flip that would wedge ExternalDNS's
// PowerDNS provider) and the address leaves the regional and global names; when it recovers
// everything returns. With fail-open off (--no-fail-open), a record whose addresses
// all fail publishes nothing.
//
// Needs the controller wiring of the health prober (flags --probe-concurrency, --no-fail-open).
import { expect } from 'chai';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { ServiceDNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, installMcdnsCrds, putLoadBalancerService, putNode, setReadyEndpoints } from '../env/workloads.js';
import { startLoadBalancers, type FakeLoadBalancer } from '../env/fake-lb.js';

const NS = 'health-svc';
const PREFIX = `db.${NS}.galactic.svc`;
const name = (...parts: string[]) => [PREFIX, ...parts, 'example.org'].join('.');

describe('end to end: ServiceDNSRecord health checks with region-preferred fall-back', function () {
  this.timeout(300_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  let lb1: FakeLoadBalancer;
  let lb2: FakeLoadBalancer;
  const a = (n: string) => bed.powerdns!.query(n, 'A').then((x) => [...x].sort().join(','));
  const record = async () =>
    (await bed.kubeConfig('host').makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'servicednsrecords', name: 'db',
    })) as ServiceDNSRecord;

  before(async () => {
    [lb1, lb2] = (await startLoadBalancers(['127.0.0.21', '127.0.0.22'], 'tcp')) as [FakeLoadBalancer, FakeLoadBalancer];
    bed = await startBed({ members: ['member1', 'member2'] });
    await installMcdnsCrds((m) => bed.apply('host', m));
    for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
    await putNode(bed.kubeConfig('member1'), 'node-a', 'eu', 'eu-1a');
    await putLoadBalancerService(bed.kubeConfig('member1'), NS, 'db', ['127.0.0.21']);
    await putNode(bed.kubeConfig('member2'), 'node-b', 'eu', 'eu-1b');
    await putLoadBalancerService(bed.kubeConfig('member2'), NS, 'db', ['127.0.0.22']);
    mcdns = startMcdns([
      ...bedFlags(bed),
      '--heartbeat-interval=1s',
      '--probe-concurrency=4',
      '--no-fail-open',
    ]);
    await bed.apply('host', `
apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: Domain
metadata:
  name: galactic
  namespace: ${NS}
domain: example.org
---
apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: ServiceDNSRecord
metadata:
  name: db
  namespace: ${NS}
spec:
  domainRef: galactic
  recordTTL: 5
  strategy: region-preferred
  healthCheck:
    protocol: tcp
    port: ${lb1.port}
    intervalSeconds: 1
    timeoutSeconds: 1
    failureThreshold: 2
    successThreshold: 1
`);
  });

  tearDownSuite(() => ({ mcdns, bed, lbs: [lb1, lb2] }));

  it('answers the global, regional and zonal names while both load balancers accept connections', async () => {
    await eventually('global name', () => a(name()), (v) => v === '127.0.0.21,127.0.0.22', 120_000);
    expect(await a(name('eu'))).to.equal('127.0.0.21,127.0.0.22');
    await eventually('zonal eu-1a', () => a(name('eu-1a', 'eu')), (v) => v === '127.0.0.21');
  });

  it('answers the failing zone with its region\'s targets and drops the address from the other names', async () => {
    await lb1.down();
    await eventually('zonal eu-1a answered with the region', () => a(name('eu-1a', 'eu')), (v) => v === '127.0.0.22');
    expect(await a(name())).to.equal('127.0.0.22');
    expect(await a(name('eu'))).to.equal('127.0.0.22');
    const r = await record();
    expect(r.status?.health?.targets?.find((t) => t.target === '127.0.0.21')).to.include({ healthy: false, lastError: 'connection refused' });
    expect(r.status?.conditions?.[0]?.message).to.contain(`${name('eu-1a', 'eu')}: every target is unhealthy, answering with the targets of ${name('eu')}`);
  });

  it('brings the zone back when its load balancer recovers', async () => {
    await lb1.up();
    await eventually('zonal eu-1a again', () => a(name('eu-1a', 'eu')), (v) => v === '127.0.0.21');
    await eventually('global with both', () => a(name()), (v) => v === '127.0.0.21,127.0.0.22');
  });

  it('takes a member out as soon as its Service has no ready endpoint, while its probes still pass, and back with it', async () => {
    await setReadyEndpoints(bed.kubeConfig('member1'), NS, 'db', 0);
    await eventually('global without member1', () => a(name()), (v) => v === '127.0.0.22');
    const probed = lb1.requests;
    expect(await a(name('eu'))).to.equal('127.0.0.22');
    await eventually('zonal eu-1a answered with the region', () => a(name('eu-1a', 'eu')), (v) => v === '127.0.0.22');
    // Its load balancer is up and still probed: readiness alone took the address out.
    await eventually('probes still reaching 127.0.0.21', async () => lb1.requests, (n) => n > probed);
    const r = await record();
    expect(r.status?.health?.clusters?.find((c) => c.cluster === 'member1')).to.include({
      healthy: false,
      lastError: `Service ${NS}/db has no ready endpoints`,
    });
    await setReadyEndpoints(bed.kubeConfig('member1'), NS, 'db', 1);
    await eventually('global with both', () => a(name()), (v) => v === '127.0.0.21,127.0.0.22');
  });

  it('with fail-open off, publishes nothing once every address fails, and Ready says why', async () => {
    await lb1.down();
    await lb2.down();
    await eventually('global name gone', () => a(name()), (v) => v === '');
    const r = await eventually('Ready=False', () => record(), (x) => x.status?.conditions?.[0]?.status === 'False');
    expect(r.status?.conditions?.[0]?.reason).to.equal('NoTargets');
    expect(r.status?.conditions?.[0]?.message).to.contain('127.0.0.22 failing health checks');
    await lb1.up();
    await lb2.up();
    await eventually('global name back', () => a(name()), (v) => v === '127.0.0.21,127.0.0.22');
  });
});
