// What a member observer keeps follows the records: objects no record can use are parsed as they
// arrive and dropped; a record that begins to want objects that already existed gets them read
// from the member; a record that goes lets them go.
import { expect } from 'chai';
import { FleetInterest } from '../../../src/observe/interest.js';
import { MemberObserver, type MemberChange } from '../../../src/observe/member.js';
import { FakeApiServer, eventually, sleep, type FakeObject } from '../kube/fake-apiserver.js';
import { capturingLogger } from '../kube/capture-log.js';

const INGRESSES = '/apis/networking.k8s.io/v1/ingresses';
const SERVICES = '/api/v1/services';
const SLICES = '/apis/discovery.k8s.io/v1/endpointslices';
const NODES = '/api/v1/nodes';

const ingress = (ns: string, name: string, hosts: string[], ip: string, backend?: string): FakeObject => ({
  metadata: { name, namespace: ns },
  spec: { rules: hosts.map((host) => ({ host, ...(backend ? { http: { paths: [{ path: '/', backend: { service: { name: backend, port: { number: 80 } } } }] } } : {}) })) },
  status: { loadBalancer: { ingress: [{ ip }] } },
});
const lbService = (ns: string, name: string, ip: string): FakeObject => ({
  metadata: { name, namespace: ns },
  spec: { type: 'LoadBalancer' },
  status: { loadBalancer: { ingress: [{ ip }] } },
});
const headless = (ns: string, name: string): FakeObject => ({ metadata: { name, namespace: ns }, spec: { clusterIP: 'None' } });
const slice = (ns: string, name: string, svc: string, ready: boolean[]): FakeObject => ({
  metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints: ready.map((r, i) => ({ addresses: [`10.0.0.${i + 1}`], conditions: { ready: r }, targetRef: { kind: 'Pod', uid: `${name}-${i}` } })),
});

/** A member with two records' objects (shop/web routing to shop/app, shop/db) and 20 unrelated Services with slices and Ingresses. */
function populate(s: FakeApiServer): void {
  s.put(INGRESSES, ingress('shop', 'web', ['www.example.org'], '192.0.2.10', 'app'));
  s.put(SLICES, slice('shop', 'app-1', 'app', [true, true]));
  s.put(SERVICES, lbService('shop', 'db', '192.0.2.20'));
  s.put(SLICES, slice('shop', 'db-1', 'db', [true, false, true]));
  s.put(NODES, { metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } });
  for (let i = 0; i < 20; i++) {
    const ns = i % 2 ? 'other' : 'shop';
    s.put(SERVICES, headless(ns, `bg-${i}`));
    s.put(SLICES, slice(ns, `bg-${i}-x`, `bg-${i}`, [true, true, true]));
    s.put(INGRESSES, ingress(ns, `bg-${i}`, [`bg-${i}.example.net`], '192.0.2.99', `bg-${i}`));
  }
}

