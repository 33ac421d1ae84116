// Measured: one tenant cannot starve another's probes. team-b has 40 records whose load balancer
// accepts and never answers, and 32 whose load-balancer names hang in DNS, all probed as slowly as
// the schema allows them to hold a place (timeout = interval = 5 s); team-a has one record probed
// every second. Real servers on 127.0.0.0/8 (an HTTP load balancer, a DNS server that never
// answers those names), the default concurrency. The figures are printed; the assertions count
// gaps with a generous bound, they time nothing.
import { expect } from 'chai';
import { createLogger } from '../../../src/log.js';
import { DEFAULT_PROBE_CONCURRENCY, Prober } from '../../../src/health/prober.js';
import type { ProbeResult } from '../../../src/health/prober-events.js';
import { ProbePolicy } from '../../../src/health/policy.js';
import { dnsLookup } from '../../../src/health/screen.js';
import { parseStatusRange, type ResolvedHealthCheck } from '../../../src/health/spec.js';
import { startLoadBalancers, type FakeLoadBalancer } from '../../env/fake-lb.js';
import { startFakeDns, type FakeDns } from '../../env/fake-dns.js';

const check = (port: number, seconds: number): ResolvedHealthCheck => ({
  protocol: 'http',
  port,
  path: '/',
  expectedStatus: [parseStatusRange('200-399')],
  intervalMs: seconds * 1000,
  timeoutMs: seconds * 1000,
  failureThreshold: 3,
  successThreshold: 2,
  insecureSkipVerify: false,
});

describe('health: probes shared fairly between namespaces (measured)', function () {
  this.timeout(120_000);
  let lbs: FakeLoadBalancer[];
  let dns: FakeDns;
  let prober: Prober;

  before(async () => {
    lbs = await startLoadBalancers(['127.0.0.21', '127.0.0.66']);
    (lbs[1] as FakeLoadBalancer).mode = 'hang';
    const hanging = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`lb${i}.hang.test`, 'hang' as const]));
    dns = await startFakeDns(hanging);
  });
  after(async () => {
    await prober?.stop();
    await Promise.all(lbs.map((lb) => lb.down()));
    await dns.stop();
  });

  it('keeps the victim\'s probe gaps within one interval + timeout while another namespace stalls 72 probes', async () => {
    const port = (lbs[0] as FakeLoadBalancer).port;
    prober = new Prober({
      logger: createLogger('silent'),
      policy: new ProbePolicy({ allowCidrs: ['127.0.0.0/8'] }),
      lookup: dnsLookup([dns.server]),
    });
    const victim: { at: number; result: ProbeResult }[] = [];
    const attackerQueued: number[] = [];
    prober.onProbe((r) => {
      if (r.namespace === 'team-a') victim.push({ at: performance.now(), result: r });
      else attackerQueued.push(r.queuedMs);
    });
    // The attacker's records first: they hold every place before the victim's first probe.
    for (let i = 0; i < 40; i++) {
      prober.trackResolved(`IngressDNSRecord/team-b/stall-${i}`, [{ address: '127.0.0.66', cluster: 'm1', host: `s${i}.attacker.test` }], check(port, 5));
    }
    for (let i = 0; i < 32; i++) {
      prober.trackResolved(`IngressDNSRecord/team-b/hang-${i}`, [{ address: `lb${i}.hang.test`, cluster: 'm1', host: `h${i}.attacker.test` }], check(port, 5));
    }
    await new Promise((r) => setTimeout(r, 200));
    const started = performance.now();
    prober.trackResolved('IngressDNSRecord/team-a/victim', [{ address: '127.0.0.21', cluster: 'm1', host: 'shop.example.org' }], check(port, 1));
    await new Promise((r) => setTimeout(r, 15_000));
    const window = (performance.now() - started) / 1000;
    const times = [started, ...victim.map((v) => v.at)];
    const gaps = times.slice(1).map((t, i) => (t - (times[i] as number)) / 1000);
    const bound = 1 + 1 + 0.25; // interval + timeout, and a quarter second for timers on a shared machine
    const over = gaps.filter((g) => g > bound);
    const queued = victim.map((v) => v.result.queuedMs);
    console.log(
      `      victim: ${victim.length} probes in ${window.toFixed(1)} s (interval 1 s), largest gap ${Math.max(...gaps).toFixed(2)} s, ` +
        `${over.length} gaps over ${bound} s, queue wait max ${Math.max(...queued).toFixed(0)} ms; ` +
        `attacker: ${attackerQueued.length} probes done, queue wait max ${Math.max(0, ...attackerQueued).toFixed(0)} ms, ` +
        `${prober.stats().inFlight} in flight now (concurrency ${DEFAULT_PROBE_CONCURRENCY}), DNS queries for hanging names ${[...dns.queries.values()].reduce((a, b) => a + b, 0)}`,
    );
    expect(over, 'victim probe gaps over one interval + timeout').to.deep.equal([]);
    expect(victim.length, 'victim probes in 15 s at a 1 s interval').to.be.at.least(12);
    expect(victim.every((v) => v.result.ok)).to.equal(true);
    expect(prober.stats().inFlight, 'never more than twice the concurrency').to.be.at.most(2 * DEFAULT_PROBE_CONCURRENCY);
  });
});
