// The prober against real local servers on 127.0.0.0/8: verdicts and transitions follow the
// servers going down and up; assertions are on outcomes, with generous waits, never on timing.
import { expect } from 'chai';
import { createLogger } from '../../../src/log.js';
import type { HealthTransition, ProbeResult } from '../../../src/health/prober-events.js';
import { Prober } from '../../../src/health/prober.js';
import { parseStatusRange, type ResolvedHealthCheck } from '../../../src/health/spec.js';
import { ProbePolicy } from '../../../src/health/policy.js';
import { dnsLookup } from '../../../src/health/screen.js';
import { startLoadBalancers, until, type FakeLoadBalancer } from '../../env/fake-lb.js';
import { startFakeDns } from '../../env/fake-dns.js';

const quiet = createLogger('silent');
// The servers of these tests listen on 127.0.0.0/8, which the default policy refuses.
const loopbackAllowed = new ProbePolicy({ allowCidrs: ['127.0.0.0/8'] });

function settings(port: number, parts: Partial<ResolvedHealthCheck> = {}): ResolvedHealthCheck {
  return {
    protocol: 'http',
    port,
    path: '/healthz',
    expectedStatus: [parseStatusRange('200-399')],
    intervalMs: 50,
    timeoutMs: 1_000,
    failureThreshold: 2,
    successThreshold: 2,
    insecureSkipVerify: false,
    ...parts,
  };
}

