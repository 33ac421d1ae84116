// The lookup of a probe target's name: DNS through c-ares with the probe's timeout as its
// deadline, off the libuv thread pool every getaddrinfo of the process shares.
import { expect } from 'chai';
import { pbkdf2 } from 'node:crypto';
import { dnsLookup } from '../../../src/health/screen.js';
import { startFakeDns, type FakeDns } from '../../env/fake-dns.js';

describe('health: the lookup of a probe target', function () {
  this.timeout(30_000);
  let dns: FakeDns;
  before(async () => {
    dns = await startFakeDns({ 'lb.example.net': ['192.0.2.10', '2001:db8::10'], 'hang.example.net': 'hang' });
  });
  after(async () => dns.stop());

  it('gives the A then the AAAA addresses of a name', async () => {
    expect(await dnsLookup([dns.server])('lb.example.net', 1_000)).to.deep.equal(['192.0.2.10', '2001:db8::10']);
  });

  it('reads localhost names as loopback without asking any server (RFC 6761)', async () => {
    expect(await dnsLookup([dns.server])('localhost', 1_000)).to.deep.equal(['127.0.0.1', '::1']);
    expect(await dnsLookup([dns.server])('lb.LOCALHOST.', 1_000)).to.deep.equal(['127.0.0.1', '::1']);
    expect(dns.queries.has('localhost')).to.equal(false);
  });

  it('fails a name that does not exist', async () => {
    const err = await dnsLookup([dns.server])('nothing.example.net', 1_000).then(() => undefined, (e: Error) => e);
    expect(err).to.be.instanceOf(Error);
  });

  it('gives up on a name the server never answers at its deadline, after asking it again within it', async () => {
    const err = await dnsLookup([dns.server])('hang.example.net', 300).then(() => undefined, (e: Error) => e);
    expect(err?.message).to.match(/no answer within 300 ms|ETIMEOUT/);
    expect(dns.queries.get('hang.example.net')).to.be.at.least(1);
  });

  it('does not wait for the libuv thread pool, which slow file, crypto and getaddrinfo work of the process holds', async () => {
    // Eight slow tasks on a pool of four threads: a getaddrinfo would queue behind them.
    const order: string[] = [];
    const slow = Array.from({ length: 8 }, () => new Promise<void>((resolve) => pbkdf2('x', 'y', 400_000, 32, 'sha512', () => { order.push('pool'); resolve(); })));
    const answer = dnsLookup([dns.server])('lb.example.net', 5_000).then((a) => order.push(`dns ${a.length}`));
    await Promise.all([...slow, answer]);
    expect(order[0]).to.equal('dns 2');
  });
});
