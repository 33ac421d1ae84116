import { expect } from 'chai';
import { MemberObserver, type MemberChange, type MemberObserverOptions } from '../../../src/observe/member.js';
import type { MemberConfig } from '../../../src/observe/sources/member-config.js';
import { FakeApiServer, eventually, freePort, kubeConfigFor, sleep, type FakeObject } from '../kube/fake-apiserver.js';
import { capturingLogger, flushLogs } from '../kube/capture-log.js';

const INGRESSES = '/apis/networking.k8s.io/v1/ingresses';
const SERVICES = '/api/v1/services';
const SLICES = '/apis/discovery.k8s.io/v1/endpointslices';
const NODES = '/api/v1/nodes';

const ingress = (name: string, hosts: string[], ip?: string): FakeObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'shop' },
  spec: { rules: hosts.map((host) => ({ host })) },
  status: { loadBalancer: { ingress: ip ? [{ ip }] : [] } },
});
const service = (name: string, type: string, lb: object[] = [], annotations: Record<string, string> = {}): FakeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'shop', annotations },
  spec: { type, ports: [{ port: 80 }] },
  status: { loadBalancer: { ingress: lb } },
});
const slice = (name: string, svc: string, ready: boolean[], subnet = 0): FakeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  endpoints: ready.map((r, i) => ({ addresses: [`10.0.${subnet}.${i + 1}`], conditions: { ready: r } })),
});
const node = (name: string, labels: Record<string, string>, heartbeat = 'a'): FakeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels },
  status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: heartbeat }] },
});

function populate(s: FakeApiServer): void {
  s.put(INGRESSES, ingress('web', ['www.example.org'], '192.0.2.10'));
  s.put(SERVICES, service('db', 'LoadBalancer', [{ ip: '192.0.2.20' }, { hostname: 'db-lb.example.net' }]));
  s.put(SERVICES, service('internal', 'ClusterIP'));
  s.put(SLICES, slice('db-abc', 'db', [true, false, true]));
  s.put(SLICES, slice('db-def', 'db', [true], 1));
  s.put(NODES, node('n1', { 'topology.kubernetes.io/region': 'eu-west', 'topology.kubernetes.io/zone': 'eu-west-1a' }));
  s.put(NODES, node('n2', { 'failure-domain.beta.kubernetes.io/region': 'eu-west', 'failure-domain.beta.kubernetes.io/zone': 'eu-west-1b' }));
}

/**
 * A heartbeat timeout's message: the timeout it had, never below the configured one (it grows with
 * the measured round trip, which on a loaded test machine is not a fixed number).
 */
function expectTimedOut(message: string | undefined, floorMs: number): void {
  const m = /^heartbeat: no answer within (\d+) ms$/.exec(message ?? '');
  expect(m, message).not.to.equal(null);
  expect(Number(m![1])).to.be.at.least(floorMs);
}

