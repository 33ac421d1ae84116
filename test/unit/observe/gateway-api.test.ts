// A member's Gateway API side: only where the member serves the kinds (discovery), only the routes
// RouteDNSRecords name, their parent Gateways and their backends' EndpointSlices; a member
// without the Gateway API is normal; CRDs installed later are picked up.
import { expect } from 'chai';
import { FleetInterest } from '../../../src/observe/interest.js';
import { MemberObserver, type MemberChange } from '../../../src/observe/member.js';
import { gatewayOf, routeOf } from '../../../src/observe/gateway-api/reduce.js';
import { FakeApiServer, eventually, sleep, type FakeObject } from '../kube/fake-apiserver.js';
import { capturingLogger } from '../kube/capture-log.js';

const GROUP = 'gateway.networking.k8s.io';
const ROUTES = `/apis/${GROUP}/v1/httproutes`;
const GATEWAYS = `/apis/${GROUP}/v1/gateways`;
const SLICES = '/apis/discovery.k8s.io/v1/endpointslices';

const gateway = (ns: string, name: string, ip: string): FakeObject => ({
  metadata: { name, namespace: ns },
  spec: { gatewayClassName: 'x', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  status: { addresses: [{ type: 'IPAddress', value: ip }] },
});
const route = (ns: string, name: string, gw: string, accepted = true): FakeObject => ({
  metadata: { name, namespace: ns },
  spec: { parentRefs: [{ name: gw }], hostnames: [`${name}.example.org`], rules: [{ backendRefs: [{ name: 'web', port: 80 }, { name: 'canary', port: 80, weight: 0 }] }] },
  status: {
    parents: [{ parentRef: { group: GROUP, kind: 'Gateway', name: gw }, controllerName: 'x/y', conditions: [{ type: 'Accepted', status: accepted ? 'True' : 'False', reason: accepted ? 'Accepted' : 'NotAllowedByListeners' }] }],
  },
});
const slice = (ns: string, name: string, svc: string, ready: boolean): FakeObject => ({
  metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready }, targetRef: { kind: 'Pod', uid: `${name}-0` } }],
});

function serveGatewayApi(s: FakeApiServer): void {
  s.apiGroups.set(GROUP, new Map([['v1', [{ name: 'gateways', kind: 'Gateway' }, { name: 'httproutes', kind: 'HTTPRoute' }, { name: 'grpcroutes', kind: 'GRPCRoute' }]]]));
}

