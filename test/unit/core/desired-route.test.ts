import { expect } from 'chai';
import type { RouteDNSRecord } from '../../../src/api/schema.js';
import type { RouteKind } from '../../../src/api/route-ref.js';
import { desiredForRouteRecord, HOSTS_DROPPED } from '../../../src/core/desired-route.js';
import { hostnameCovers, listenersAdmit } from '../../../src/core/gateway-hostnames.js';
import type { ObservedGateway, ObservedRoute, ObservedRouteParent } from '../../../src/core/observation.js';
import { host, ip, NAMESPACE, offline, online } from './fixtures.js';

function routeRecord(name: string, spec: Partial<RouteDNSRecord['spec']> = {}, kind: RouteKind = 'HTTPRoute'): RouteDNSRecord {
  return { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'RouteDNSRecord', metadata: { name, namespace: NAMESPACE }, spec: { routeRef: { kind }, ...spec } };
}

function gateway(name: string, addresses: ObservedGateway['addresses'], listeners: ObservedGateway['listeners'] = [{ name: 'http', port: 80 }]): ObservedGateway {
  return { namespace: 'infra', name, listeners, addresses };
}

function parent(gw: ObservedGateway | undefined, accepted = true, extra: Partial<ObservedRouteParent> = {}): ObservedRouteParent {
  return { namespace: gw?.namespace ?? 'infra', name: gw?.name ?? 'missing', accepted, ...(gw ? { gateway: gw } : {}), ...extra };
}

function route(name: string, hostnames: string[], parents: ObservedRouteParent[], extra: Partial<ObservedRoute> = {}): ObservedRoute {
  return { kind: 'HTTPRoute', namespace: NAMESPACE, name, hostnames, parents, backends: [], ...extra };
}

const served = { served: true, synced: true };

