// RouteDNSRecord on the real sandbox: real API servers (two members with the Gateway API CRDs of
// sigs.k8s.io/gateway-api, one without), the built controller, real ExternalDNS v0.22 reading the
// DNSEndpoint and writing into real PowerDNS. There is no Gateway controller: the test sets
// Gateway.status.addresses and HTTPRoute.status.parents as one would.
//
//   member1: Gateway gw, listener for www.shop.example.org only, IPAddress 127.0.0.31
//   member2: Gateway gw, a listener for any name, Hostname edge.member2.lb.example.net
//   member3: no Gateway API CRDs at all (until the last test installs them)
//   HTTPRoute shop/shop in each, hostnames www. and edge.shop.example.org, backend Service web.
//
// www has member1's IP and member2's hostname: the A record wins (a name cannot hold both). edge
// is member2's alone (member1's listener does not admit it): a CNAME to its Gateway's hostname.
// Once member3 has the CRDs and a Gateway (IPAddress 127.0.0.33), www has two A targets, and
// member1's leaves when its backends have no ready endpoint.
import { expect } from 'chai';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { DNSEndpoint, RouteDNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { installGatewayApi, putGateway, putRoute, setGatewayAddresses, setRouteParents } from '../env/gateway-api.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { tearDownSuite } from '../env/teardown.js';
import { ensureNamespace, eventually, installMcdnsCrds, setReadyEndpoints } from '../env/workloads.js';

const NS = 'shop';
const WWW = 'www.shop.example.org';
const EDGE = 'edge.shop.example.org';
const MEMBER1_IP = '127.0.0.31';
const MEMBER2_LB = 'edge.member2.lb.example.net';
const MEMBER3_IP = '127.0.0.33';

describe('end to end: RouteDNSRecord — a Gateway API route served by Gateways in several members (ExternalDNS v0.22 + PowerDNS)', function () {
  this.timeout(900_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  const custom = () => bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
  const record = async () =>
    (await custom().getNamespacedCustomObject({ group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'routednsrecords', name: 'shop' })) as RouteDNSRecord;
  const dnsEndpoint = async () =>
    (await custom().getNamespacedCustomObject({ group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: NS, plural: 'dnsendpoints', name: 'route-shop' })) as DNSEndpoint;
  const endpointsOf = (e: DNSEndpoint): string[] => (e.spec.endpoints ?? []).map((x) => `${x.dnsName} ${x.recordType} ${x.targets.join(',')}`).sort();
  const ready = (r: RouteDNSRecord) => r.status?.conditions?.find((c) => c.type === 'Ready');
  const answer = async (name: string, type = 'A') => (await bed.powerdns!.query(name, type)).sort().join(',');

  async function gatewayMember(member: string, listener: { name: string; hostname?: string }, address: string): Promise<void> {
    const kc = bed.kubeConfig(member);
    await putGateway(kc, NS, 'gw', [listener]);
    await setGatewayAddresses(kc, NS, 'gw', [address]);
    await putRoute(kc, 'HTTPRoute', NS, 'shop', { hostnames: [WWW, EDGE], parents: ['gw'], backends: [{ name: 'web' }] });
    await setRouteParents(kc, 'HTTPRoute', NS, 'shop', [{ parent: 'gw', accepted: true }]);
    await setReadyEndpoints(kc, NS, 'web', 2);
  }

  before(async () => {
    bed = await startBed({ members: ['member1', 'member2', 'member3'], gatewayApi: ['member1', 'member2'], apiServerStartTimeoutMs: 180_000 });
    for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
    await installMcdnsCrds((m) => bed.apply('host', m));
    await gatewayMember('member1', { name: 'www', hostname: WWW }, MEMBER1_IP);
    await gatewayMember('member2', { name: 'any' }, MEMBER2_LB);
    mcdns = startMcdns([...bedFlags(bed), '--heartbeat-interval=1s', '--gateway-discovery-interval=2s']);
    await bed.apply('host', `
apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: RouteDNSRecord
metadata: {name: shop, namespace: ${NS}}
spec:
  routeRef: {kind: HTTPRoute}
  recordTTL: 5
`);
  });

  tearDownSuite(() => ({ mcdns, bed }));

  it('publishes both members: an A record from the IPAddress Gateway, a CNAME to the Hostname Gateway, with the Gateways in status.dns', async () => {
    const e = await eventually('DNSEndpoint route-shop with both names', dnsEndpoint, (x) => endpointsOf(x).length === 2, 120_000);
    expect(endpointsOf(e)).to.deep.equal([`${EDGE} CNAME ${MEMBER2_LB}`, `${WWW} A ${MEMBER1_IP}`]);
    const r = await eventually('Ready=True', record, (x) => ready(x)?.status === 'True');
    expect(r.status?.dns).to.deep.equal([
      { cluster: 'member1', loadBalancer: { ingress: [{ ip: MEMBER1_IP }] }, gateways: ['shop/gw'] },
      { cluster: 'member2', loadBalancer: { ingress: [{ hostname: MEMBER2_LB }] }, gateways: ['shop/gw'] },
    ]);
    expect(r.status?.conditions?.find((c) => c.type === 'HostsDropped')).to.include({ status: 'False', reason: 'NoneDropped' });
    // ExternalDNS serves the name from the DNSEndpoint.
    await eventually(`PowerDNS A ${WWW}`, () => answer(WWW), (a) => a === MEMBER1_IP, 120_000);
    await eventually(`PowerDNS CNAME ${EDGE}`, () => answer(EDGE, 'CNAME'), (a) => a === `${MEMBER2_LB}.`, 60_000);
  });

  it('reports the member without the Gateway API CRDs in the record\'s status, as normal, not as an error', async () => {
    const r = await record();
    expect(ready(r)).to.include({ status: 'True', reason: 'Published' });
    expect(ready(r)?.message).to.contain('member3: serves no HTTPRoute: the Gateway API CRDs (gateway.networking.k8s.io) are not installed');
    expect(r.status?.conditions?.find((c) => c.type === 'Degraded')).to.equal(undefined);
    const errors = mcdns.logs().split('\n').filter((l) => l.includes('"level":"error"') || (l.includes('member3') && l.includes('"level":"warn"')));
    expect(errors, 'error lines, or warnings about member3').to.deep.equal([]);
  });

  it('drops a member whose Gateway stops accepting the route, on that one route status change, and takes it back', async () => {
    const t0 = Date.now();
    await setRouteParents(bed.kubeConfig('member2'), 'HTTPRoute', NS, 'shop', [{ parent: 'gw', accepted: false, reason: 'NotAllowedByListeners' }]);
    const e = await eventually('edge gone from the DNSEndpoint', dnsEndpoint, (x) => endpointsOf(x).length === 1, 60_000, 50);
    console.log(`      route no longer accepted → DNSEndpoint without member2 after ${Date.now() - t0} ms`);
    expect(endpointsOf(e)).to.deep.equal([`${WWW} A ${MEMBER1_IP}`]);
    const r = await eventually('the reason in Ready', record, (x) => (ready(x)?.message ?? '').includes('not accepted by any parent Gateway'));
    expect(ready(r)?.message).to.contain('member2: HTTPRoute shop/shop is not accepted by any parent Gateway (shop/gw: NotAllowedByListeners');
    await eventually(`PowerDNS: no ${EDGE}`, () => answer(EDGE, 'CNAME'), (a) => a === '', 60_000);

    await setRouteParents(bed.kubeConfig('member2'), 'HTTPRoute', NS, 'shop', [{ parent: 'gw', accepted: true }]);
    await eventually('edge back', dnsEndpoint, (x) => endpointsOf(x).includes(`${EDGE} CNAME ${MEMBER2_LB}`), 60_000, 50);
    await eventually(`PowerDNS CNAME ${EDGE} back`, () => answer(EDGE, 'CNAME'), (a) => a === `${MEMBER2_LB}.`, 60_000);
  });

  it('picks up a member whose Gateway API CRDs are installed while mcdns runs', async () => {
    const kc = bed.kubeConfig('member3');
    await installGatewayApi(bed.kubeconfigPath, 'member3', kc);
    await putGateway(kc, NS, 'gw', [{ name: 'any' }]);
    await setGatewayAddresses(kc, NS, 'gw', [MEMBER3_IP]);
    await putRoute(kc, 'HTTPRoute', NS, 'shop', { hostnames: [WWW], parents: ['gw'], backends: [{ name: 'web' }] });
    await setRouteParents(kc, 'HTTPRoute', NS, 'shop', [{ parent: 'gw', accepted: true }]);
    const e = await eventually(`${WWW} with member3's address`, dnsEndpoint, (x) => endpointsOf(x).includes(`${WWW} A ${MEMBER1_IP},${MEMBER3_IP}`), 120_000);
    expect(endpointsOf(e)).to.include(`${EDGE} CNAME ${MEMBER2_LB}`);
    const r = await eventually('member3 in status.dns', record, (x) => (x.status?.dns ?? []).length === 3);
    expect(ready(r)?.message).to.not.contain('member3: serves no HTTPRoute');
    await eventually(`PowerDNS A ${WWW}: both members`, () => answer(WWW), (a) => a === `${MEMBER1_IP},${MEMBER3_IP}`, 60_000);
  });

  it('drops the address of a member whose backends have no ready endpoint, and brings it back', async () => {
    await setReadyEndpoints(bed.kubeConfig('member1'), NS, 'web', 0);
    const e = await eventually(`${WWW} without member1's address`, dnsEndpoint, (x) => endpointsOf(x).includes(`${WWW} A ${MEMBER3_IP}`), 60_000, 50);
    expect(endpointsOf(e)).to.deep.equal([`${EDGE} CNAME ${MEMBER2_LB}`, `${WWW} A ${MEMBER3_IP}`]);
    const r = await eventually('why, in Ready', record, (x) => (ready(x)?.message ?? '').includes('no ready endpoints'));
    expect(ready(r)?.message).to.contain('member1: HTTPRoute shop/shop: backend Service shop/web has no ready endpoints');
    await eventually(`PowerDNS A ${WWW}: member3 only`, () => answer(WWW), (a) => a === MEMBER3_IP, 60_000);

    await setReadyEndpoints(bed.kubeConfig('member1'), NS, 'web', 1);
    await eventually(`${WWW} with member1 again`, dnsEndpoint, (x) => endpointsOf(x).includes(`${WWW} A ${MEMBER1_IP},${MEMBER3_IP}`), 60_000, 50);
    await eventually(`PowerDNS A ${WWW}: both again`, () => answer(WWW), (a) => a === `${MEMBER1_IP},${MEMBER3_IP}`, 60_000);
  });

});