describe('MemberObserver: what it keeps follows the records', () => {
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

  /** selectorNames: 0 makes the member send every EndpointSlice (as when records want too many Services to name). */
  function observe(selectorNames?: number): { o: MemberObserver; changes: MemberChange[] } {
    const o = new MemberObserver(
      { name: 'east', kubeConfig: server.kubeConfig('t'), source: 'kubeconfig' },
      {
        heartbeatMs: 50,
        heartbeatTimeoutMs: 1000,
        logger: capturingLogger('debug').logger,
        watch: { initialBackoffMs: 20, maxBackoffMs: 100 },
        interest,
        ...(selectorNames !== undefined ? { sliceSelectorNames: selectorNames } : {}),
      },
    );
    const changes: MemberChange[] = [];
    o.onChange((c) => changes.push(c));
    observers.push(o);
    return { o, changes };
  }

  const webRecord = () => interest.refer('IngressDNSRecord/shop/web', { ingress: { namespace: 'shop', name: 'web', hosts: ['www.example.org'] } });
  const dbRecord = () => interest.refer('ServiceDNSRecord/shop/db', { services: ['shop/db'] });

  /** The member of populate(), these records known, observed until it is online. */
  async function onlineWith(records: Array<() => unknown>, selectorNames?: number): Promise<{ o: MemberObserver; changes: MemberChange[] }> {
    populate(server);
    for (const r of records) void r();
    interest.markReady();
    const observed = observe(selectorNames);
    observed.o.start();
    await eventually(() => observed.o.status().state === 'online', 3000, 'online');
    return observed;
  }

  it('lists nothing until the records are known, then keeps only what they can use', async () => {
    populate(server);
    const { o } = observe();
    o.start();
    await sleep(150);
    expect(server.lists(INGRESSES), 'no member list before the host records are known').to.deep.equal([]);
    expect(o.status().stateMessage).to.match(/^waiting for the host's records, then the first list of Ingress, Service, EndpointSlice$/);
    void webRecord();
    void dbRecord();
    interest.markReady();
    await eventually(() => o.status().state === 'online', 3000, 'online');
    expect(o.counts()).to.deep.equal({ Ingress: 1, Service: 1, EndpointSlice: 2, Node: 1 });
    // The member sent only the slices of the two Services wanted: their names are the selector.
    expect(o.link().seen).to.deep.equal({ Ingress: 21, Service: 21, EndpointSlice: 2, Node: 1 });
    expect(server.lists(SLICES).map((r) => r.query.get('labelSelector'))).to.deep.equal(['kubernetes.io/service-name in (app,db)']);
    await eventually(() => server.watchRequests(SLICES).length > 0, 3000, 'the slice watch');
    expect(server.watchRequests(SLICES).map((r) => r.query.get('labelSelector'))).to.deep.equal(['kubernetes.io/service-name in (app,db)']);
    expect(o.observationFor({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'db' }).services).to.deep.equal([
      { namespace: 'shop', name: 'db', type: 'LoadBalancer', loadBalancer: [{ ip: '192.0.2.20' }], readyEndpoints: 2 },
    ]);
    const web = o.observationFor({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'web', hosts: ['www.example.org'] }).ingresses;
    expect(web.map((i) => [i.name, i.backendEndpoints])).to.deep.equal([['web', [{ service: 'app', ready: 2 }]]]);
  });

  for (const mode of ['named in the selector', 'too many to name: every slice sent']) {
  it(`an unrelated EndpointSlice update changes nothing it retains and reports no change (Services ${mode})`, async () => {
    populate(server);
    void webRecord();
    void dbRecord();
    interest.markReady();
    const { o, changes } = observe(mode.startsWith('named') ? undefined : 0);
    o.start();
    await eventually(() => o.status().state === 'online', 3000, 'online');
    await sleep(50);
    const before = { snapshot: o.snapshot(), counts: o.counts() };
    changes.length = 0;
    for (let n = 0; n < 10; n++) for (let i = 0; i < 20; i++) server.put(SLICES, slice(i % 2 ? 'other' : 'shop', `bg-${i}-x`, `bg-${i}`, [n % 2 === 0, true, true]));
    server.put(SERVICES, { ...headless('shop', 'bg-0'), metadata: { name: 'bg-0', namespace: 'shop', annotations: { touched: 'yes' } } });
    // A marker after the noise: once it is in, every event before it has been handled.
    server.put(SLICES, slice('shop', 'db-1', 'db', [true, true, true]));
    await eventually(() => changes.length > 0, 3000, 'the marker');
    expect(changes).to.deep.equal([{ kind: 'EndpointSlice', namespace: 'shop', name: 'db' }]);
    expect(o.counts()).to.deep.equal(before.counts);
    expect(o.snapshot().ingresses).to.deep.equal(before.snapshot.ingresses);
    expect(o.link().seen.EndpointSlice, 'slices the member sent').to.equal(mode.startsWith('named') ? 2 : 22);
  });
  }

  it('reads a Service that existed before its record, once the record appears, and reports it', async () => {
    const { o, changes } = await onlineWith([]);
    expect(o.counts()).to.deep.equal({ Ingress: 0, Service: 0, EndpointSlice: 0, Node: 1 });
    const listsBefore = server.lists(SLICES).length;

    await dbRecord();
    expect(o.observationFor({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'db' }).services).to.deep.equal([
      { namespace: 'shop', name: 'db', type: 'LoadBalancer', loadBalancer: [{ ip: '192.0.2.20' }], readyEndpoints: 2 },
    ]);
    expect(changes).to.deep.include({ kind: 'Service', namespace: 'shop', name: 'db' });
    const reads = server.requests.filter((r) => r.path.startsWith('/api/v1/namespaces/shop/services') || r.path.startsWith('/apis/discovery.k8s.io/v1/namespaces/shop'));
    // Lists selected by name and label: the member grants mcdns list and watch only.
    expect(reads.map((r) => `${r.path} ${r.query.get('fieldSelector') ?? r.query.get('labelSelector') ?? ''}`.trim())).to.deep.equal([
      '/api/v1/namespaces/shop/services metadata.name=db',
      '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices kubernetes.io/service-name=db',
    ]);
    expect(server.lists(SLICES).length, 'no re-list of the whole member').to.equal(listsBefore);
    expect(o.counts()).to.deep.equal({ Ingress: 0, Service: 1, EndpointSlice: 1, Node: 1 });
    expect(o.link().seen.EndpointSlice, 'the slice the read brought, which the selector kept out before').to.equal(1);
  });

  it("opens the slice watch again with a new record's Service in its selector, and reads the slices once more after", async () => {
    const { o } = await onlineWith([webRecord]);
    await dbRecord();
    await eventually(() => server.watchRequests(SLICES).length === 2, 3000, 'a second slice watch');
    expect(server.watchRequests(SLICES).map((r) => r.query.get('labelSelector'))).to.deep.equal(['kubernetes.io/service-name in (app)', 'kubernetes.io/service-name in (app,db)']);
    await eventually(() => server.requests.filter((r) => r.path === '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices').length === 2, 3000, 'the second read');
    expect(server.lists(SLICES), 'no re-list').to.have.length(1);
    server.put(SLICES, slice('shop', 'db-1', 'db', [false, false, false]));
    await eventually(() => o.observationFor({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'db' }).services[0]?.readyEndpoints === 0, 3000, 'the slice change through the new watch');
  });

  it("reads an Ingress record's own Ingress, then the EndpointSlices of its backends", async () => {
    const { o } = await onlineWith([]);
    await webRecord();
    await eventually(() => o.counts().EndpointSlice === 1, 3000, 'the backend slices');
    const web = o.observationFor({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'web', hosts: ['www.example.org'] }).ingresses;
    expect(web.map((i) => [i.name, i.loadBalancer, i.backendEndpoints])).to.deep.equal([['web', [{ ip: '192.0.2.10' }], [{ service: 'app', ready: 2 }]]]);
    const ingressReads = server.requests.filter((r) => r.path === '/apis/networking.k8s.io/v1/namespaces/shop/ingresses' && !r.watch);
    expect(ingressReads.map((r) => r.query.get('fieldSelector')), 'by name only, no list of the namespace: the record has its own Ingress').to.deep.equal(['metadata.name=web']);
  });

  it("reads the namespace's Ingresses when the record has no Ingress of its own, for the hosts they list", async () => {
    const { o } = await onlineWith([]);
    await interest.refer('IngressDNSRecord/shop/site', { ingress: { namespace: 'shop', name: 'site', hosts: ['bg-4.example.net', 'bg-5.example.net'] } });
    const site = o.observationFor({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'site', hosts: ['bg-4.example.net', 'bg-5.example.net'] }).ingresses;
    expect(site.map((i) => i.name), 'bg-5 lives in another namespace').to.deep.equal(['bg-4']);
    expect(o.counts().Ingress).to.equal(1);
  });

  it('lets go of what a record no longer wants, and reports it', async () => {
    const { o, changes } = await onlineWith([webRecord, dbRecord]);
    changes.length = 0;
    interest.refer('ServiceDNSRecord/shop/db', undefined);
    interest.refer('IngressDNSRecord/shop/web', undefined);
    expect(o.counts()).to.deep.equal({ Ingress: 0, Service: 0, EndpointSlice: 0, Node: 1 });
    expect(changes).to.have.deep.members([
      { kind: 'Service', namespace: 'shop', name: 'db' },
      { kind: 'EndpointSlice', namespace: 'shop', name: 'db' },
      { kind: 'EndpointSlice', namespace: 'shop', name: 'app' },
      { kind: 'Ingress', namespace: 'shop', name: 'web', hosts: ['www.example.org'] },
    ]);
  });

  it('keeps a kept object up to date and drops it when it stops qualifying (a Service that is no LoadBalancer any more)', async () => {
    const { o } = await onlineWith([dbRecord]);
    server.put(SERVICES, lbService('shop', 'db', '192.0.2.21'));
    await eventually(() => o.observationFor({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'db' }).services[0]?.loadBalancer[0]?.ip === '192.0.2.21', 3000, 'new address');
    server.put(SERVICES, headless('shop', 'db'));
    await eventually(() => o.counts().Service === 0, 3000, 'dropped');
  });

  it('finds, after a 410 re-list, that a kept object was deleted while the watch was away', async () => {
    const { o } = await onlineWith([dbRecord]);
    server.removeSilently(SLICES, 'db-1', 'shop');
    server.compact();
    server.closeWatches();
    await eventually(() => o.counts().EndpointSlice === 0, 3000, 'the deleted slice gone');
    expect(o.observationFor({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'db' }).services[0]?.readyEndpoints).to.equal(0);
  });

  it("waits for the Ingresses before it lists EndpointSlices, and says so while an Ingress list fails", async () => {
    server.failPaths.set(INGRESSES, 403);
    interest.markReady();
    const { o } = observe();
    o.start();
    const expected = 'waiting for the first list of Ingress (HTTP 403: injected failure 403), EndpointSlice';
    await eventually(() => o.status().stateMessage === expected, 3000, expected);
    expect(server.lists(SLICES)).to.deep.equal([]);
  });
});
