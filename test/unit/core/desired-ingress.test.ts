import { expect } from 'chai';
import { desiredForIngressRecord } from '../../../src/core/desired-ingress.js';
import { host, ingress, ingressRecord, ip, NAMESPACE, offline, online } from './fixtures.js';

// The seed's walkthrough ("Create IngressDNSRecord"): the FederatedIngress template renames the
// Ingress to helloworld-ingress, the record is fed-helloworld-ingress, hosts helloworld.<domain>.
const SEED_HOST = 'helloworld.example.org';
const seedRecord = () => ingressRecord('fed-helloworld-ingress', [SEED_HOST], 300);
const seedIngress = (address: string) => ingress('helloworld-ingress', [SEED_HOST], [ip(address)]);

describe('IngressDNSRecord → endpoints', () => {
  describe('the seed walkthrough, two member clusters', () => {
    const clusters = [
      online('member-cluster-2', { ingresses: [seedIngress('127.0.0.12')] }),
      online('member-cluster-1', { ingresses: [seedIngress('127.0.0.11')] }),
    ];
    const desired = desiredForIngressRecord(seedRecord(), clusters);

    it('publishes one A record for helloworld.<domain> with both clusters\' addresses and TTL 300', () => {
      expect(desired.endpoints).to.deep.equal([
        { dnsName: SEED_HOST, targets: ['127.0.0.11', '127.0.0.12'], recordType: 'A', recordTTL: 300 },
      ]);
    });

    it('reports each cluster\'s load balancer in status.dns, sorted by cluster', () => {
      expect(desired.dns).to.deep.equal([
        { cluster: 'member-cluster-1', loadBalancer: { ingress: [{ ip: '127.0.0.11' }] } },
        { cluster: 'member-cluster-2', loadBalancer: { ingress: [{ ip: '127.0.0.12' }] } },
      ]);
    });

    it('is Ready with a one-line summary', () => {
      expect(desired.ready).to.deep.equal({
        status: 'True',
        reason: 'Published',
        message: 'published 1 name, 2 targets from clusters member-cluster-1, member-cluster-2',
      });
    });
  });

  describe('which Ingress a record means', () => {
    it('uses the Ingress with the record\'s name and namespace (KubeFed\'s rule), whatever hosts it lists', () => {
      const record = ingressRecord('shop', ['shop.example.org']);
      const desired = desiredForIngressRecord(record, [online('a', { ingresses: [ingress('shop', [], [ip('192.0.2.1')])] })]);
      expect(desired.endpoints.map((e) => e.targets)).to.deep.equal([['192.0.2.1']]);
    });

    it('prefers the same-named Ingress over others that share a host', () => {
      const record = ingressRecord('shop', ['shop.example.org']);
      const cluster = online('a', {
        ingresses: [ingress('other', ['shop.example.org'], [ip('192.0.2.9')]), ingress('shop', ['shop.example.org'], [ip('192.0.2.1')])],
      });
      expect(desiredForIngressRecord(record, [cluster]).endpoints[0]?.targets).to.deep.equal(['192.0.2.1']);
    });

    it('falls back to Ingresses of the same namespace whose hosts match, case-insensitively', () => {
      const record = ingressRecord('fed-shop', ['Shop.Example.org']);
      const cluster = online('a', { ingresses: [ingress('shop-ingress', ['shop.example.ORG'], [ip('192.0.2.1')])] });
      expect(desiredForIngressRecord(record, [cluster]).endpoints).to.deep.equal([
        { dnsName: 'shop.example.org', targets: ['192.0.2.1'], recordType: 'A', recordTTL: 180 },
      ]);
    });

    it('ignores Ingresses in other namespaces even when their hosts match', () => {
      const record = ingressRecord('fed-shop', ['shop.example.org']);
      const cluster = online('a', { ingresses: [ingress('shop', ['shop.example.org'], [ip('192.0.2.1')], 'elsewhere')] });
      const desired = desiredForIngressRecord(record, [cluster]);
      expect(desired.endpoints).to.deep.equal([]);
      expect(desired.dns).to.deep.equal([]);
    });

    it('lets a host-matched Ingress serve only the hosts it lists', () => {
      const record = ingressRecord('fed-site', ['a.example.org', 'b.example.org']);
      const cluster = online('c1', {
        ingresses: [ingress('site-a', ['a.example.org'], [ip('192.0.2.1')]), ingress('site-b', ['b.example.org'], [ip('192.0.2.2')])],
      });
      const desired = desiredForIngressRecord(record, [cluster]);
      expect(desired.endpoints.map((e) => [e.dnsName, e.targets])).to.deep.equal([
        ['a.example.org', ['192.0.2.1']],
        ['b.example.org', ['192.0.2.2']],
      ]);
      expect(desired.dns).to.deep.equal([{ cluster: 'c1', loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { ip: '192.0.2.2' }] } }]);
    });
  });

  describe('names and targets', () => {
    it('publishes one name per host, lower-cased and de-duplicated, each with every cluster\'s targets', () => {
      const record = ingressRecord('web', ['www.example.org', 'WWW.example.org', 'api.example.org']);
      const clusters = [
        online('a', { ingresses: [ingress('web', [], [ip('192.0.2.1')])] }),
        online('b', { ingresses: [ingress('web', [], [ip('192.0.2.2'), ip('192.0.2.1')])] }),
      ];
      const desired = desiredForIngressRecord(record, clusters);
      expect(desired.endpoints.map((e) => [e.dnsName, e.targets])).to.deep.equal([
        ['api.example.org', ['192.0.2.1', '192.0.2.2']],
        ['www.example.org', ['192.0.2.1', '192.0.2.2']],
      ]);
      expect(desired.ready.message).to.equal('published 2 names, 2 targets from clusters a, b');
    });

    it('uses TTL 180 when recordTTL is absent or 0, and recordTTL otherwise', () => {
      const clusters = [online('a', { ingresses: [ingress('web', [], [ip('192.0.2.1')])] })];
      expect(desiredForIngressRecord(ingressRecord('web', ['w.example.org']), clusters).endpoints[0]?.recordTTL).to.equal(180);
      expect(desiredForIngressRecord(ingressRecord('web', ['w.example.org'], 0), clusters).endpoints[0]?.recordTTL).to.equal(180);
      expect(desiredForIngressRecord(ingressRecord('web', ['w.example.org'], 30), clusters).endpoints[0]?.recordTTL).to.equal(30);
    });

    it('publishes A and AAAA records for dual-stack Ingresses', () => {
      const clusters = [
        online('a', { ingresses: [ingress('web', [], [ip('192.0.2.1'), ip('2001:db8::1')])] }),
        online('b', { ingresses: [ingress('web', [], [ip('2001:DB8:0::2')])] }),
      ];
      const desired = desiredForIngressRecord(ingressRecord('web', ['w.example.org']), clusters);
      expect(desired.endpoints).to.deep.equal([
        { dnsName: 'w.example.org', targets: ['192.0.2.1'], recordType: 'A', recordTTL: 180 },
        { dnsName: 'w.example.org', targets: ['2001:db8::1', '2001:db8::2'], recordType: 'AAAA', recordTTL: 180 },
      ]);
    });

    it('publishes a CNAME to a cloud load balancer that reports a hostname', () => {
      const clusters = [online('aws', { ingresses: [ingress('web', [], [host('k8s-web.elb.example.com')])] })];
      const desired = desiredForIngressRecord(ingressRecord('web', ['w.example.org']), clusters);
      expect(desired.endpoints).to.deep.equal([
        { dnsName: 'w.example.org', targets: ['k8s-web.elb.example.com'], recordType: 'CNAME', recordTTL: 180 },
      ]);
      expect(desired.ready.status).to.equal('True');
    });

    it('publishes only the IPs when one cluster has a hostname and another an IP, and says which was left out', () => {
      const clusters = [
        online('aws', { ingresses: [ingress('web', [], [host('k8s-web.elb.example.com')])] }),
        online('onprem', { ingresses: [ingress('web', [], [ip('192.0.2.1')])] }),
      ];
      const desired = desiredForIngressRecord(ingressRecord('web', ['w.example.org']), clusters);
      expect(desired.endpoints.map((e) => e.recordType)).to.deep.equal(['A']);
      expect(desired.ready.message).to.equal(
        'published 1 name, 1 target from cluster onprem; w.example.org: load-balancer hostnames of cluster aws left out (a name cannot hold both A/AAAA and CNAME records)',
      );
    });

    it('gives the same result whatever order the clusters come in', () => {
      const clusters = [
        online('c', { ingresses: [ingress('web', [], [ip('192.0.2.3')])] }),
        offline('a', { ingresses: [ingress('web', [], [ip('192.0.2.1')])] }),
        online('b', { ingresses: [ingress('web', [], [ip('192.0.2.2')])] }),
      ];
      const record = ingressRecord('web', ['w.example.org', 'v.example.org']);
      expect(desiredForIngressRecord(record, [...clusters].reverse())).to.deep.equal(desiredForIngressRecord(record, clusters));
    });
  });

  describe('clusters that are not online', () => {
    const clusters = [
      online('a', { ingresses: [ingress('web', [], [ip('192.0.2.1')])] }),
      offline('b', {
        stateSince: '2024-05-01T10:00:00Z',
        stateMessage: 'dial tcp 192.0.2.100:6443:\nconnection refused',
        ingresses: [ingress('web', [], [ip('192.0.2.2')])],
      }),
      online('c', { state: 'unknown', ingresses: [ingress('web', [], [ip('192.0.2.3')])] }),
    ];
    const desired = desiredForIngressRecord(ingressRecord('web', ['w.example.org']), clusters);

    it('leaves out the targets of offline and not-yet-synced clusters', () => {
      expect(desired.endpoints[0]?.targets).to.deep.equal(['192.0.2.1']);
    });

    it('lists them in status.dns with an empty load balancer', () => {
      expect(desired.dns).to.deep.equal([
        { cluster: 'a', loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
        { cluster: 'b', loadBalancer: {} },
        { cluster: 'c', loadBalancer: {} },
      ]);
    });

    it('says in the Ready message since when and why, on one line', () => {
      expect(desired.ready.message).to.equal(
        'published 1 name, 1 target from cluster a; ' +
          'b: offline since 2024-05-01T10:00:00Z: dial tcp 192.0.2.100:6443: connection refused; ' +
          'c: not synced yet (state unknown)',
      );
    });
  });

  describe('why is my DNSEndpoint empty?', () => {
    it('explains each cluster\'s reason in one message', () => {
      const record = ingressRecord('foo', ['x.example.org']);
      const clusters = [
        online('cluster-a'),
        online('cluster-b', { ingresses: [ingress('foo', ['x.example.org'], [])] }),
        offline('cluster-c', { stateSince: '2024-05-01T10:00:00Z', stateMessage: 'connection refused' }),
      ];
      const desired = desiredForIngressRecord(record, clusters);
      expect(desired.endpoints).to.deep.equal([]);
      expect(desired.ready).to.deep.equal({
        status: 'False',
        reason: 'NoTargets',
        message:
          `no targets to publish; cluster-a: no Ingress ${NAMESPACE}/foo (nor any in ${NAMESPACE} with host x.example.org); ` +
          `cluster-b: Ingress ${NAMESPACE}/foo has no load-balancer address yet; ` +
          'cluster-c: offline since 2024-05-01T10:00:00Z: connection refused',
      });
    });

    it('says so when there are no member clusters at all', () => {
      const desired = desiredForIngressRecord(seedRecord(), []);
      expect(desired).to.deep.equal({
        endpoints: [],
        dns: [],
        ready: { status: 'False', reason: 'NoTargets', message: 'no targets to publish: no member clusters are registered' },
      });
    });

    it('is not Ready with reason NoHosts when spec.hosts is missing or empty', () => {
      const clusters = [online('a', { ingresses: [ingress('web', [], [ip('192.0.2.1')])] })];
      for (const hosts of [undefined, []]) {
        const desired = desiredForIngressRecord(ingressRecord('web', hosts), clusters);
        expect(desired.endpoints).to.deep.equal([]);
        expect(desired.ready.status).to.equal('False');
        expect(desired.ready.reason).to.equal('NoHosts');
      }
    });

    it('names a host that no matched Ingress serves while others are published', () => {
      const record = ingressRecord('fed-site', ['a.example.org', 'b.example.org']);
      const clusters = [online('c1', { ingresses: [ingress('site-a', ['a.example.org'], [ip('192.0.2.1')])] })];
      const desired = desiredForIngressRecord(record, clusters);
      expect(desired.ready.status).to.equal('True');
      expect(desired.ready.message).to.equal(
        'published 1 name, 1 target from cluster c1; b.example.org: no targets (no Ingress in an online cluster serves this host)',
      );
    });

    it('keeps the message under about 1000 characters with many clusters', () => {
      const clusters = Array.from({ length: 200 }, (_, i) => online(`member-cluster-${String(i).padStart(3, '0')}`));
      const message = desiredForIngressRecord(seedRecord(), clusters).ready.message;
      expect(message.length).to.be.at.most(1000);
      expect(message).to.match(/; …and \d+ more$/);
      expect(message).not.to.include('\n');
    });
  });
});
