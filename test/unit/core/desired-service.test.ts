import { expect } from 'chai';
import type { Endpoint } from '../../../src/api/schema.js';
import { desiredForServiceRecord } from '../../../src/core/desired-service.js';
import type { ClusterObservation } from '../../../src/core/observation.js';
import { domainObject, host, ip, lbService, NAMESPACE, offline, online, serviceRecord } from './fixtures.js';

// Names as KubeFed's service_test.go builds them: <service>.<namespace>.<domainRef>.svc[.<zone>][.<region>].<domain>
const PREFIX = `nginx.${NAMESPACE}.galactic.svc`;
const GLOBAL = `${PREFIX}.example.com`;
const regional = (region: string) => `${PREFIX}.${region}.example.com`;
const zonal = (zone: string, region: string) => `${PREFIX}.${zone}.${region}.example.com`;
const DOMAIN = domainObject('example.com');

// A ServiceDNSRecord's names follow its Services' readiness, so without recordTTL they publish
// with the health-checked TTL (30 s; see ttl.test.ts).
const a = (dnsName: string, targets: string[], recordTTL = 30): Endpoint => ({ dnsName, targets, recordType: 'A', recordTTL });
const cname = (dnsName: string, target: string, recordTTL = 30): Endpoint => ({ dnsName, targets: [target], recordType: 'CNAME', recordTTL });

function cluster(
  name: string,
  address: string | undefined,
  location: { region?: string; zones?: string[] } = {},
  service: { readyEndpoints?: number; type?: string } = {},
): ClusterObservation {
  return online(name, {
    ...(location.region === undefined ? {} : { region: location.region }),
    zones: location.zones ?? [],
    services: [lbService('nginx', address === undefined ? [] : [ip(address)], service)],
  });
}

const us = { region: 'us', zones: ['us1'] };
const eu = { region: 'eu', zones: ['eu1'] };

