import { expect } from 'chai';
import {
  canonicalIPv6,
  classifyTarget,
  endpointsForName,
  sortEndpoints,
  sortTargets,
  type LoadBalancerAddress,
} from '../../../src/core/targets.js';

const NAME = 'www.example.org';

function at(cluster: string, value: string, field: 'ip' | 'hostname' = 'ip'): LoadBalancerAddress {
  return { cluster, [field]: value };
}

describe('load-balancer addresses to the endpoints of one name', () => {
  describe('IP addresses', () => {
    it('publishes the IPv4 addresses of all clusters as one A endpoint', () => {
      const result = endpointsForName(NAME, [at('a', '127.0.0.11'), at('b', '127.0.0.12')], 180);
      expect(result.endpoints).to.deep.equal([
        { dnsName: NAME, targets: ['127.0.0.11', '127.0.0.12'], recordType: 'A', recordTTL: 180 },
      ]);
      expect(result.notes).to.deep.equal([]);
      expect(result.sources).to.deep.equal(['a', 'b']);
    });

    it('publishes IPv6 addresses as one AAAA endpoint in canonical lower-case compressed form', () => {
      const result = endpointsForName(NAME, [at('a', '2001:DB8:0:0:0:0:0:1'), at('b', '2001:0db8::0002')], 60);
      expect(result.endpoints).to.deep.equal([
        { dnsName: NAME, targets: ['2001:db8::1', '2001:db8::2'], recordType: 'AAAA', recordTTL: 60 },
      ]);
    });

    it('publishes both an A and an AAAA endpoint for dual-stack load balancers', () => {
      const result = endpointsForName(NAME, [{ cluster: 'a', ip: '192.0.2.1' }, at('a', '2001:db8::1'), at('b', '192.0.2.2')], 180);
      expect(result.endpoints.map((e) => [e.recordType, e.targets])).to.deep.equal([
        ['A', ['192.0.2.1', '192.0.2.2']],
        ['AAAA', ['2001:db8::1']],
      ]);
      expect(result.sources).to.deep.equal(['a', 'b']);
    });

    it('sorts IPv4 targets numerically, so 192.0.2.9 comes before 192.0.2.10', () => {
      const result = endpointsForName(NAME, [at('a', '192.0.2.10'), at('b', '192.0.2.9'), at('c', '10.0.0.1')], 180);
      expect(result.endpoints[0]?.targets).to.deep.equal(['10.0.0.1', '192.0.2.9', '192.0.2.10']);
    });

    it('sorts IPv6 targets numerically', () => {
      const result = endpointsForName(NAME, [at('a', '2001:db8::10'), at('b', '2001:db8::9'), at('c', '::1')], 180);
      expect(result.endpoints[0]?.targets).to.deep.equal(['::1', '2001:db8::9', '2001:db8::10']);
    });

    it('lists an address reported by several clusters once', () => {
      const result = endpointsForName(NAME, [at('a', '192.0.2.1'), at('b', '192.0.2.1'), at('b', '2001:db8::1'), at('c', '2001:DB8::1')], 180);
      expect(result.endpoints.map((e) => e.targets)).to.deep.equal([['192.0.2.1'], ['2001:db8::1']]);
    });

    it('treats an IP reported in the hostname field as an IP, not a CNAME target', () => {
      const result = endpointsForName(NAME, [at('a', '192.0.2.7', 'hostname')], 180);
      expect(result.endpoints).to.deep.equal([{ dnsName: NAME, targets: ['192.0.2.7'], recordType: 'A', recordTTL: 180 }]);
    });

    it('uses both fields when one load-balancer entry carries an IP and a hostname', () => {
      const result = endpointsForName(NAME, [{ cluster: 'a', ip: '192.0.2.1', hostname: 'lb.example.com' }], 180);
      expect(result.endpoints.map((e) => e.recordType)).to.deep.equal(['A']);
      expect(result.notes).to.have.length(1);
    });
  });

  describe('hostnames', () => {
    it('publishes a CNAME when all clusters report the same single hostname and no IPs', () => {
      const result = endpointsForName(NAME, [at('a', 'lb-1.example.com', 'hostname'), at('b', 'LB-1.example.com.', 'hostname')], 180);
      expect(result.endpoints).to.deep.equal([
        { dnsName: NAME, targets: ['lb-1.example.com'], recordType: 'CNAME', recordTTL: 180 },
      ]);
      expect(result.notes).to.deep.equal([]);
      expect(result.sources).to.deep.equal(['a', 'b']);
    });

    it('publishes a hostname as given, without resolving it (KubeFed #834 failed records on lookups)', () => {
      const result = endpointsForName(NAME, [at('a', 'does-not-resolve.invalid', 'hostname')], 180);
      expect(result.endpoints[0]).to.include({ recordType: 'CNAME' });
      expect(result.endpoints[0]?.targets).to.deep.equal(['does-not-resolve.invalid']);
    });

    it('publishes only the IPs when IPs and hostnames are mixed, and names the clusters left out', () => {
      const result = endpointsForName(
        NAME,
        [at('aws-b', 'lb-b.example.com', 'hostname'), at('onprem', '192.0.2.1'), at('aws-a', 'lb-a.example.com', 'hostname')],
        180,
      );
      expect(result.endpoints).to.deep.equal([{ dnsName: NAME, targets: ['192.0.2.1'], recordType: 'A', recordTTL: 180 }]);
      expect(result.sources).to.deep.equal(['onprem']);
      expect(result.notes).to.deep.equal([
        'www.example.org: load-balancer hostnames of clusters aws-a, aws-b left out (a name cannot hold both A/AAAA and CNAME records)',
      ]);
    });

    it('with several hostnames and no IPs, CNAMEs to the first by cluster name then hostname and notes the rest', () => {
      const result = endpointsForName(
        NAME,
        [
          at('c-west', 'west.lb.example.com', 'hostname'),
          at('b-east', 'z-east.lb.example.com', 'hostname'),
          at('b-east', 'a-east.lb.example.com', 'hostname'),
          at('d-copy', 'a-east.lb.example.com', 'hostname'),
        ],
        180,
      );
      expect(result.endpoints).to.deep.equal([
        { dnsName: NAME, targets: ['a-east.lb.example.com'], recordType: 'CNAME', recordTTL: 180 },
      ]);
      expect(result.sources).to.deep.equal(['b-east', 'd-copy']);
      expect(result.notes).to.deep.equal([
        'www.example.org: CNAME to a-east.lb.example.com (clusters b-east, d-copy); hostnames of clusters b-east, c-west not published (a CNAME holds one target)',
      ]);
    });
  });

  describe('edge cases', () => {
    it('publishes no endpoint when there are no addresses', () => {
      expect(endpointsForName(NAME, [], 180)).to.deep.equal({ endpoints: [], notes: [], sources: [] });
    });

    it('ignores unusable addresses and says so', () => {
      const result = endpointsForName(NAME, [at('a', '10.0.0'), at('b', 'fe80::1%eth0'), at('c', 'not a host', 'hostname'), at('d', '')], 180);
      expect(result.endpoints).to.deep.equal([]);
      expect(result.notes).to.deep.equal([
        'a: ignored unusable load-balancer address "10.0.0"',
        'b: ignored unusable load-balancer address "fe80::1%eth0"',
        'c: ignored unusable load-balancer address "not a host"',
      ]);
    });

    it('adds no trailing dot to the name and removes one that is given', () => {
      const result = endpointsForName('WWW.Example.ORG.', [at('a', '192.0.2.1')], 180);
      expect(result.endpoints[0]?.dnsName).to.equal('www.example.org');
    });

    it('puts the given TTL on every endpoint', () => {
      const result = endpointsForName(NAME, [at('a', '192.0.2.1'), at('a', '2001:db8::1')], 3600);
      expect(result.endpoints.map((e) => e.recordTTL)).to.deep.equal([3600, 3600]);
    });
  });
});

