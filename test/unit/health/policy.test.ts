// The probe policy: which addresses and ports the controller may probe.
import { expect } from 'chai';
import { ProbePolicy, parseCidr, parsePortRange } from '../../../src/health/policy.js';

describe('probe policy', () => {
  const defaults = new ProbePolicy();

  it('refuses by default loopback, link-local (cloud metadata included), unspecified, multicast and broadcast addresses', () => {
    expect(defaults.refusesAddress('127.0.0.1')).to.equal('loopback address');
    expect(defaults.refusesAddress('127.9.9.9')).to.equal('loopback address');
    expect(defaults.refusesAddress('::1')).to.equal('loopback address');
    expect(defaults.refusesAddress('169.254.169.254')).to.equal('link-local address');
    expect(defaults.refusesAddress('fe80::1')).to.equal('link-local address');
    expect(defaults.refusesAddress('0.0.0.0')).to.equal('unspecified address');
    expect(defaults.refusesAddress('::')).to.equal('unspecified address');
    expect(defaults.refusesAddress('224.0.0.251')).to.equal('multicast address');
    expect(defaults.refusesAddress('ff02::fb')).to.equal('multicast address');
    expect(defaults.refusesAddress('255.255.255.255')).to.equal('broadcast address');
  });

  it('refuses the cloud metadata endpoints outside link-local: AWS over IPv6 and Alibaba Cloud', () => {
    expect(defaults.refusesAddress('fd00:ec2::254')).to.equal('cloud metadata address');
    expect(defaults.refusesAddress('FD00:EC2:0:0:0:0:0:254')).to.equal('cloud metadata address');
    expect(defaults.refusesAddress('100.100.100.200')).to.equal('cloud metadata address');
    expect(defaults.refuses('100.100.100.200', 80)).to.equal('probe refused: cloud metadata address');
    // Their neighbours are ordinary addresses (100.64.0.0/10 holds load balancers in some clouds).
    expect(defaults.refusesAddress('100.100.100.201')).to.equal(undefined);
    expect(defaults.refusesAddress('fd00:ec2::253')).to.equal(undefined);
  });

  it('sees through IPv4-mapped IPv6 addresses', () => {
    expect(defaults.refusesAddress('::ffff:127.0.0.1')).to.equal('loopback address');
  });

  it('lets through ordinary addresses and every port by default', () => {
    expect(defaults.refuses('192.0.2.10', 443)).to.equal(undefined);
    expect(defaults.refuses('2001:db8::10', 8443)).to.equal(undefined);
    expect(defaults.refuses('10.1.2.3', 1)).to.equal(undefined);
  });

  it('lifts a built-in refusal for an allowed network, and only for it', () => {
    const policy = new ProbePolicy({ allowCidrs: ['127.0.0.0/8'] });
    expect(policy.refusesAddress('127.0.0.11')).to.equal(undefined);
    expect(policy.refusesAddress('::1')).to.equal('loopback address');
    expect(policy.refusesAddress('169.254.169.254')).to.equal('link-local address');
  });

  it('refuses the networks an admin denies (pod and service networks), without saying which', () => {
    const policy = new ProbePolicy({ denyCidrs: ['10.244.0.0/16', '10.96.0.0/12'] });
    expect(policy.refuses('10.244.3.7', 80)).to.equal('probe refused: network refused by the probe policy');
    expect(policy.refuses('10.96.0.1', 443)).to.equal('probe refused: network refused by the probe policy');
    expect(policy.refuses('10.250.0.1', 443)).to.equal(undefined);
  });

  it('lets the most specific rule decide, and an admin deny beat an admin allow of the same network', () => {
    const allowList = new ProbePolicy({ denyCidrs: ['0.0.0.0/0', '::/0'], allowCidrs: ['203.0.113.0/24'] });
    expect(allowList.refusesAddress('203.0.113.9')).to.equal(undefined);
    expect(allowList.refusesAddress('198.51.100.9')).to.equal('network refused by the probe policy');
    expect(allowList.refusesAddress('2001:db8::1')).to.equal('network refused by the probe policy');
    const hole = new ProbePolicy({ allowCidrs: ['10.0.0.0/8'], denyCidrs: ['10.244.0.0/16'] });
    expect(hole.refusesAddress('10.1.1.1')).to.equal(undefined);
    expect(hole.refusesAddress('10.244.1.1')).to.equal('network refused by the probe policy');
    const tie = new ProbePolicy({ allowCidrs: ['127.0.0.0/8'], denyCidrs: ['127.0.0.0/8'] });
    expect(tie.refusesAddress('127.0.0.1')).to.equal('network refused by the probe policy');
  });

  it('limits ports to --probe-allowed-ports when given', () => {
    const policy = new ProbePolicy({ allowedPorts: ['80', '443', '8000-8999'] });
    expect(policy.refusesPort(443)).to.equal(undefined);
    expect(policy.refusesPort(8081)).to.equal(undefined);
    expect(policy.refuses('192.0.2.10', 9090)).to.equal('probe refused: port 9090 is not allowed by the probe policy');
    expect(policy.refuses('192.0.2.10', 22)).to.equal('probe refused: port 22 is not allowed by the probe policy');
  });

  it('rejects a malformed network or port at start, naming it', () => {
    expect(() => new ProbePolicy({ allowCidrs: ['127.0.0.1'] })).to.throw('not a network in CIDR notation: "127.0.0.1"');
    expect(() => parseCidr('10.0.0.0/33')).to.throw('not a network in CIDR notation');
    expect(() => parseCidr('fd00::/129')).to.throw('not a network in CIDR notation');
    expect(() => new ProbePolicy({ allowedPorts: ['0'] })).to.throw('not a port or port range: "0"');
    expect(() => parsePortRange('9000-8000')).to.throw('not a port or port range');
    expect(parsePortRange(' 8000 - 8999 ')).to.deep.equal({ from: 8000, to: 8999 });
  });
});