describe('health prober', function () {
  this.timeout(60_000);
  let lbs: FakeLoadBalancer[];
  let lb1: FakeLoadBalancer;
  let lb2: FakeLoadBalancer;
  let prober: Prober;
  let transitions: HealthTransition[];
  const targets = () => [
    { address: '127.0.0.11', cluster: 'member1', host: 'shop.example.org' },
    { address: '127.0.0.12', cluster: 'member2', host: 'shop.example.org' },
  ];
  const verdict = (record: string, address: string) => prober.health(record).target(address);

  beforeEach(async () => {
    lbs = await startLoadBalancers(['127.0.0.11', '127.0.0.12']);
    [lb1, lb2] = lbs as [FakeLoadBalancer, FakeLoadBalancer];
    prober = new Prober({ concurrency: 4, logger: quiet, policy: loopbackAllowed });
    transitions = [];
    prober.onTransition((t) => transitions.push(t));
  });
  afterEach(async () => {
    await prober.stop();
    await Promise.all(lbs.map((lb) => lb.down()));
  });

  it('judges both addresses healthy, probing each with the record host and the check path', async () => {
    prober.trackResolved('IngressDNSRecord/ns/shop', targets(), settings(lb1.port));
    await until('two healthy verdicts', () => transitions.length === 2);
    expect(transitions.map((t) => [t.target, t.cluster, t.healthy]).sort()).to.deep.equal([
      ['127.0.0.11', 'member1', true],
      ['127.0.0.12', 'member2', true],
    ]);
    expect(verdict('IngressDNSRecord/ns/shop', '127.0.0.11')).to.include({ healthy: true });
    expect(lb1.seen[0]).to.deep.equal({ host: `shop.example.org:${lb1.port}`, path: '/healthz' });
  });

  it('marks an address unhealthy when its server stops, tells listeners once, and brings it back when it returns', async () => {
    const record = 'IngressDNSRecord/ns/shop';
    prober.trackResolved(record, targets(), settings(lb1.port));
    await until('healthy', () => verdict(record, '127.0.0.12')?.healthy === true);
    await lb2.down();
    await until('unhealthy', () => verdict(record, '127.0.0.12')?.healthy === false);
    const down = transitions.filter((t) => !t.healthy);
    expect(down).to.have.length(1);
    expect(down[0]).to.include({ record, target: '127.0.0.12', cluster: 'member2', healthy: false, lastError: 'connection refused' });
    expect(verdict(record, '127.0.0.12')).to.deep.equal({ healthy: false, since: down[0]?.since, lastError: 'connection refused' });
    expect(verdict(record, '127.0.0.11')?.healthy).to.equal(true);

    await lb2.up();
    await until('healthy again', () => verdict(record, '127.0.0.12')?.healthy === true);
    const back = transitions.filter((t) => t.target === '127.0.0.12');
    expect(back.map((t) => t.healthy)).to.deep.equal([true, false, true]);
    expect(back[2]?.lastError).to.equal(undefined);
  });

  it('treats a wrong status like a failure, and reports it', async () => {
    const record = 'ServiceDNSRecord/ns/api';
    lb1.mode = 'error';
    prober.trackResolved(record, targets().slice(0, 1), settings(lb1.port));
    await until('unhealthy', () => verdict(record, '127.0.0.11')?.healthy === false);
    expect(verdict(record, '127.0.0.11')?.lastError).to.equal('HTTP 5xx (expected 200-399)');
  });

  it('does not flap when results alternate', async () => {
    const record = 'IngressDNSRecord/ns/flappy';
    lb1.alternate = true;
    prober.trackResolved(record, targets().slice(0, 1), settings(lb1.port));
    await until('20 probes', () => lb1.requests >= 20);
    expect(transitions.map((t) => t.healthy)).to.deep.equal([true]);
  });

  it('shares one probe between records probing the same address the same way, and tells each record', async () => {
    prober.trackResolved('IngressDNSRecord/ns/a', targets().slice(0, 1), settings(lb1.port));
    prober.trackResolved('IngressDNSRecord/ns/b', targets().slice(0, 1), settings(lb1.port));
    expect(prober.stats().targets).to.equal(1);
    await until('both records told', () => transitions.length === 2);
    expect(transitions.map((t) => t.record).sort()).to.deep.equal(['IngressDNSRecord/ns/a', 'IngressDNSRecord/ns/b']);
    // A different Host header is a different probe.
    prober.trackResolved('IngressDNSRecord/ns/c', [{ address: '127.0.0.11', cluster: 'member1', host: 'c.example.org' }], settings(lb1.port));
    expect(prober.stats().targets).to.equal(2);
  });

  it('tells a record that joins a probe with a verdict at once', async () => {
    prober.trackResolved('IngressDNSRecord/ns/a', targets().slice(0, 1), settings(lb1.port, { intervalMs: 60_000 }));
    await until('first verdict', () => transitions.length === 1);
    prober.trackResolved('IngressDNSRecord/ns/late', targets().slice(0, 1), settings(lb1.port, { intervalMs: 60_000 }));
    await until('late record told', () => transitions.some((t) => t.record === 'IngressDNSRecord/ns/late'));
    expect(lb1.requests).to.equal(1);
  });

  it('stops probing what a record no longer tracks', async () => {
    const record = 'IngressDNSRecord/ns/shop';
    prober.trackResolved(record, targets(), settings(lb1.port));
    await until('both probed', () => lb1.requests > 0 && lb2.requests > 0);
    prober.trackResolved(record, targets().slice(0, 1), settings(lb1.port));
    expect(prober.stats()).to.include({ records: 1, targets: 1 });
    expect(verdict(record, '127.0.0.12')).to.equal(undefined);
    prober.untrack(record);
    expect(prober.stats()).to.include({ records: 0, targets: 0 });
    const seen = lb1.requests + lb2.requests;
    // Ten intervals later nothing more has arrived (a probe in flight at untrack may still land).
    await new Promise((r) => setTimeout(r, 500));
    expect(lb1.requests + lb2.requests).to.be.at.most(seen + 2);
    expect(prober.tracked()).to.deep.equal([]);
  });

  it('keeps at most `concurrency` probes in flight', async () => {
    const slow = new Prober({ concurrency: 2, logger: quiet, policy: loopbackAllowed });
    try {
      lb1.delayMs = 100;
      const many = Array.from({ length: 8 }, (_, i) => ({ address: '127.0.0.11', cluster: 'm', host: `h${i}.example.org` }));
      // Eight records, eight different Host headers: eight probes of the same server.
      many.forEach((t, i) => slow.trackResolved(`IngressDNSRecord/ns/r${i}`, [t], settings(lb1.port, { intervalMs: 10 })));
      await until('16 requests answered', () => lb1.requests >= 16);
      expect(lb1.maxActive).to.be.within(1, 2);
    } finally {
      await slow.stop();
    }
  });

  it('reports every probe to onProbe hooks with its duration, and counts them', async () => {
    const results: { result: ProbeResult; ms: number }[] = [];
    prober.onProbe((result, ms) => results.push({ result, ms }));
    lb1.mode = 'error';
    prober.trackResolved('IngressDNSRecord/ns/shop', targets().slice(0, 1), settings(lb1.port));
    await until('three probes', () => results.length >= 3);
    expect(results[0]?.result).to.deep.include({
      target: '127.0.0.11', protocol: 'http', port: lb1.port, ok: false, statusCode: 503, records: ['IngressDNSRecord/ns/shop'],
    });
    expect(results[0]?.ms).to.be.a('number').and.to.be.at.least(0);
    const stats = prober.stats();
    expect(stats.probes).to.be.at.least(3);
    expect(stats.failures).to.equal(stats.probes);
  });

  it('keeps probing when a listener throws', async () => {
    prober.onTransition(() => {
      throw new Error('listener bug');
    });
    prober.trackResolved('IngressDNSRecord/ns/shop', targets().slice(0, 1), settings(lb1.port));
    await until('verdict', () => transitions.length === 1);
    const before = lb1.requests;
    await until('more probes', () => lb1.requests > before + 2);
  });

  it('probes tcp ports too', async () => {
    const [tcp] = (await startLoadBalancers(['127.0.0.14'], 'tcp')) as [FakeLoadBalancer];
    try {
      const record = 'ServiceDNSRecord/ns/db';
      prober.trackResolved(record, [{ address: '127.0.0.14', cluster: 'm' }], settings(tcp.port, { protocol: 'tcp' }));
      await until('healthy', () => verdict(record, '127.0.0.14')?.healthy === true);
      await tcp.down();
      await until('unhealthy', () => verdict(record, '127.0.0.14')?.healthy === false);
      expect(verdict(record, '127.0.0.14')?.lastError).to.equal('connection refused');
    } finally {
      await tcp.down();
    }
  });

  it('takes a spec.healthCheck in seconds through track()', async () => {
    prober.track('IngressDNSRecord/ns/shop', targets().slice(0, 1), { port: lb1.port, path: '/ok', intervalSeconds: 1 });
    await until('verdict', () => transitions.length === 1);
    expect(lb1.seen[0]?.path).to.equal('/ok');
  });

  it('stops everything on stop(), and ignores track() afterwards', async () => {
    prober.trackResolved('IngressDNSRecord/ns/shop', targets(), settings(lb1.port));
    await until('probing', () => lb1.requests > 0);
    await prober.stop();
    prober.trackResolved('IngressDNSRecord/ns/other', targets(), settings(lb1.port));
    expect(prober.stats()).to.include({ records: 0, targets: 0, inFlight: 0 });
  });

  it('keeps a probe that cannot be sent on its schedule, failing, instead of stopping silently', async () => {
    const record = 'IngressDNSRecord/ns/bad-path';
    prober.trackResolved(record, targets().slice(0, 1), settings(lb1.port, { path: '/a b\r\nX: y' }));
    await until('unhealthy', () => verdict(record, '127.0.0.11')?.healthy === false);
    expect(verdict(record, '127.0.0.11')?.lastError).to.equal('probe could not be sent (invalid request)');
    const before = prober.stats().probes;
    await until('still probing', () => prober.stats().probes > before + 2);
    expect(lb1.requests).to.equal(0);
  });
});

