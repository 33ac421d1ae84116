// ServiceDNSRecord + Domain on real API servers: zonal, regional and global names answered by
// PowerDNS through ExternalDNS, with the CNAME fall-back; then a member joined at run time by
// creating a KubeFedCluster and its token Secret, as `kubefedctl join` would.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, installMcdnsCrds, joinKubeFedCluster, putLoadBalancerService, putNode } from '../env/workloads.js';

const NS = 'test-namespace';
const PREFIX = 'test-service.test-namespace.test-domain.svc';
const name = (...parts: string[]) => [PREFIX, ...parts, 'example.org'].join('.');

describe('end to end: ServiceDNSRecord names and KubeFedCluster registration', function () {
  this.timeout(240_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  const a = (n: string) => bed.powerdns!.query(n, 'A').then((x) => [...x].sort().join(','));
  const cname = (n: string) => bed.powerdns!.query(n, 'CNAME').then((x) => x.join(','));

  before(async () => {
    bed = await startBed({ members: ['member1', 'member2', 'member3'] });
    const host = bed.kubeConfig('host');
    await installMcdnsCrds((m) => bed.apply('host', m));
    for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
    await ensureNamespace(host, 'kube-federation-system');
    // Two members in one region; member2's Service has no load-balancer address yet.
    await putNode(bed.kubeConfig('member1'), 'node-a', 'eu', 'eu-1a');
    await putLoadBalancerService(bed.kubeConfig('member1'), NS, 'test-service', ['127.0.0.21']);
    await putNode(bed.kubeConfig('member2'), 'node-b', 'eu', 'eu-1b');
    await putLoadBalancerService(bed.kubeConfig('member2'), NS, 'test-service', []);
    // member3 is not in the kubeconfig list given to mcdns: it joins later as a KubeFedCluster.
    await putNode(bed.kubeConfig('member3'), 'node-c', 'us', 'us-1a');
    await putLoadBalancerService(bed.kubeConfig('member3'), NS, 'test-service', ['127.0.0.23']);
    mcdns = startMcdns([
      ...bedFlags(bed, ['member1', 'member2']),
      '--kubefed-clusters',
      '--offline-grace=3s',
      '--heartbeat-interval=1s',
    ]);
    await bed.apply('host', readFileSync('manifests/samples/servicednsrecord.yaml', 'utf8'));
  });

  tearDownSuite(() => ({ mcdns, bed }));

  it('answers the global, regional and zonal names with the member that has an address', async () => {
    await eventually('global name', () => a(name()), (v) => v === '127.0.0.21');
    expect(await a(name('eu'))).to.equal('127.0.0.21');
    expect(await a(name('eu-1a', 'eu'))).to.equal('127.0.0.21');
  });

  it('answers the zone whose Service has no load-balancer address with a CNAME to its region', async () => {
    await eventually('zonal CNAME', () => cname(name('eu-1b', 'eu')), (v) => v === `${name('eu')}.`);
  });

  it('adds a member joined through a KubeFedCluster + token Secret without a restart', async () => {
    const m3 = bed.apiServer('member3');
    await joinKubeFedCluster(bed.kubeConfig('host'), { name: 'member3', apiEndpoint: m3.url, caPem: m3.caPem, token: m3.token });
    await eventually('member3 in the global name', () => a(name()), (v) => v === '127.0.0.21,127.0.0.23');
    await eventually('regional us', () => a(name('us')), (v) => v === '127.0.0.23');
    expect(await a(name('us-1a', 'us'))).to.equal('127.0.0.23');
  });

  it('drops an unjoined member from every name', async () => {
    await bed.kubectl('host', ['delete', 'kubefedcluster', 'member3', '-n', 'kube-federation-system']);
    await eventually('member3 gone', () => a(name()), (v) => v === '127.0.0.21');
  });
});