describe('MemberObserver: Gateway API routes', () => {
  let server: FakeApiServer;
  let observers: MemberObserver[];
  let interest: FleetInterest;

  beforeEach(async () => {
    server = await FakeApiServer.start({ token: 't' });
    observers = [];
    interest = new FleetInterest(3000);
  });
  afterEach(async () => {
    await Promise.all(observers.map((o) => o.stop()));
    await server.stop();
  });

  function observe(): { o: MemberObserver; changes: MemberChange[] } {
    const o = new MemberObserver(
      { name: 'east', kubeConfig: server.kubeConfig('t'), source: 'kubeconfig' },
      { heartbeatMs: 50, heartbeatTimeoutMs: 1000, logger: capturingLogger('debug').logger, watch: { initialBackoffMs: 20, maxBackoffMs: 100 }, interest, gatewayDiscoveryMs: 100 },
    );
    const changes: MemberChange[] = [];
    o.onChange((c) => changes.push(c));
    observers.push(o);
    return { o, changes };
  }
  const wantRoute = (name: string) => interest.refer(`RouteDNSRecord/shop/${name}`, { route: { kind: 'HTTPRoute', namespace: 'shop', name } });
  const query = (name: string) => ({ kind: 'RouteDNSRecord' as const, namespace: 'shop', name, route: { kind: 'HTTPRoute', name } });

  it('keeps only the route a record names, its parent Gateway and its backends\' slices', async () => {
    serveGatewayApi(server);
    for (let i = 0; i < 10; i++) {
      server.put(GATEWAYS, gateway('shop', `gw-${i}`, `192.0.2.${i}`));
      server.put(ROUTES, route('shop', `other-${i}`, `gw-${i}`));
      server.put(SLICES, slice('shop', `svc-${i}-x`, `svc-${i}`, true));
    }
    server.put(ROUTES, route('shop', 'shop', 'gw-3'));
    server.put(SLICES, slice('shop', 'web-x', 'web', true));
    server.put(SLICES, slice('shop', 'canary-x', 'canary', true));
    void wantRoute('shop');
    interest.markReady();
    const { o } = observe();
    o.start();
    await eventually(() => o.status().state === 'online', 3000, 'online');
    await eventually(() => (o.observationFor(query('shop')).routes?.[0]?.backendEndpoints ?? []).length > 0, 3000, 'backend readiness');
    const seen = o.observationFor(query('shop'));
    expect(seen.routeKind).to.deep.equal({ served: true, synced: true });
    expect(seen.routes).to.deep.equal([
      {
        kind: 'HTTPRoute',
        namespace: 'shop',
        name: 'shop',
        hostnames: ['shop.example.org'],
        parents: [{ namespace: 'shop', name: 'gw-3', accepted: true, gateway: { namespace: 'shop', name: 'gw-3', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }], addresses: [{ ip: '192.0.2.3' }], otherAddresses: [] } }],
        backends: ['shop/web'],
        backendEndpoints: [{ service: 'shop/web', ready: 1 }],
      },
    ]);
    expect(o.counts()).to.include({ HTTPRoute: 1, Gateway: 1, EndpointSlice: 1 });
    expect(server.lists(`/apis/${GROUP}/v1/grpcroutes`), 'a kind no record names is not watched').to.deep.equal([]);
  });

  it('reads a route that begins to be wanted once its kind is watched, and its Gateway, one by one', async () => {
    serveGatewayApi(server);
    server.put(GATEWAYS, gateway('shop', 'gw-a', '192.0.2.1'));
    server.put(GATEWAYS, gateway('shop', 'gw-b', '192.0.2.2'));
    server.put(ROUTES, route('shop', 'a', 'gw-a'));
    server.put(ROUTES, route('shop', 'b', 'gw-b'));
    void wantRoute('a');
    interest.markReady();
    const { o, changes } = observe();
    o.start();
    await eventually(() => o.status().state === 'online' && (o.observationFor(query('a')).routes ?? []).length === 1, 3000, 'route a');
    expect(o.observationFor(query('b')).routes).to.deep.equal([]);
    changes.length = 0;
    await wantRoute('b');
    await eventually(() => o.observationFor(query('b')).routes?.[0]?.parents[0]?.gateway !== undefined, 3000, 'route b with its Gateway');
    const reads = server.requests.filter((r) => !r.watch && /\/namespaces\/shop\/(httproutes|gateways)$/.test(r.path)).map((r) => `${r.path}?${r.query.get('fieldSelector')}`);
    expect(reads, 'LISTs selecting the name (the member grants list and watch)').to.deep.equal([
      `/apis/${GROUP}/v1/namespaces/shop/httproutes?metadata.name=b`,
      `/apis/${GROUP}/v1/namespaces/shop/gateways?metadata.name=gw-b`,
    ]);
    expect(changes).to.deep.include({ kind: 'Route', routeKind: 'HTTPRoute', namespace: 'shop', name: 'b' });
  });

  it('reports a route its Gateway stops accepting as one change of that route', async () => {
    serveGatewayApi(server);
    server.put(GATEWAYS, gateway('shop', 'gw', '192.0.2.1'));
    server.put(ROUTES, route('shop', 'shop', 'gw'));
    void wantRoute('shop');
    interest.markReady();
    const { o, changes } = observe();
    o.start();
    await eventually(() => o.observationFor(query('shop')).routes?.[0]?.parents[0]?.gateway !== undefined, 3000, 'route');
    await sleep(50);
    changes.length = 0;
    server.put(ROUTES, route('shop', 'shop', 'gw', false));
    await eventually(() => changes.length > 0, 3000, 'a change');
    await sleep(50);
    expect(changes).to.deep.equal([{ kind: 'Route', routeKind: 'HTTPRoute', namespace: 'shop', name: 'shop' }]);
    expect(o.observationFor(query('shop')).routes?.[0]?.parents[0]).to.include({ accepted: false, notAccepted: 'NotAllowedByListeners' });
  });

  it('is online without the Gateway API CRDs, says so for the record, and picks the kinds up once installed', async () => {
    void wantRoute('shop');
    interest.markReady();
    const { o, changes } = observe();
    o.start();
    await eventually(() => o.status().state === 'online', 3000, 'online without the Gateway API');
    expect(o.observationFor(query('shop')).routeKind).to.deep.equal({
      served: false,
      synced: true,
      problem: 'serves no HTTPRoute: the Gateway API CRDs (gateway.networking.k8s.io) are not installed',
    });
    expect(server.requests.filter((r) => r.path.startsWith(`/apis/${GROUP}/`)), 'nothing of the group asked for').to.deep.equal([]);
    changes.length = 0;
    serveGatewayApi(server);
    server.put(GATEWAYS, gateway('shop', 'gw', '192.0.2.1'));
    server.put(ROUTES, route('shop', 'shop', 'gw'));
    await eventually(() => o.observationFor(query('shop')).routeKind?.synced === true && o.observationFor(query('shop')).routeKind?.served === true, 3000, 'served');
    await eventually(() => o.observationFor(query('shop')).routes?.[0]?.parents[0]?.gateway !== undefined, 3000, 'the route and its Gateway');
    expect(changes.filter((c) => c.kind === 'Route')).to.deep.include({ kind: 'Route', routeKind: 'HTTPRoute', namespace: 'shop', name: 'shop' });
    expect(o.status().state).to.equal('online');
  });
});