describe('health prober: probe policy', function () {
  this.timeout(30_000);
  let lb: FakeLoadBalancer;
  let prober: Prober | undefined;
  const record = 'IngressDNSRecord/team-b/attacker';
  const check = (port: number) => settings(port, { intervalMs: 100 });
  beforeEach(async () => {
    [lb] = (await startLoadBalancers(['127.0.0.11'])) as [FakeLoadBalancer];
  });
  afterEach(async () => {
    await prober?.stop();
    await lb.down();
  });

  it('by default refuses a loopback address at once, without connecting, and says only what kind of address it is', async () => {
    prober = new Prober({ logger: quiet });
    const transitions: HealthTransition[] = [];
    prober.onTransition((t) => transitions.push(t));
    prober.trackResolved(record, [{ address: '127.0.0.11', cluster: 'member1', host: 'www.hj.test' }], check(lb.port));
    await until('refused', () => transitions.length === 1);
    expect(transitions[0]).to.include({ healthy: false, lastError: 'probe refused: loopback address' });
    expect(prober.health(record).target('127.0.0.11')).to.include({ healthy: false, refused: true });
    await new Promise((r) => setTimeout(r, 300));
    expect(lb.requests).to.equal(0);
    expect(transitions).to.have.length(1);
  });

  it('refuses a hostname when any of its addresses is refused (resolved by DNS)', async () => {
    const dns = await startFakeDns({ 'lb.member1.test': ['192.0.2.10', '127.0.0.11'] });
    try {
      prober = new Prober({ logger: quiet, lookup: dnsLookup([dns.server]) });
      prober.trackResolved(record, [{ address: 'lb.member1.test', cluster: 'member1', host: 'www.hj.test' }], check(lb.port));
      await until('refused', () => prober?.health(record).target('lb.member1.test')?.refused === true);
      expect(prober.health(record).target('lb.member1.test')?.lastError).to.equal('probe refused: lb.member1.test resolves to a loopback address');
      expect(lb.requests).to.equal(0);
    } finally {
      await dns.stop();
    }
  });

  it('connects to the address it checked, with the record\'s own name as Host, whatever the name resolves to next', async () => {
    const answers = [['127.0.0.11'], ['169.254.169.254']];
    let lookups = 0;
    prober = new Prober({
      logger: quiet,
      policy: loopbackAllowed,
      lookup: async () => answers[Math.min(lookups++, answers.length - 1)] as string[],
    });
    prober.trackResolved(record, [{ address: 'lb.member1.test', cluster: 'member1', host: 'www.hj.test' }], check(lb.port));
    await until('probed once', () => lb.requests === 1);
    expect(lb.seen[0]).to.deep.equal({ host: `www.hj.test:${lb.port}`, path: '/healthz' });
    // The name now points at a metadata endpoint: the next check refuses it, nothing connects there.
    await until('refused', () => prober?.health(record).target('lb.member1.test')?.refused === true);
    expect(prober.health(record).target('lb.member1.test')?.lastError).to.equal('probe refused: lb.member1.test resolves to a link-local address');
  });

  it('refuses a port outside --probe-allowed-ports', async () => {
    prober = new Prober({ logger: quiet, policy: new ProbePolicy({ allowCidrs: ['127.0.0.0/8'], allowedPorts: ['80', '443'] }) });
    prober.trackResolved(record, [{ address: '127.0.0.11', cluster: 'member1' }], check(lb.port));
    await until('refused', () => prober?.health(record).target('127.0.0.11')?.refused === true);
    expect(prober.health(record).target('127.0.0.11')?.lastError).to.equal(`probe refused: port ${lb.port} is not allowed by the probe policy`);
    expect(lb.requests).to.equal(0);
  });

  it('reads a refused IP, and a hostname not checked yet, as refused before the record is even tracked', () => {
    prober = new Prober({ logger: quiet });
    const view = prober.health(record, { port: 8080 });
    expect(view.target('127.0.0.11')).to.include({ healthy: false, refused: true, lastError: 'probe refused: loopback address' });
    expect(view.target('lb.member1.test')).to.include({ refused: true, lastError: 'probe refused: waiting for the probe policy check of its addresses' });
    expect(view.target('192.0.2.10')).to.equal(undefined);
    // Without the record's check (no active probes), the policy has nothing to say.
    expect(prober.health(record).target('127.0.0.11')).to.equal(undefined);
  });

  it('tells onScreened listeners when a hostname has passed its first check, so the record can publish it', async () => {
    prober = new Prober({ logger: quiet, policy: loopbackAllowed, lookup: async () => ['127.0.0.11'] });
    const screened: string[] = [];
    prober.onScreened((r) => screened.push(r));
    lb.mode = 'error';
    prober.trackResolved(record, [{ address: 'lb.member1.test', cluster: 'member1', host: 'www.hj.test' }], check(lb.port));
    await until('screened', () => screened.length === 1);
    expect(screened).to.deep.equal([record]);
    // Checked and allowed, no verdict yet: counted healthy, as any new target.
    expect(prober.health(record, { port: lb.port }).target('lb.member1.test')).to.equal(undefined);
  });
});