describe('RouteDNSRecord → endpoints', () => {
  describe('a route served by two members (one Gateway each: an IPAddress and a Hostname)', () => {
    const record = routeRecord('shop', { hosts: ['shop.example.org'] });
    const clusters = [
      online('member1', { routeKind: served, routes: [route('shop', ['shop.example.org'], [parent(gateway('gw1', [ip('127.0.0.11')]))])] }),
      online('member2', { routeKind: served, routes: [route('shop', ['shop.example.org'], [parent(gateway('gw2', [host('lb.member2.example.net')]))])] }),
    ];
    const desired = desiredForRouteRecord(record, clusters);

    it('publishes the A record of the IP (a name cannot hold both A and CNAME) and says why the hostname is left out', () => {
      expect(desired.endpoints).to.deep.equal([{ dnsName: 'shop.example.org', targets: ['127.0.0.11'], recordType: 'A', recordTTL: 30 }]);
      expect(desired.ready.message).to.contain('load-balancer hostnames of cluster member2 left out');
    });

    it('reports each member\'s addresses and the Gateways they come from in status.dns', () => {
      expect(desired.dns).to.deep.equal([
        { cluster: 'member1', loadBalancer: { ingress: [{ ip: '127.0.0.11' }] }, gateways: ['infra/gw1'] },
        { cluster: 'member2', loadBalancer: { ingress: [{ hostname: 'lb.member2.example.net' }] }, gateways: ['infra/gw2'] },
      ]);
    });

    it('publishes a CNAME to the Hostname address when it is the only one', () => {
      const only = desiredForRouteRecord(record, [clusters[1]!]);
      expect(only.endpoints).to.deep.equal([{ dnsName: 'shop.example.org', targets: ['lb.member2.example.net'], recordType: 'CNAME', recordTTL: 30 }]);
    });
  });

  describe('which Gateways', () => {
    const gw = gateway('gw', [ip('192.0.2.1')]);

    it('takes only parents whose status.parents entry says Accepted=True, and says why none did', () => {
      const r = route('shop', ['shop.example.org'], [parent(gw, false, { notAccepted: 'NotAllowedByListeners: no listener allows routes from fed-namespace' })]);
      const desired = desiredForRouteRecord(routeRecord('shop'), [online('a', { routeKind: served, routes: [r] })]);
      expect(desired.endpoints).to.deep.equal([]);
      expect(desired.ready).to.include({ status: 'False', reason: 'NoTargets' });
      expect(desired.ready.message).to.contain('a: HTTPRoute fed-namespace/shop is not accepted by any parent Gateway (infra/gw: NotAllowedByListeners');
    });

    it('serves the addresses of every accepting Gateway of a member', () => {
      const r = route('shop', [], [parent(gw), parent(gateway('gw-b', [ip('192.0.2.2')])), parent(gateway('gw-c', [ip('192.0.2.3')]), false)]);
      const desired = desiredForRouteRecord(routeRecord('shop', { hosts: ['shop.example.org'] }), [online('a', { routeKind: served, routes: [r] })]);
      expect(desired.endpoints[0]?.targets).to.deep.equal(['192.0.2.1', '192.0.2.2']);
    });

    it('matches listener hostnames as Gateway API does: a wildcard covers names below it, not itself', () => {
      const listeners = [{ name: 'web', hostname: '*.example.org' }];
      const r = route('shop', ['shop.example.org', 'example.org'], [parent(gateway('gw', [ip('192.0.2.1')], listeners))]);
      const desired = desiredForRouteRecord(routeRecord('shop'), [online('a', { routeKind: served, routes: [r] })]);
      expect(desired.endpoints.map((e) => e.dnsName)).to.deep.equal(['shop.example.org']);
      expect(desired.ready.message).to.contain('example.org: no targets');
      expect(desired.ready.message).to.contain('a: no listener of Gateway infra/gw admits example.org');
    });

    it('uses only the listener a parentRef names (sectionName)', () => {
      const listeners = [{ name: 'a', hostname: 'a.example.org' }, { name: 'b', hostname: 'b.example.org' }];
      const r = route('shop', ['a.example.org', 'b.example.org'], [parent(gateway('gw', [ip('192.0.2.1')], listeners), true, { sectionName: 'b' })]);
      const desired = desiredForRouteRecord(routeRecord('shop'), [online('a', { routeKind: served, routes: [r] })]);
      expect(desired.endpoints.map((e) => e.dnsName)).to.deep.equal(['b.example.org']);
    });

    it('says when an accepting Gateway has no addresses, or only addresses of a vendor type', () => {
      const r = route('shop', ['shop.example.org'], [parent({ ...gateway('gw', []), otherAddresses: ['example.com/vip=10'] })]);
      const desired = desiredForRouteRecord(routeRecord('shop'), [online('a', { routeKind: served, routes: [r] })]);
      expect(desired.ready.message).to.contain('a: Gateway infra/gw has no addresses yet (only addresses of types mcdns cannot publish: example.com/vip=10)');
    });
  });

  describe('which names', () => {
    const gw = gateway('gw', [ip('192.0.2.1')]);
    const member = (hostnames: string[]) => online('a', { routeKind: served, routes: [route('shop', hostnames, [parent(gw)])] });

    it('publishes the route\'s hostnames when the record lists no hosts', () => {
      const desired = desiredForRouteRecord(routeRecord('shop'), [member(['www.example.org', 'shop.example.org'])]);
      expect(desired.endpoints.map((e) => e.dnsName)).to.deep.equal(['shop.example.org', 'www.example.org']);
      expect(desired.names).to.deep.equal(['shop.example.org', 'www.example.org']);
    });

    it('publishes spec.hosts ∩ the route\'s hostnames, and HostsDropped names what was left out', () => {
      const desired = desiredForRouteRecord(routeRecord('shop', { hosts: ['shop.example.org', 'other.example.org'] }), [member(['shop.example.org', 'www.example.org'])]);
      expect(desired.endpoints.map((e) => e.dnsName)).to.deep.equal(['shop.example.org']);
      const dropped = desired.conditions.find((c) => c.type === HOSTS_DROPPED);
      expect(dropped).to.include({ status: 'True', reason: 'NotInRoute' });
      expect(dropped?.message).to.contain('other.example.org: in spec.hosts but not in the spec.hostnames of HTTPRoute fed-namespace/shop (a: shop.example.org, www.example.org)');
      expect(desired.names, 'the names claimed are the spec\'s').to.deep.equal(['other.example.org', 'shop.example.org']);
    });

    it('takes a host below a wildcard hostname of the route', () => {
      const desired = desiredForRouteRecord(routeRecord('shop', { hosts: ['eu.shop.example.org'] }), [member(['*.shop.example.org'])]);
      expect(desired.endpoints.map((e) => e.dnsName)).to.deep.equal(['eu.shop.example.org']);
      expect(desired.conditions[0]).to.include({ status: 'False', reason: 'NoneDropped' });
    });

    it('takes every host of a TCPRoute (no hostnames), on every listener it attaches to', () => {
      const tcp = routeRecord('db', { hosts: ['db.example.org'] }, 'TCPRoute');
      const listeners = [{ name: 'tcp', port: 5432, protocol: 'TCP', hostname: 'ignored.example.org' }];
      const r: ObservedRoute = { ...route('db', [], [parent(gateway('gw', [ip('192.0.2.5')], listeners))]), kind: 'TCPRoute' };
      const desired = desiredForRouteRecord(tcp, [online('a', { routeKind: served, routes: [r] })]);
      expect(desired.endpoints).to.deep.equal([{ dnsName: 'db.example.org', targets: ['192.0.2.5'], recordType: 'A', recordTTL: 30 }]);
    });

    it('says to list hosts when the route has none', () => {
      const desired = desiredForRouteRecord(routeRecord('shop'), [member([])]);
      expect(desired.ready.message).to.contain('HTTPRoute fed-namespace/shop lists no spec.hostnames: list the names to publish in spec.hosts');
    });
  });

  describe('health from the backends', () => {
    const gw1 = gateway('gw1', [ip('192.0.2.1')]);
    const gw2 = gateway('gw2', [ip('192.0.2.2')]);
    const backed = (gw: ObservedGateway, ready: number) =>
      route('shop', ['shop.example.org'], [parent(gw)], { backends: ['fed-namespace/web'], backendEndpoints: [{ service: 'fed-namespace/web', ready }] });

    it('drops the addresses of a member whose backends have no ready endpoint', () => {
      const desired = desiredForRouteRecord(routeRecord('shop'), [
        online('m1', { routeKind: served, routes: [backed(gw1, 2)] }),
        online('m2', { routeKind: served, routes: [backed(gw2, 0)] }),
      ]);
      expect(desired.endpoints[0]?.targets).to.deep.equal(['192.0.2.1']);
      expect(desired.ready.message).to.contain('m2: HTTPRoute fed-namespace/shop: backend Service fed-namespace/web has no ready endpoints');
    });

    it('assumes nothing about a backend without EndpointSlices', () => {
      const r = route('shop', ['shop.example.org'], [parent(gw1)], { backends: ['fed-namespace/web'] });
      expect(desiredForRouteRecord(routeRecord('shop'), [online('m1', { routeKind: served, routes: [r] })]).endpoints[0]?.targets).to.deep.equal(['192.0.2.1']);
    });
  });

  describe('probes (spec.healthCheck)', () => {
    it('takes an address failing its probes out, tells the prober what to probe, and keeps the other member', () => {
      const r = (gw: string, address: string) => route('shop', ['shop.example.org'], [parent(gateway(gw, [ip(address)]))]);
      const record = routeRecord('shop', { healthCheck: { protocol: 'tcp', port: 80 } });
      const probes = { target: (a: string) => (a === '192.0.2.2' ? { healthy: false, since: '2026-01-01T00:00:00.000Z', lastError: 'connection refused' } : undefined) };
      const desired = desiredForRouteRecord(record, [online('m1', { routeKind: served, routes: [r('gw1', '192.0.2.1')] }), online('m2', { routeKind: served, routes: [r('gw2', '192.0.2.2')] })], { probes, published: [] });
      expect(desired.endpoints[0]?.targets).to.deep.equal(['192.0.2.1']);
      expect(desired.probeTargets?.map((t) => `${t.cluster} ${t.address} ${t.host ?? ''}`).sort()).to.deep.equal(['m1 192.0.2.1 shop.example.org', 'm2 192.0.2.2 shop.example.org']);
      expect(desired.health?.targets?.find((t) => t.target === '192.0.2.2')).to.include({ healthy: false, published: false, lastError: 'connection refused' });
    });
  });

  describe('members that cannot serve the route', () => {
    it('reports a member whose API server does not serve the route kind, and publishes from the others', () => {
      const gw = gateway('gw', [ip('192.0.2.1')]);
      const desired = desiredForRouteRecord(routeRecord('shop', { hosts: ['shop.example.org'] }), [
        online('ingress-only', { routeKind: { served: false, synced: true, problem: 'serves no HTTPRoute (gateway.networking.k8s.io): Gateway API CRDs not installed' } }),
        online('gateway', { routeKind: served, routes: [route('shop', ['shop.example.org'], [parent(gw)])] }),
      ]);
      expect(desired.ready).to.include({ status: 'True', reason: 'Published' });
      expect(desired.ready.message).to.contain('ingress-only: serves no HTTPRoute (gateway.networking.k8s.io): Gateway API CRDs not installed');
    });

    it('keeps an offline member\'s route in status.dns without addresses, and publishes nothing of it', () => {
      const r = route('shop', ['shop.example.org'], [parent(gateway('gw', [ip('192.0.2.1')]))]);
      const desired = desiredForRouteRecord(routeRecord('shop'), [offline('a', { routeKind: served, routes: [r] })]);
      expect(desired.dns).to.deep.equal([{ cluster: 'a', loadBalancer: {}, gateways: ['infra/gw'] }]);
      expect(desired.endpoints).to.deep.equal([]);
    });
  });
});

describe('Gateway API hostname matching', () => {
  it('covers a name by itself and by a wildcard above it, never the wildcard\'s own suffix', () => {
    expect(hostnameCovers('www.example.org', 'WWW.example.org.')).to.equal(true);
    expect(hostnameCovers('*.example.org', 'a.b.example.org')).to.equal(true);
    expect(hostnameCovers('*.example.org', 'example.org')).to.equal(false);
    expect(hostnameCovers('*.example.org', '*.shop.example.org')).to.equal(true);
    expect(hostnameCovers('www.example.org', '*.example.org'), 'a listener for one name does not serve a whole wildcard').to.equal(false);
  });

  it('lets a listener without a hostname admit any name, and ignores hostnames for TCP and UDP routes', () => {
    expect(listenersAdmit('HTTPRoute', [{ name: 'any' }], 'x.example.org')).to.equal(true);
    expect(listenersAdmit('UDPRoute', [{ name: 'dns', hostname: 'y.example.org' }], 'x.example.org')).to.equal(true);
    expect(listenersAdmit('TLSRoute', [{ name: 'tls', hostname: 'y.example.org' }], 'x.example.org')).to.equal(false);
  });
});
