import { expect } from 'chai';
import {
  ingressOf,
  loadBalancerOf,
  readyEndpointsByService,
  serviceOf,
  topologyOf,
  withRegistration,
} from '../../../src/observe/reduce.js';

const node = (labels: Record<string, string>): object => ({ metadata: { name: Math.random().toString(36), labels } });
const slice = (service: string | undefined, endpoints: object[], extra: object = {}): object => ({
  metadata: { name: `${service ?? 'orphan'}-${Math.random().toString(36).slice(2, 7)}`, namespace: 'shop', labels: service ? { 'kubernetes.io/service-name': service } : {} },
  addressType: 'IPv4',
  endpoints,
  ...extra,
});

describe('reducing member objects to observations', () => {
  describe('Ingress', () => {
    it('takes hosts from rules and tls, in written order, once each, and the load balancer addresses', () => {
      const ing = {
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          rules: [{ host: 'www.example.org' }, { http: { paths: [] } }, { host: 'api.example.org' }],
          tls: [{ hosts: ['www.example.org', 'secure.example.org'], secretName: 'tls' }],
        },
        status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }, { hostname: 'lb.example.net', ports: [{ port: 443 }] }] } },
      };
      expect(ingressOf(ing)).to.deep.equal({
        namespace: 'shop',
        name: 'web',
        hosts: ['www.example.org', 'api.example.org', 'secure.example.org'],
        loadBalancer: [{ ip: '192.0.2.10' }, { hostname: 'lb.example.net' }],
      });
    });

    it('lists the Services an Ingress routes to (default backend and paths), once each, sorted', () => {
      const ing = {
        metadata: { name: 'web', namespace: 'shop' },
        spec: {
          defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
          rules: [
            { host: 'www.example.org', http: { paths: [{ backend: { service: { name: 'web', port: { name: 'http' } } } }, { backend: { resource: { kind: 'Bucket', name: 'b' } } }] } },
            { host: 'api.example.org', http: { paths: [{ backend: { service: { name: 'api' } } }, { backend: { service: { name: 'web' } } }] } },
          ],
        },
      };
      expect(ingressOf(ing)?.backends).to.deep.equal(['api', 'fallback', 'web']);
    });

    it('observes an Ingress without hosts or load balancer as empty lists, and ignores nameless objects', () => {
      expect(ingressOf({ metadata: { name: 'bare', namespace: 'x' }, spec: {} })).to.deep.equal({
        namespace: 'x',
        name: 'bare',
        hosts: [],
        loadBalancer: [],
      });
      expect(ingressOf({ metadata: {} })).to.equal(undefined);
    });
  });

  describe('Service', () => {
    it('observes only type LoadBalancer, with its ips and hostnames and the given ready count', () => {
      const lb = {
        metadata: { name: 'db', namespace: 'shop' },
        spec: { type: 'LoadBalancer' },
        status: { loadBalancer: { ingress: [{ ip: '192.0.2.20' }, { ip: '2001:db8::20' }, { ip: '192.0.2.20' }, {}] } },
      };
      expect(serviceOf(lb, 3)).to.deep.equal({
        namespace: 'shop',
        name: 'db',
        type: 'LoadBalancer',
        loadBalancer: [{ ip: '192.0.2.20' }, { ip: '2001:db8::20' }],
        readyEndpoints: 3,
      });
      expect(serviceOf({ metadata: { name: 'c', namespace: 'shop' }, spec: { type: 'ClusterIP' } }, 3)).to.equal(undefined);
      expect(serviceOf({ metadata: { name: 'n', namespace: 'shop' }, spec: {} }, 0)).to.equal(undefined);
    });

    it('keeps an ip and a hostname given in one entry together', () => {
      expect(loadBalancerOf({ status: { loadBalancer: { ingress: [{ ip: '192.0.2.1', hostname: 'a.example' }] } } })).to.deep.equal([
        { ip: '192.0.2.1', hostname: 'a.example' },
      ]);
    });
  });

  describe('EndpointSlice', () => {
    it('counts endpoints whose ready condition is not false, per Service, across its slices', () => {
      const counts = readyEndpointsByService([
        slice('db', [
          { addresses: ['10.0.0.1'], conditions: { ready: true } },
          { addresses: ['10.0.0.2'], conditions: { ready: false } },
          { addresses: ['10.0.0.3'] }, // no conditions: ready
          { addresses: ['10.0.0.4'], conditions: {} }, // ready unset: ready
        ]),
        slice('db', [{ addresses: ['10.0.0.5'], conditions: { ready: true, terminating: false } }]),
        slice('web', [{ addresses: ['10.0.1.1'], conditions: { ready: false } }]),
        slice(undefined, [{ addresses: ['10.0.9.9'] }]), // no service label: nobody's
      ]);
      expect(Object.fromEntries(counts)).to.deep.equal({ 'shop/db': 4, 'shop/web': 0 });
    });

    it('counts an address once when it appears in two slices of one Service (slice rebalancing)', () => {
      const counts = readyEndpointsByService([slice('db', [{ addresses: ['10.0.0.1'] }]), slice('db', [{ addresses: ['10.0.0.1'] }])]);
      expect(counts.get('shop/db')).to.equal(1);
    });

    it('counts a pod once when it appears in an IPv4 and an IPv6 slice', () => {
      const pod = (uid: string): object => ({ kind: 'Pod', namespace: 'shop', name: uid, uid });
      const counts = readyEndpointsByService([
        slice('db', [{ addresses: ['10.0.0.1'], targetRef: pod('p1') }, { addresses: ['10.0.0.2'], targetRef: pod('p2') }]),
        slice('db', [{ addresses: ['fd00::1'], targetRef: pod('p1') }, { addresses: ['fd00::2'], targetRef: pod('p2') }], { addressType: 'IPv6' }),
      ]);
      expect(counts.get('shop/db')).to.equal(2);
    });
  });

  describe('Node topology', () => {
    it('takes sorted distinct zones and the most common region from topology labels', () => {
      const t = topologyOf([
        node({ 'topology.kubernetes.io/region': 'eu-west', 'topology.kubernetes.io/zone': 'eu-west-1b' }),
        node({ 'topology.kubernetes.io/region': 'eu-west', 'topology.kubernetes.io/zone': 'eu-west-1a' }),
        node({ 'topology.kubernetes.io/region': 'eu-central', 'topology.kubernetes.io/zone': 'eu-central-1a' }),
        node({ 'topology.kubernetes.io/region': 'eu-west', 'topology.kubernetes.io/zone': 'eu-west-1a' }),
        node({}),
      ]);
      expect(t).to.deep.equal({ region: 'eu-west', zones: ['eu-central-1a', 'eu-west-1a', 'eu-west-1b'] });
    });

    it('falls back to the deprecated failure-domain.beta labels node by node', () => {
      const t = topologyOf([
        node({ 'failure-domain.beta.kubernetes.io/region': 'us-east', 'failure-domain.beta.kubernetes.io/zone': 'us-east-1c' }),
        node({
          'topology.kubernetes.io/region': 'us-east',
          'topology.kubernetes.io/zone': 'us-east-1a',
          'failure-domain.beta.kubernetes.io/zone': 'ignored-when-the-ga-label-is-there',
        }),
      ]);
      expect(t).to.deep.equal({ region: 'us-east', zones: ['us-east-1a', 'us-east-1c'] });
    });

    it('breaks a region tie alphabetically and reports no region when no node has one', () => {
      expect(topologyOf([node({ 'topology.kubernetes.io/region': 'b' }), node({ 'topology.kubernetes.io/region': 'a' })]).region).to.equal('a');
      expect(topologyOf([node({ 'topology.kubernetes.io/zone': 'z1' })])).to.deep.equal({ zones: ['z1'] });
    });

    it('lets the cluster registration win over node labels', () => {
      const fromNodes = { region: 'eu-west', zones: ['eu-west-1a'] };
      expect(withRegistration(fromNodes, 'registered', ['r-2', 'r-1', 'r-2'])).to.deep.equal({ region: 'registered', zones: ['r-1', 'r-2'] });
      expect(withRegistration(fromNodes, undefined, [])).to.deep.equal(fromNodes);
      expect(withRegistration({ zones: [] }, 'only-region')).to.deep.equal({ region: 'only-region', zones: [] });
    });
  });
});
