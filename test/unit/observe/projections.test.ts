import { expect } from 'chai';
import { ClusterIndex, project } from '../../../src/observe/projections.js';
import { ingressOf, topologyOf } from '../../../src/observe/reduce.js';

const ingress = (namespace: string, name: string, hosts: string[], ip = '192.0.2.1') =>
  project.ingress({ metadata: { name, namespace }, spec: { rules: hosts.map((host) => ({ host })) }, status: { loadBalancer: { ingress: [{ ip }] } } });
const slice = (svc: string, ready: boolean[], subnet = 0) =>
  project.slice({
    metadata: { namespace: 'shop', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: ready.map((r, i) => ({ addresses: [`10.0.${subnet}.${i + 1}`], conditions: { ready: r } })),
  });
const node = (labels: Record<string, string>) => project.node({ metadata: { labels } });

describe('ClusterIndex (what one member holds, indexed for records)', () => {
  it('gives a record only its own Ingress and the Ingresses of its namespace that list one of its hosts', () => {
    const idx = new ClusterIndex();
    idx.setIngress('shop/web', ingress('shop', 'web', ['www.example.org']));
    idx.setIngress('shop/api', ingress('shop', 'api', ['API.example.org.']));
    idx.setIngress('shop/other', ingress('shop', 'other', ['other.example.org']));
    idx.setIngress('blog/api', ingress('blog', 'api', ['api.example.org']));
    for (let i = 0; i < 1000; i++) idx.setIngress(`bulk/i${i}`, ingress('bulk', `i${i}`, [`h${i}.example.org`]));

    const named = idx.ingressesFor({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'web', hosts: ['api.example.org'] });
    expect(named.map((i) => `${i.namespace}/${i.name}`).sort()).to.deep.equal(['shop/api', 'shop/web']);
    const byHost = idx.ingressesFor({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'fed-web', hosts: ['api.example.org', 'nothing.example.org'] });
    expect(byHost.map((i) => `${i.namespace}/${i.name}`), 'normalised host match, same namespace only').to.deep.equal(['shop/api']);
    expect(idx.ingressesFor({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'none', hosts: [] })).to.deep.equal([]);
  });

  it('follows host changes: an Ingress is found by its new hosts only, and the change names old and new hosts', () => {
    const idx = new ClusterIndex();
    idx.setIngress('shop/web', ingress('shop', 'web', ['a.example.org']));
    const change = idx.setIngress('shop/web', ingress('shop', 'web', ['B.example.org']));
    expect(change).to.deep.equal({ hosts: ['a.example.org', 'b.example.org'] });
    const q = (host: string) => idx.ingressesFor({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'x', hosts: [host] }).length;
    expect([q('a.example.org'), q('b.example.org')]).to.deep.equal([0, 1]);
    expect(idx.setIngress('shop/web', ingress('shop', 'web', ['B.example.org'])), 'nothing DNS reads changed').to.equal(undefined);
    expect(idx.setIngress('shop/web', undefined)).to.deep.equal({ hosts: ['b.example.org'] });
    expect(q('b.example.org')).to.equal(0);
    expect(idx.counts().Ingress).to.equal(0);
  });

  it('hands each Ingress back as it was projected, whatever the number and form of its hosts, addresses and backends', () => {
    const idx = new ClusterIndex();
    const shapes: Record<string, unknown>[] = [
      { status: { loadBalancer: { ingress: [{ ip: '192.168.1.255' }] } } },
      { status: { loadBalancer: { ingress: [{ ip: '010.0.0.1' }] } } },
      { status: { loadBalancer: { ingress: [{ ip: '2001:db8::1' }] } } },
      { status: { loadBalancer: { ingress: [{ hostname: 'lb.example.net' }] } } },
      { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1', hostname: 'lb.example.net' }] } } },
      { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { ip: '192.0.2.2' }] } } },
      { spec: { rules: [{ host: 'a.example.org' }, { host: 'b.example.org', http: { paths: [{ backend: { service: { name: 'x' } } }] } }] } },
      { spec: { defaultBackend: { service: { name: 'y' } }, rules: [{ http: { paths: [{ backend: { service: { name: 'x' } } }] } }] } },
      {},
    ];
    shapes.forEach((shape, n) => {
      const o = { metadata: { name: `i${n}`, namespace: 'shop' }, ...shape };
      idx.setIngress(`shop/i${n}`, project.ingress(o));
      expect(idx.ingress(`shop/i${n}`), JSON.stringify(shape)).to.deep.equal(ingressOf(o));
    });
  });

  it('hands ListWatch back the very resourceVersion each cached Ingress came with', () => {
    for (const resourceVersion of ['1', '48213', '900719925474099', '9007199254740993', '007', 'opaque-v2', '']) {
      expect(project.ingress({ metadata: { name: 'web', namespace: 'shop', resourceVersion } })?.metadata.resourceVersion).to.equal(resourceVersion);
    }
    expect(project.ingress({ metadata: { name: 'web', namespace: 'shop' } })?.metadata.resourceVersion).to.equal(undefined);
  });

  it('counts ready endpoints per Service across its slices, once per endpoint, and reports only Services whose count changed', () => {
    const idx = new ClusterIndex();
    idx.setService('shop/db', project.service({ metadata: { name: 'db', namespace: 'shop' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.20' }] } } }));
    expect(idx.setSlice('shop/db-a', slice('db', [true, false, true]))).to.deep.equal(['shop/db']);
    expect(idx.setSlice('shop/db-b', slice('db', [true], 1))).to.deep.equal(['shop/db']);
    expect(idx.service('shop/db')).to.include({ readyEndpoints: 3 });
    expect(idx.setSlice('shop/db-dup', slice('db', [true]))).to.deep.equal([]); // 10.0.0.1 again: same endpoint
    expect(idx.setSlice('shop/db-a', undefined)).to.deep.equal(['shop/db']);
    expect(idx.readyEndpoints('shop/db')).to.equal(2);
    expect(project.service({ metadata: { name: 'c', namespace: 'shop' }, spec: { type: 'ClusterIP' } })).to.equal(undefined);
  });

  it('hands an Ingress out with the readiness of the backends it can tell about, and knows which Ingresses a Service backs', () => {
    const idx = new ClusterIndex();
    const routed = project.ingress({
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
        rules: [{ host: 'www.example.org', http: { paths: [{ path: '/', backend: { service: { name: 'app', port: { number: 80 } } } }] } }],
      },
    });
    expect(routed?.backends).to.deep.equal(['app', 'fallback']);
    idx.setIngress('shop/web', routed);
    const query = { kind: 'IngressDNSRecord' as const, namespace: 'shop', name: 'web' };
    expect(idx.ingressesFor(query)[0]?.backendEndpoints, 'no EndpointSlice yet: nothing known').to.equal(undefined);
    expect(idx.readiness('shop/app')).to.equal('unknown');
    idx.setSlice('shop/app-1', slice('app', [false, false]));
    expect(idx.readiness('shop/app')).to.equal('none');
    expect(idx.ingressesFor(query)[0]?.backendEndpoints).to.deep.equal([{ service: 'app', ready: 0 }]);
    idx.setSlice('shop/app-1', slice('app', [true, false]));
    expect(idx.readiness('shop/app')).to.equal('ready');
    expect(idx.sliceService('shop/app-1')).to.equal('shop/app');
    expect(idx.ingressesBackedBy('shop/app').map((i) => i.name)).to.deep.equal(['web']);
    expect(idx.ingressesBackedBy('shop/fallback').map((i) => i.name)).to.deep.equal(['web']);
    idx.setIngress('shop/web', undefined);
    expect(idx.ingressesBackedBy('shop/app')).to.deep.equal([]);
  });

  it('keeps topology incrementally, agreeing with a full reduction of the same nodes', () => {
    const idx = new ClusterIndex();
    const nodes: Record<string, Record<string, string>> = {
      n1: { 'topology.kubernetes.io/region': 'eu-west', 'topology.kubernetes.io/zone': 'eu-west-1a' },
      n2: { 'failure-domain.beta.kubernetes.io/region': 'eu-west', 'failure-domain.beta.kubernetes.io/zone': 'eu-west-1b' },
      n3: { 'topology.kubernetes.io/region': 'us-east', 'topology.kubernetes.io/zone': 'us-east-1a' },
      n4: { 'topology.kubernetes.io/region': 'us-east' },
    };
    const changed = Object.entries(nodes).map(([n, l]) => idx.setNode(n, node(l)));
    expect(changed).to.deep.equal([true, true, true, false]);
    const full = () => topologyOf(Object.values(nodes).map((labels) => ({ metadata: { labels } })));
    expect(idx.topology()).to.deep.equal(full()); // tie 2:2, alphabetical: eu-west
    expect(idx.setNode('n2', node({ 'topology.kubernetes.io/zone': 'eu-west-1b' })), 'region counts change').to.equal(true);
    nodes['n2'] = { 'topology.kubernetes.io/zone': 'eu-west-1b' };
    expect(idx.topology()).to.deep.equal(full());
    expect(idx.topology().region).to.equal('us-east');
    expect(idx.setNode('n2', node({ 'topology.kubernetes.io/zone': 'eu-west-1b' })), 'a heartbeat changes nothing').to.equal(false);
    expect(idx.setNode('n1', undefined)).to.equal(true);
    delete nodes['n1'];
    expect(idx.topology()).to.deep.equal(full());
  });
});