describe('Gateway API objects reduced to what DNS reads', () => {
  it('joins spec.parentRefs with status.parents (defaults: the route\'s namespace, kind Gateway), and counts only Services of weight > 0', () => {
    const r = routeOf(
      {
        metadata: { name: 'r', namespace: 'app' },
        spec: {
          parentRefs: [{ name: 'gw', sectionName: 'web' }, { name: 'gw2', namespace: 'infra', port: 443 }, { name: 'mesh', kind: 'Service', group: '' }],
          rules: [{ backendRefs: [{ name: 'a' }, { name: 'b', weight: 0 }, { name: 'c', namespace: 'other' }, { name: 'ext', kind: 'Backend', group: 'example.com' }] }],
        },
        status: {
          parents: [
            { parentRef: { name: 'gw', sectionName: 'web' }, conditions: [{ type: 'Accepted', status: 'True' }] },
            { parentRef: { name: 'gw2', namespace: 'infra', port: 443 }, conditions: [{ type: 'Accepted', status: 'False', reason: 'NotAllowedByListeners', message: 'namespace app not allowed' }] },
          ],
        },
      },
      'HTTPRoute',
    );
    expect(r?.parents).to.deep.equal([
      { namespace: 'app', name: 'gw', sectionName: 'web', accepted: true },
      { namespace: 'infra', name: 'gw2', port: 443, accepted: false, notAccepted: 'NotAllowedByListeners: namespace app not allowed' },
    ]);
    expect(r?.backends).to.deep.equal(['app/a', 'other/c']);
  });

  it('keeps the common route compactly and reads it back whole: one hostname, one accepted Gateway of its namespace, one backend', () => {
    const r = routeOf({ metadata: { name: 'r', namespace: 'app', resourceVersion: '42' }, spec: { parentRefs: [{ name: 'gw' }], hostnames: ['r.example.org'], rules: [{ backendRefs: [{ name: 'web' }] }] }, status: { parents: [{ parentRef: { name: 'gw' }, conditions: [{ type: 'Accepted', status: 'True' }] }] } }, 'HTTPRoute');
    expect(r && { rv: r.resourceVersion, hostnames: r.hostnames, parents: r.parents, backends: r.backends }).to.deep.equal({
      rv: '42',
      hostnames: ['r.example.org'],
      parents: [{ namespace: 'app', name: 'gw', accepted: true }],
      backends: ['app/web'],
    });
  });

  it('reads Gateway addresses by type: IPAddress (the default), Hostname, and the rest named for the status', () => {
    const g = gatewayOf({
      metadata: { name: 'gw', namespace: 'infra' },
      spec: { listeners: [{ name: 'https', port: 443, protocol: 'HTTPS', hostname: '*.example.org' }] },
      status: { addresses: [{ value: '192.0.2.1' }, { type: 'Hostname', value: 'lb.example.net' }, { type: 'example.com/vip', value: 'v-1' }] },
    });
    expect(g && { namespace: g.namespace, name: g.name, listeners: g.listeners, addresses: g.addresses, otherAddresses: g.otherAddresses }).to.deep.equal({
      namespace: 'infra',
      name: 'gw',
      listeners: [{ name: 'https', hostname: '*.example.org', port: 443, protocol: 'HTTPS' }],
      addresses: [{ ip: '192.0.2.1' }, { hostname: 'lb.example.net' }],
      otherAddresses: ['example.com/vip=v-1'],
    });
  });
});