describe('classifying a load-balancer address', () => {
  it('recognises IPv4, IPv6 and hostnames', () => {
    expect(classifyTarget('192.0.2.1')).to.deep.equal({ recordType: 'A', target: '192.0.2.1' });
    expect(classifyTarget('2001:DB8::A')).to.deep.equal({ recordType: 'AAAA', target: '2001:db8::a' });
    expect(classifyTarget('Elb-1.Example.COM.')).to.deep.equal({ recordType: 'CNAME', target: 'elb-1.example.com' });
  });

  it('rejects numbers that look like IPs but are not, instead of publishing them as CNAME targets', () => {
    expect(classifyTarget('010.0.0.1')).to.equal(undefined);
    expect(classifyTarget('192.0.2')).to.equal(undefined);
  });

  it('writes IPv6 in RFC 5952 form, IPv4-mapped addresses in dotted form', () => {
    expect(canonicalIPv6('2001:0DB8:0000:0000:0001:0000:0000:0001')).to.equal('2001:db8::1:0:0:1');
    expect(canonicalIPv6('::FFFF:C000:0201')).to.equal('::ffff:192.0.2.1');
    expect(canonicalIPv6('fe80::1%eth0')).to.equal(undefined);
  });
});

describe('ordering', () => {
  it('sorts and de-duplicates targets by record type', () => {
    expect(sortTargets('A', ['192.0.2.20', '192.0.2.3', '192.0.2.20'])).to.deep.equal(['192.0.2.3', '192.0.2.20']);
    expect(sortTargets('AAAA', ['::ffff:192.0.2.1', '2001:db8::1', '::1'])).to.deep.equal(['::1', '::ffff:192.0.2.1', '2001:db8::1']);
    expect(sortTargets('CNAME', ['b.example.com', 'a.example.com'])).to.deep.equal(['a.example.com', 'b.example.com']);
  });

  it('sorts endpoints by name, then record type', () => {
    const e = (dnsName: string, recordType: string) => ({ dnsName, recordType, targets: [] });
    const sorted = sortEndpoints([e('b.example.org', 'A'), e('a.example.org', 'AAAA'), e('a.example.org', 'A')]);
    expect(sorted.map((x) => `${x.dnsName} ${x.recordType}`)).to.deep.equal(['a.example.org A', 'a.example.org AAAA', 'b.example.org A']);
  });
});