/** Expected endpoints are written top-down (global, regional, zonal); the core publishes them sorted by name, then type. */
function inPublishingOrder(...endpoints: Endpoint[]): Endpoint[] {
  const key = (e: Endpoint) => `${e.dnsName} ${e.recordType}`;
  return [...endpoints].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

function endpointsOf(clusters: ClusterObservation[], spec = {}): Endpoint[] {
  return desiredForServiceRecord(serviceRecord('nginx', spec), DOMAIN, clusters).endpoints;
}

describe('ServiceDNSRecord → endpoints', () => {
  describe('KubeFed\'s zone → region → global scheme', () => {
    it('publishes the global, regional and zonal names of a single cluster', () => {
      expect(endpointsOf([cluster('c1', '192.0.2.1', us)])).to.deep.equal(inPublishingOrder(
        a(GLOBAL, ['192.0.2.1']),
        a(regional('us'), ['192.0.2.1']),
        a(zonal('us1', 'us'), ['192.0.2.1']),
      ));
    });

    it('puts every cluster in the global name and each in its own region and zone', () => {
      expect(endpointsOf([cluster('c1', '192.0.2.1', us), cluster('c2', '192.0.2.2', eu)])).to.deep.equal(inPublishingOrder(
        a(GLOBAL, ['192.0.2.1', '192.0.2.2']),
        a(regional('eu'), ['192.0.2.2']),
        a(zonal('eu1', 'eu'), ['192.0.2.2']),
        a(regional('us'), ['192.0.2.1']),
        a(zonal('us1', 'us'), ['192.0.2.1']),
      ));
    });

    it('turns a region with no load balancer into a CNAME to the global name, and its zone into a CNAME to the region', () => {
      expect(endpointsOf([cluster('c1', '192.0.2.1', us), cluster('c2', undefined, eu)])).to.deep.equal(inPublishingOrder(
        a(GLOBAL, ['192.0.2.1']),
        cname(regional('eu'), GLOBAL),
        cname(zonal('eu1', 'eu'), regional('eu')),
        a(regional('us'), ['192.0.2.1']),
        a(zonal('us1', 'us'), ['192.0.2.1']),
      ));
    });

    it('turns an empty zone into a CNAME to its region when another zone of that region serves', () => {
      const clusters = [
        cluster('c1', '192.0.2.1', { region: 'us', zones: ['us1'] }),
        cluster('c2', '192.0.2.2', { region: 'us', zones: ['us2'] }, { readyEndpoints: 0 }),
      ];
      expect(endpointsOf(clusters)).to.deep.equal(inPublishingOrder(
        a(GLOBAL, ['192.0.2.1']),
        a(regional('us'), ['192.0.2.1']),
        a(zonal('us1', 'us'), ['192.0.2.1']),
        cname(zonal('us2', 'us'), regional('us')),
      ));
    });

    it('merges clusters that share a region and zone into one name each', () => {
      const clusters = [
        cluster('c1', '192.0.2.1', { region: 'us', zones: ['us1', 'us2'] }),
        cluster('c2', '192.0.2.2', { region: 'us', zones: ['us2'] }),
      ];
      expect(endpointsOf(clusters)).to.deep.equal(inPublishingOrder(
        a(GLOBAL, ['192.0.2.1', '192.0.2.2']),
        a(regional('us'), ['192.0.2.1', '192.0.2.2']),
        a(zonal('us1', 'us'), ['192.0.2.1']),
        a(zonal('us2', 'us'), ['192.0.2.1', '192.0.2.2']),
      ));
    });

    it('publishes nothing when no cluster has a load balancer, instead of KubeFed\'s CNAMEs to a missing global name', () => {
      const desired = desiredForServiceRecord(
        serviceRecord('nginx', { dnsPrefix: 'www' }),
        DOMAIN,
        [cluster('c1', undefined, us), cluster('c2', undefined, eu)],
      );
      expect(desired.endpoints).to.deep.equal([]);
      expect(desired.ready.status).to.equal('False');
      expect(desired.ready.reason).to.equal('NoTargets');
    });

    it('lists endpoints sorted by dnsName, then record type', () => {
      const dual = online('c2', { region: 'eu', services: [lbService('nginx', [ip('2001:db8::2'), ip('192.0.2.2')])] });
      const endpoints = endpointsOf([cluster('c1', '192.0.2.1', us), dual], { dnsPrefix: 'www' });
      expect(endpoints.map((e) => `${e.dnsName} ${e.recordType}`)).to.deep.equal([
        `${regional('eu')} A`,
        `${regional('eu')} AAAA`,
        `${GLOBAL} A`,
        `${GLOBAL} AAAA`,
        `${regional('us')} A`,
        `${zonal('us1', 'us')} A`,
        'www.example.com CNAME',
      ]);
    });

    it('puts recordTTL on every endpoint; when it is 0, the health-checked 30 s, or 180 without readiness', () => {
      const clusters = [cluster('c1', '192.0.2.1', us), cluster('c2', undefined, eu)];
      expect(endpointsOf(clusters, { recordTTL: 300 }).map((e) => e.recordTTL)).to.deep.equal([300, 300, 300, 300, 300]);
      expect(endpointsOf(clusters, { recordTTL: 0 }).map((e) => e.recordTTL)).to.deep.equal([30, 30, 30, 30, 30]);
      const withoutReadiness = { recordTTL: 0, allowServiceWithoutEndpoints: true };
      expect(endpointsOf(clusters, withoutReadiness).map((e) => e.recordTTL)).to.deep.equal([180, 180, 180, 180, 180]);
    });
  });

  describe('record options', () => {
    it('adds a CNAME <dnsPrefix>.<domain> to the global name', () => {
      const endpoints = endpointsOf([cluster('c1', '192.0.2.1', us)], { dnsPrefix: 'www' });
      expect(endpoints).to.deep.include(cname('www.example.com', GLOBAL));
      expect(endpoints).to.have.length(4);
    });

    it('names the records after externalName instead of the Service', () => {
      const endpoints = endpointsOf([cluster('c1', '192.0.2.1', us)], { externalName: 'web' });
      expect(endpoints.map((e) => e.dnsName)).to.deep.equal([
        `web.${NAMESPACE}.galactic.svc.example.com`,
        `web.${NAMESPACE}.galactic.svc.us.example.com`,
        `web.${NAMESPACE}.galactic.svc.us1.us.example.com`,
      ]);
    });

    it('leaves out clusters whose Service has no ready endpoints', () => {
      const clusters = [cluster('c1', '192.0.2.1', us), cluster('c2', '192.0.2.2', us, { readyEndpoints: 0 })];
      expect(endpointsOf(clusters)[0]).to.deep.equal(a(GLOBAL, ['192.0.2.1']));
    });

    it('publishes them anyway with allowServiceWithoutEndpoints (not readiness-driven, so KubeFed\'s 180 s TTL)', () => {
      const clusters = [cluster('c1', '192.0.2.1', us), cluster('c2', '192.0.2.2', us, { readyEndpoints: 0 })];
      expect(endpointsOf(clusters, { allowServiceWithoutEndpoints: true })[0]).to.deep.equal(a(GLOBAL, ['192.0.2.1', '192.0.2.2'], 180));
    });

    it('takes the domain from the Domain object, lower-cased, without trailing dot, into status.domain', () => {
      const desired = desiredForServiceRecord(serviceRecord('nginx'), domainObject('Example.COM.'), [cluster('c1', '192.0.2.1')]);
      expect(desired.domain).to.equal('example.com');
      expect(desired.endpoints).to.deep.equal([a(GLOBAL, ['192.0.2.1'])]);
    });
  });

  describe('clusters without region or zone (KubeFed #1285 failed the whole record)', () => {
    it('keeps a cluster without region in the global name only, and says so', () => {
      const desired = desiredForServiceRecord(serviceRecord('nginx'), DOMAIN, [cluster('c1', '192.0.2.1', us), cluster('bare', '192.0.2.9')]);
      expect(desired.endpoints).to.deep.equal(inPublishingOrder(
        a(GLOBAL, ['192.0.2.1', '192.0.2.9']),
        a(regional('us'), ['192.0.2.1']),
        a(zonal('us1', 'us'), ['192.0.2.1']),
      ));
      expect(desired.ready.status).to.equal('True');
      expect(desired.ready.message).to.equal(
        'published 3 names, 2 targets from clusters bare, c1; bare: no region, so no regional or zonal name (still in the global name)',
      );
    });

    it('gives a cluster with a region but no zones the regional and global names', () => {
      const desired = desiredForServiceRecord(serviceRecord('nginx'), DOMAIN, [cluster('c1', '192.0.2.1', { region: 'eu' })]);
      expect(desired.endpoints).to.deep.equal(inPublishingOrder(a(GLOBAL, ['192.0.2.1']), a(regional('eu'), ['192.0.2.1'])));
      expect(desired.ready.message).to.include('c1: no zone, so no zonal name (still in the regional and global names)');
    });

    it('gives no zonal names to a cluster with zones but no region', () => {
      const desired = desiredForServiceRecord(serviceRecord('nginx'), DOMAIN, [cluster('c1', '192.0.2.1', { zones: ['z1'] })]);
      expect(desired.endpoints).to.deep.equal([a(GLOBAL, ['192.0.2.1'])]);
      expect(desired.ready.message).to.include('c1: no region');
    });

    it('skips a region or zone that cannot be a DNS label, and says so', () => {
      const desired = desiredForServiceRecord(serviceRecord('nginx'), DOMAIN, [
        cluster('c1', '192.0.2.1', { region: 'EU', zones: ['eu_1', 'eu-2'] }),
        cluster('c2', '192.0.2.2', { region: 'north america' }),
      ]);
      expect(desired.endpoints.map((e) => e.dnsName)).to.deep.equal([zonal('eu-2', 'eu'), regional('eu'), GLOBAL]);
      expect(desired.ready.message).to.include('c1: zone "eu_1" is not a DNS label, so no zonal name for it');
      expect(desired.ready.message).to.include('c2: region "north america" is not a DNS label');
    });
  });

  describe('offline clusters and status.dns', () => {
    const clusters = [
      cluster('c1', '192.0.2.1', us),
      offline('c2', {
        region: 'eu',
        zones: ['eu1'],
        stateSince: '2024-05-01T10:00:00Z',
        stateMessage: 'i/o timeout',
        services: [lbService('nginx', [ip('192.0.2.2')])],
      }),
      online('c3', { region: 'ap', zones: ['ap1'] }),
    ];
    const desired = desiredForServiceRecord(serviceRecord('nginx'), DOMAIN, clusters);

    it('leaves an offline cluster\'s targets out, and CNAMEs its region and zone up so its users still resolve', () => {
      expect(desired.endpoints).to.deep.equal(inPublishingOrder(
        a(GLOBAL, ['192.0.2.1']),
        cname(regional('eu'), GLOBAL),
        cname(zonal('eu1', 'eu'), regional('eu')),
        a(regional('us'), ['192.0.2.1']),
        a(zonal('us1', 'us'), ['192.0.2.1']),
      ));
    });

    it('makes no names for the region of a cluster that lacks the Service', () => {
      expect(desired.endpoints.map((e) => e.dnsName)).not.to.include(regional('ap'));
    });

    it('lists each cluster having the Service in status.dns, in KubeFed\'s ClusterDNS shape, sorted by cluster', () => {
      expect(desired.dns).to.deep.equal([
        { cluster: 'c1', loadBalancer: { ingress: [{ ip: '192.0.2.1' }] }, zones: ['us1'], region: 'us' },
        { cluster: 'c2', loadBalancer: {}, zones: ['eu1'], region: 'eu' },
      ]);
    });

    it('says why the other clusters are not published', () => {
      expect(desired.ready.message).to.equal(
        'published 5 names, 1 target from cluster c1; c2: offline since 2024-05-01T10:00:00Z: i/o timeout; c3: no Service fed-namespace/nginx',
      );
    });
  });

  describe('address families and hostnames', () => {
    it('publishes AAAA records at every level for IPv6 load balancers', () => {
      const endpoints = endpointsOf([cluster('c1', '2001:DB8::1', us)]);
      expect(endpoints.map((e) => [e.dnsName, e.recordType, e.targets])).to.deep.equal([
        [GLOBAL, 'AAAA', ['2001:db8::1']],
        [regional('us'), 'AAAA', ['2001:db8::1']],
        [zonal('us1', 'us'), 'AAAA', ['2001:db8::1']],
      ]);
    });

    it('publishes A and AAAA side by side for dual-stack load balancers, A first', () => {
      const dual = online('c1', { services: [lbService('nginx', [ip('2001:db8::1'), ip('192.0.2.1')])] });
      expect(endpointsOf([dual]).map((e) => e.recordType)).to.deep.equal(['A', 'AAAA']);
    });

    it('CNAMEs a region to its load-balancer hostname while the global name keeps only the IPs', () => {
      const clusters = [
        online('aws', { region: 'us', services: [lbService('nginx', [host('a9.elb.example.com')])] }),
        cluster('onprem', '192.0.2.1', { region: 'eu' }),
      ];
      const desired = desiredForServiceRecord(serviceRecord('nginx'), DOMAIN, clusters);
      expect(desired.endpoints).to.deep.equal(inPublishingOrder(
        a(GLOBAL, ['192.0.2.1']),
        a(regional('eu'), ['192.0.2.1']),
        cname(regional('us'), 'a9.elb.example.com'),
      ));
      expect(desired.ready.message).to.include(`${GLOBAL}: load-balancer hostnames of cluster aws left out`);
    });
  });

  describe('why is my DNSEndpoint empty?', () => {
    it('explains each cluster\'s reason in one message', () => {
      const clusters = [
        online('cluster-a'),
        cluster('cluster-b', undefined),
        cluster('cluster-c', '192.0.2.3', {}, { type: 'ClusterIP' }),
        cluster('cluster-d', '192.0.2.4', {}, { readyEndpoints: 0 }),
        offline('cluster-e', { stateSince: '2024-05-01T10:00:00Z', stateMessage: 'connection refused' }),
      ];
      const desired = desiredForServiceRecord(serviceRecord('nginx'), DOMAIN, clusters);
      expect(desired.endpoints).to.deep.equal([]);
      expect(desired.ready).to.deep.equal({
        status: 'False',
        reason: 'NoTargets',
        message:
          'no targets to publish; cluster-a: no Service fed-namespace/nginx; ' +
          'cluster-b: Service fed-namespace/nginx has no load-balancer address yet; ' +
          'cluster-c: Service fed-namespace/nginx is type ClusterIP, not LoadBalancer; ' +
          'cluster-d: Service fed-namespace/nginx has no ready endpoints (set allowServiceWithoutEndpoints to publish anyway); ' +
          'cluster-e: offline since 2024-05-01T10:00:00Z: connection refused; ' +
          'cluster-b: no region, so no regional or zonal name (still in the global name); ' +
          'cluster-c: no region, so no regional or zonal name (still in the global name); ' +
          'cluster-d: no region, so no regional or zonal name (still in the global name)',
      });
    });

    it('still reports status.dns for clusters that have the Service', () => {
      const desired = desiredForServiceRecord(serviceRecord('nginx'), DOMAIN, [cluster('c1', undefined, us)]);
      expect(desired.dns).to.deep.equal([{ cluster: 'c1', loadBalancer: {}, zones: ['us1'], region: 'us' }]);
      expect(desired.domain).to.equal('example.com');
    });

    it('says so when there are no member clusters at all', () => {
      const desired = desiredForServiceRecord(serviceRecord('nginx'), DOMAIN, []);
      expect(desired.ready).to.deep.equal({
        status: 'False',
        reason: 'NoTargets',
        message: 'no targets to publish: no member clusters are registered',
      });
    });

    it('is not Ready with reason NameTooLong when even the global name exceeds 253 characters', () => {
      const namespace = 'n'.repeat(63);
      const record = serviceRecord('s'.repeat(63), {}, namespace);
      const c1 = online('c1', { services: [lbService('s'.repeat(63), [ip('192.0.2.1')], { namespace })] });
      const longDomain = `${'d'.repeat(60)}.${'e'.repeat(60)}.example.com`;
      const desired = desiredForServiceRecord(record, domainObject(longDomain), [c1]);
      expect(desired.endpoints).to.deep.equal([]);
      expect(desired.ready.reason).to.equal('NameTooLong');
      expect(desired.dns).to.have.length(1);
    });

    it('leaves out regional or zonal names longer than DNS allows, and says so', () => {
      const longNamespace = 'n'.repeat(63);
      const record = serviceRecord('nginx', {}, longNamespace);
      const long = online('c1', {
        region: 'r'.repeat(63),
        zones: ['z'.repeat(63)],
        services: [lbService('nginx', [ip('192.0.2.1')], { namespace: longNamespace })],
      });
      const desired = desiredForServiceRecord(record, domainObject('d'.repeat(60) + '.example.com'), [long]);
      expect(desired.endpoints.every((e) => e.dnsName.length <= 253)).to.equal(true);
      expect(desired.ready.message).to.include('longer than DNS allows');
    });
  });
});
