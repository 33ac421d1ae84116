// The prober against real local servers on 127.0.0.0/8: verdicts and transitions follow the
// servers going down and up; assertions are on outcomes, with generous waits, never on timing.
import { expect } from 'chai';
import { createLogger } from '../../../src/log.js';
import { Prober, type HealthTransition, type ProbeResult } from '../../../src/health/prober.js';
import { parseStatusRange, type ResolvedHealthCheck } from '../../../src/health/spec.js';
import { startLoadBalancers, until, type FakeLoadBalancer } from '../../env/fake-lb.js';

const quiet = createLogger('silent');

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
    prober = new Prober({ concurrency: 4, logger: quiet });
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
    expect(verdict(record, '127.0.0.11')?.lastError).to.equal('HTTP 503 (expected 200-399)');
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
    const slow = new Prober({ concurrency: 2, logger: quiet });
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
});