describe('MemberObserver', () => {
  let server: FakeApiServer;
  let observers: MemberObserver[];
  let clock: number;
  const now = (): number => clock;

  beforeEach(async () => {
    server = await FakeApiServer.start({ token: 'member-token' });
    observers = [];
    clock = Date.parse('2030-01-01T00:00:00Z');
  });
  afterEach(async () => {
    await Promise.all(observers.map((o) => o.stop()));
    await server.stop();
  });

  function observe(
    config: Partial<MemberConfig> = {},
    opts: MemberObserverOptions = {},
  ): { o: MemberObserver; changes: MemberChange[]; logs: ReturnType<typeof capturingLogger> } {
    const logs = capturingLogger('debug');
    const o = new MemberObserver(
      { name: 'east', kubeConfig: server.kubeConfig('member-token'), source: 'kubeconfig', ...config },
      { heartbeatMs: 20, heartbeatTimeoutMs: 200, offlineGraceMs: 30_000, now, logger: logs.logger, watch: { initialBackoffMs: 20, maxBackoffMs: 100 }, ...opts },
    );
    const changes: MemberChange[] = [];
    o.onChange((c) => changes.push(c));
    observers.push(o);
    return { o, changes, logs };
  }

  it("is 'unknown' until every informer has listed, then 'online' with Ingresses, LoadBalancer Services, ready endpoints and topology", async () => {
    populate(server);
    const { o } = observe();
    expect(o.snapshot()).to.include({ cluster: 'east', state: 'unknown' });
    o.start();
    await eventually(() => o.snapshot().state === 'online', 3000, 'online');
    expect(o.synced()).to.equal(true);
    expect(o.snapshot()).to.deep.equal({
      cluster: 'east',
      state: 'online',
      stateSince: new Date(clock).toISOString(),
      region: 'eu-west',
      zones: ['eu-west-1a', 'eu-west-1b'],
      ingresses: [{ namespace: 'shop', name: 'web', hosts: ['www.example.org'], loadBalancer: [{ ip: '192.0.2.10' }] }],
      services: [
        {
          namespace: 'shop',
          name: 'db',
          type: 'LoadBalancer',
          loadBalancer: [{ ip: '192.0.2.20' }, { hostname: 'db-lb.example.net' }],
          readyEndpoints: 3,
        },
      ],
    });
  });

  it('answers a record with only the objects it can use: its own Ingress or Service, and same-namespace Ingresses listing its hosts', async () => {
    populate(server);
    server.put(INGRESSES, ingress('api', ['api.example.org'], '192.0.2.11'));
    server.put(INGRESSES, ingress('other', ['other.example.org'], '192.0.2.12'));
    const { o } = observe();
    o.start();
    await eventually(() => o.status().state === 'online', 3000, 'online');
    const forWeb = o.observationFor({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'web', hosts: ['api.example.org'] });
    expect(forWeb.ingresses.map((i) => i.name)).to.deep.equal(['api', 'web']);
    expect(forWeb.services).to.deep.equal([]);
    expect(forWeb).to.include({ cluster: 'east', state: 'online', region: 'eu-west' });
    const forDb = o.observationFor({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'db' });
    expect(forDb.ingresses).to.deep.equal([]);
    expect(forDb.services).to.deep.equal([
      { namespace: 'shop', name: 'db', type: 'LoadBalancer', loadBalancer: [{ ip: '192.0.2.20' }, { hostname: 'db-lb.example.net' }], readyEndpoints: 3 },
    ]);
    expect(o.observationFor({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'internal' }).services, 'not a LoadBalancer').to.deep.equal([]);
    expect(o.status()).to.include({ cluster: 'east', state: 'online' });
    expect(o.status().ingresses).to.deep.equal([]);
    expect(o.counts()).to.deep.equal({ Ingress: 3, Service: 1, EndpointSlice: 2, Node: 2 });
  });

  it('lets the registration region and zones win over node labels', async () => {
    populate(server);
    const { o } = observe({ region: 'registered-region', zones: ['rz-b', 'rz-a'] });
    o.start();
    await eventually(() => o.synced(), 3000, 'synced');
    expect(o.snapshot()).to.include({ region: 'registered-region' });
    expect(o.snapshot().zones).to.deep.equal(['rz-a', 'rz-b']);
  });

  it('reports only changes that alter the observation, naming the Service for EndpointSlice changes', async () => {
    populate(server);
    const { o, changes } = observe();
    o.start();
    await eventually(() => o.snapshot().state === 'online', 3000, 'online');
    await sleep(50);
    changes.length = 0;

    // Noise: a Service annotation, a node status heartbeat, a ClusterIP Service's edit.
    server.put(SERVICES, service('db', 'LoadBalancer', [{ ip: '192.0.2.20' }, { hostname: 'db-lb.example.net' }], { note: 'x' }));
    server.put(NODES, node('n1', { 'topology.kubernetes.io/region': 'eu-west', 'topology.kubernetes.io/zone': 'eu-west-1a' }, 'b'));
    server.put(SERVICES, service('internal', 'ClusterIP', [], { note: 'y' }));
    // Signal: the LB address, endpoint readiness, a new zone, a new Ingress host.
    server.put(SERVICES, service('db', 'LoadBalancer', [{ ip: '192.0.2.21' }]));
    server.put(SLICES, slice('db-abc', 'db', [false, false, false]));
    server.put(NODES, node('n3', { 'topology.kubernetes.io/region': 'eu-west', 'topology.kubernetes.io/zone': 'eu-west-1c' }));
    server.put(INGRESSES, ingress('web', ['www.example.org', 'shop.example.org'], '192.0.2.10'));
    server.remove(INGRESSES, 'web', 'shop');

    await eventually(() => changes.length >= 5, 3000, 'five changes');
    await sleep(50);
    // Each resource has its own stream, so only the order within one resource is defined.
    expect(changes).to.have.deep.members([
      { kind: 'Service', namespace: 'shop', name: 'db' },
      { kind: 'EndpointSlice', namespace: 'shop', name: 'db' },
      { kind: 'Node' },
      { kind: 'Ingress', namespace: 'shop', name: 'web', hosts: ['shop.example.org', 'www.example.org'] },
      { kind: 'Ingress', namespace: 'shop', name: 'web', hosts: ['shop.example.org', 'www.example.org'] },
    ]);
    expect(changes).to.have.length(5);
    const snap = o.snapshot();
    expect(snap.services[0]).to.include({ readyEndpoints: 1 });
    expect(snap.services[0]?.loadBalancer).to.deep.equal([{ ip: '192.0.2.21' }]);
    expect(snap.zones).to.deep.equal(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    expect(snap.ingresses).to.deep.equal([]);
  });

  it('re-runs an Ingress when a Service it routes to loses or regains its last ready endpoint, not on every endpoint change', async () => {
    const routed: FakeObject = {
      ...ingress('web', ['WWW.example.org'], '192.0.2.10'),
      spec: { rules: [{ host: 'WWW.example.org', http: { paths: [{ path: '/', backend: { service: { name: 'app', port: { number: 80 } } } }] } }] },
    };
    server.put(INGRESSES, routed);
    server.put(SLICES, slice('app-1', 'app', [true, true]));
    const { o, changes } = observe();
    o.start();
    await eventually(() => o.snapshot().state === 'online', 3000, 'online');
    await sleep(50);
    changes.length = 0;
    const ingressChanges = () => changes.filter((c) => c.kind === 'Ingress');

    server.put(SLICES, slice('app-1', 'app', [true, false])); // still one ready: nothing for the Ingress
    await eventually(() => changes.length >= 1, 3000, 'the slice change');
    expect(ingressChanges()).to.deep.equal([]);
    server.put(SLICES, slice('app-1', 'app', [false, false])); // none ready
    await eventually(() => ingressChanges().length >= 1, 3000, 'the Ingress re-run');
    expect(ingressChanges()).to.deep.equal([{ kind: 'Ingress', namespace: 'shop', name: 'web', hosts: ['www.example.org'] }]);
    expect(o.snapshot().ingresses[0]?.backendEndpoints).to.deep.equal([{ service: 'app', ready: 0 }]);
    server.put(SLICES, slice('app-1', 'app', [true, false])); // back
    await eventually(() => ingressChanges().length >= 2, 3000, 'the Ingress re-run again');
    expect(o.snapshot().ingresses[0]?.backendEndpoints).to.deep.equal([{ service: 'app', ready: 1 }]);
  });

  it("goes 'offline' with the last error once unreachable past the grace, and back 'online' after recovery, restarting its informers", async () => {
    populate(server);
    // Informer backoff far longer than the test: only the heartbeat's recovery can restart them.
    const { o, changes, logs } = observe({}, { watch: { initialBackoffMs: 60_000, maxBackoffMs: 60_000 } });
    o.start();
    await eventually(() => o.snapshot().state === 'online', 3000, 'online');

    await server.stop();
    await sleep(100); // heartbeats and informers fail, but the grace has not run out
    expect(o.snapshot().state).to.equal('online');

    clock += 30_001;
    await eventually(() => o.snapshot().state === 'offline', 3000, 'offline');
    const offline = o.snapshot();
    expect(offline.stateSince).to.equal(new Date(clock).toISOString());
    expect(offline.stateMessage).to.match(/ECONNREFUSED 127\.0\.0\.1/);
    expect(offline.stateMessage).not.to.contain('member-token');
    expect(offline.ingresses, 'the last known objects are kept').to.have.length(1);
    expect(changes.filter((c) => c.kind === 'State')).to.have.length.at.least(2); // unknown→online→offline

    server.put(INGRESSES, ingress('new', ['new.example.org'], '192.0.2.30')); // happens while we are cut off
    clock += 5_000;
    await server.restart();
    await eventually(() => o.snapshot().state === 'online', 3000, 'online again');
    expect(o.snapshot().stateSince).to.equal(new Date(clock).toISOString());
    expect(o.snapshot().stateMessage).to.equal(undefined);
    await eventually(() => o.snapshot().ingresses.length === 2, 3000, 'informers restarted and caught up');

    await flushLogs();
    const transitions = logs.lines.filter((l) => typeof l['message'] === 'string' && String(l['message']).startsWith('member cluster '));
    expect(transitions.map((l) => [l['level'], l['message'], l['cluster']])).to.deep.equal([
      ['info', 'member cluster online', 'east'],
      ['warn', 'member cluster offline', 'east'],
      ['info', 'member cluster online', 'east'],
    ]);
  });

  it('counts a heartbeat that times out as a failure (a hanging API server)', async () => {
    populate(server);
    const { o } = observe({}, { heartbeatTimeoutMs: 30 });
    o.start();
    await eventually(() => o.snapshot().state === 'online', 3000, 'online');
    server.readyzDelayMs = 10_000; // hangs: longer than any timeout the round trip can grow to
    await sleep(100);
    clock += 31_000;
    await eventually(() => o.snapshot().state === 'offline', 3000, 'offline');
    expectTimedOut(o.snapshot().stateMessage, 30);
  });

  it('does not count a heartbeat timeout against the member while its own event loop was stalled', async () => {
    populate(server);
    let stalled = 0;
    const { o } = observe({}, { heartbeatTimeoutMs: 30, loop: { stalledMs: () => stalled } });
    o.start();
    await eventually(() => o.snapshot().state === 'online', 3000, 'online');
    server.readyzDelayMs = 10_000; // hangs: longer than any timeout the round trip can grow to
    stalled = 1000; // mcdns was busy for a second: the answer may be waiting unread
    await sleep(150);
    clock += 31_000;
    await sleep(150);
    expect(o.status().state, `no evidence against the member: ${o.status().stateMessage}`).to.equal('online');
    stalled = 0; // now the loop is free and the member still does not answer
    await eventually(() => o.status().state === 'offline', 3000, 'offline on real timeouts');
    expectTimedOut(o.status().stateMessage, 30);
  });

  it("a member never reached goes from 'unknown' to 'offline' after the grace, with the connection error", async () => {
    const port = await freePort();
    const { o } = observe({ kubeConfig: kubeConfigFor(`http://127.0.0.1:${port}`, 't') });
    o.start();
    await sleep(100);
    expect(o.snapshot().state).to.equal('unknown');
    expect(o.snapshot().stateMessage).to.match(/^waiting for the first list of Ingress \(.*ECONNREFUSED/);
    clock += 30_001;
    await eventually(() => o.snapshot().state === 'offline', 3000, 'offline');
    expect(o.snapshot().stateMessage).to.match(/ECONNREFUSED/);
  });

  it("stays 'unknown', saying which list fails and why, when a resource cannot be listed (e.g. RBAC)", async () => {
    server.failPaths.set(SERVICES, 403);
    const { o } = observe();
    o.start();
    const expected = 'waiting for the first list of Service (HTTP 403: injected failure 403)';
    await eventually(() => o.snapshot().stateMessage === expected, 3000, 'message naming only Service');
    expect(o.snapshot().state).to.equal('unknown');
    await sleep(100);
    expect(o.snapshot()).to.include({ state: 'unknown', stateMessage: expected });
  });
});
