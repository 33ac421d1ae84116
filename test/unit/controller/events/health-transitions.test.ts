// Health verdict changes as a record's owner sees them: a batch of changes of one record re-runs
// it once and writes at most one Event on it, and no record gets more Events than its budget.
// Real probes against real TCP/HTTP listeners on 127.0.0.0/8, a real work queue, the real
// recorder over a host that keeps the Events it is sent. Windows are ended by the test (no
// timing), except where the recorder's own timer is the subject.
import { expect } from 'chai';
import { WorkQueue } from '../../../../src/controller/runtime/queue.js';
import { EventBudget, eventRecorder, type EventType } from '../../../../src/controller/events/recorder.js';
import { HealthTransitions } from '../../../../src/controller/events/health-transitions.js';
import { keyOf, type RecordKey } from '../../../../src/core/record-key.js';
import type { RecordRef } from '../../../../src/core/dnsendpoint.js';
import { Prober, type HealthTransition } from '../../../../src/health/index.js';
import { ProbePolicy } from '../../../../src/health/policy.js';
import { parseStatusRange, type ResolvedHealthCheck } from '../../../../src/health/spec.js';
import { createLogger } from '../../../../src/log.js';
import { registry } from '../../../../src/metrics/metrics.js';
import { startLoadBalancers, until, type FakeLoadBalancer } from '../../../env/fake-lb.js';
import { sample } from '../../metrics/metrics-text.js';

const quiet = createLogger('silent');
const loopbackAllowed = new ProbePolicy({ allowCidrs: ['127.0.0.0/8'] });

interface Written {
  name: string;
  type: EventType;
  reason: string;
  message: string;
}

/** The host side: Events as the API server received them, and the records the workers ran. */
function harness(opts: { budget?: EventBudget; windowMs?: number; manualWindows?: boolean } = {}) {
  const written: Written[] = [];
  let open = 0;
  let maxOpen = 0;
  const host = {
    async event(ref: RecordRef, type: EventType, reason: string, message: string) {
      open++;
      maxOpen = Math.max(maxOpen, open);
      await new Promise((r) => setImmediate(r));
      open--;
      written.push({ name: ref.name, type, reason, message });
    },
  };
  const events = eventRecorder(host, quiet, opts.budget ?? new EventBudget());
  const queue = new WorkQueue();
  const reconciled: string[] = [];
  void queue.run(4, async (key) => void reconciled.push(key));
  const windows: Array<() => void> = [];
  const health = new HealthTransitions({
    events,
    enqueue: (r) => queue.add(r),
    uid: () => 'uid-1',
    writing: () => true,
    logger: quiet,
    ...(opts.windowMs === undefined ? {} : { windowMs: opts.windowMs }),
    ...(opts.manualWindows === false
      ? {}
      : {
          schedule: (flush: () => void) => {
            windows.push(flush);
            return { cancel: () => undefined };
          },
        }),
  });
  return {
    written,
    reconciled,
    queue,
    health,
    maxOpen: () => maxOpen,
    /** Ends every window open now, as its timer would. */
    endWindows: () => windows.splice(0).forEach((flush) => flush()),
    /** Everything queued has run and every Event has been written. */
    settled: () => health.batching === 0 && health.backlog === 0 && open === 0 && queue.depth === 0 && queue.inFlight === 0,
  };
}

const record = (name: string): RecordKey => ({ kind: 'IngressDNSRecord', namespace: 'shop', name });

function check(port: number, protocol: 'tcp' | 'http', intervalMs: number): ResolvedHealthCheck {
  return {
    protocol,
    port,
    path: '/healthz',
    expectedStatus: [parseStatusRange('200-399')],
    intervalMs,
    timeoutMs: 1_000,
    failureThreshold: 1,
    successThreshold: 1,
    insecureSkipVerify: false,
  };
}

describe('health transitions batched per record', function () {
  this.timeout(60_000);
  let lbs: FakeLoadBalancer[] = [];
  let prober: Prober | undefined;
  let queue: WorkQueue | undefined;

  afterEach(async () => {
    await prober?.stop();
    queue?.shutDown();
    await Promise.all(lbs.map((lb) => lb.down()));
    lbs = [];
  });

  it('200 targets of one record failing together give one Event on that record, naming them, and one reconcile', async () => {
    const addresses = Array.from({ length: 200 }, (_, i) => `127.0.1.${i + 1}`);
    lbs = await startLoadBalancers(addresses, 'tcp');
    const h = harness();
    queue = h.queue;
    prober = new Prober({ logger: quiet, policy: loopbackAllowed });
    prober.onTransition((t) => h.health.observe(t));
    const shop = keyOf(record('shop'));
    const verdicts = () => addresses.map((a) => prober?.health(shop).target(a)?.healthy);

    prober.trackResolved(shop, addresses.map((address) => ({ address, cluster: 'member1' })), check(lbs[0]!.port, 'tcp', 500));
    await until('200 first verdicts', () => verdicts().every((v) => v === true));
    h.endWindows();
    await until('settled', h.settled);
    // A target's first "healthy" is no recovery: the record re-runs, nobody is told.
    expect(h.written).to.deep.equal([]);
    expect(h.reconciled).to.deep.equal([shop]);

    h.reconciled.length = 0;
    const unhealthyCount = async () => sample(await registry.metrics(), 'mcdns_health_transitions_total', { healthy: 'false' }) ?? 0;
    const countedBefore = await unhealthyCount();
    await Promise.all(lbs.map((lb) => lb.down()));
    await until('200 targets unhealthy', () => verdicts().every((v) => v === false));
    h.endWindows();
    await until('settled', h.settled);

    expect(h.reconciled).to.deep.equal([shop]);
    expect(h.written).to.have.length(1);
    const [event] = h.written as [Written];
    expect(event).to.include({ name: 'shop', type: 'Warning', reason: 'TargetUnhealthy' });
    // Mostly "connection refused"; a probe caught in the middle of the shutdown may see a reset.
    expect(event.message).to.match(/^200 targets failed their health checks \((\d+ )?connection (refused|reset)[^)]*\): 127\.0\.1\.1 \(cluster member1\), 127\.0\.1\.2 \(cluster member1\), /);
    expect(event.message).to.match(/127\.0\.1\.10 \(cluster member1\) and 190 more$/);
    expect(event.message.length).to.be.at.most(1024);
    // Each change is still counted for the operator.
    expect((await unhealthyCount()) - countedBefore).to.equal(200);

    h.reconciled.length = 0;
    await Promise.all(lbs.slice(0, 3).map((lb) => lb.up()));
    await until('3 targets back', () => verdicts().filter((v) => v === true).length === 3);
    h.endWindows();
    await until('settled', h.settled);
    expect(h.reconciled).to.deep.equal([shop]);
    expect(h.written.slice(1)).to.deep.equal([
      {
        name: 'shop',
        type: 'Normal',
        reason: 'TargetHealthy',
        message: '3 targets are healthy again: 127.0.1.1 (cluster member1), 127.0.1.2 (cluster member1), 127.0.1.3 (cluster member1)',
      },
    ]);
  });

  it('50 records each with a failing target get one Event each, at most 4 being written at a time', async () => {
    const h = harness();
    queue = h.queue;
    const names = Array.from({ length: 50 }, (_, i) => `r${i}`);
    const failing = (name: string): HealthTransition => ({
      record: keyOf(record(name)),
      target: '192.0.2.10',
      cluster: 'member2',
      healthy: false,
      since: '2026-11-30T12:00:00.000Z',
      lastError: 'HTTP 503',
      first: false,
    });
    for (const name of names) h.health.observe(failing(name));
    h.endWindows();
    await until('settled', h.settled);

    expect(h.written.map((e) => e.name).sort()).to.deep.equal([...names].sort());
    expect(h.written.every((e) => e.type === 'Warning' && e.message === 'target 192.0.2.10 (cluster member2) failed its health check: HTTP 503')).to.equal(true);
    expect(h.reconciled.sort()).to.deep.equal(names.map((n) => keyOf(record(n))).sort());
    expect(h.maxOpen()).to.be.at.most(4);
  });

  it('a flapping target writes no more than the record\'s budget: 25 Events, then one per 5 minutes', async () => {
    registry.resetMetrics();
    let now = Date.parse('2026-11-30T12:00:00Z');
    // Each probe alternates 200 and 503; thresholds of 1 make every probe a verdict change.
    lbs = await startLoadBalancers(['127.0.0.21'], 'http');
    lbs[0]!.alternate = true;
    const h = harness({ budget: new EventBudget({ now: () => now }), windowMs: 1, manualWindows: false });
    queue = h.queue;
    prober = new Prober({ logger: quiet, policy: loopbackAllowed });
    prober.onTransition((t) => h.health.observe(t));
    const flappy = keyOf(record('flappy'));
    prober.trackResolved(flappy, [{ address: '127.0.0.21', cluster: 'member1' }], check(lbs[0]!.port, 'http', 50));

    // Every window ends in one reconcile; after the first (a first verdict, no news) each one has news.
    await until('40 windows', () => h.reconciled.length >= 40);
    await until('Events written', () => h.written.length === 25 && h.health.backlog === 0);
    expect(h.written).to.have.length(25);
    const scraped = await registry.metrics();
    expect(sample(scraped, 'mcdns_events_rate_limited_total', { type: 'Warning', reason: 'TargetUnhealthy' })).to.be.greaterThan(0);

    now += 5 * 60_000;
    const seen = h.reconciled.length;
    await until('more windows', () => h.reconciled.length >= seen + 5);
    await prober.stop();
    await until('settled', h.settled);
    expect(h.written).to.have.length(26);
  });

  it('counts the different errors of a batch, most common first', async () => {
    const h = harness();
    queue = h.queue;
    const shop = keyOf(record('shop'));
    const errors = ['timed out after 3000 ms', 'connection refused', 'timed out after 3000 ms', 'HTTP 5xx (expected 200-399)', 'timed out after 3000 ms'];
    errors.forEach((lastError, i) =>
      h.health.observe({ record: shop, target: `192.0.2.${i + 1}`, cluster: 'member1', healthy: false, since: '2026-11-30T12:00:00.000Z', lastError, first: false }),
    );
    h.endWindows();
    await until('settled', h.settled);
    expect(h.written.map((e) => e.message)).to.deep.equal([
      '5 targets failed their health checks (3 timed out after 3000 ms, 1 connection refused, 1 HTTP 5xx (expected 200-399)): ' +
        '192.0.2.1 (cluster member1), 192.0.2.2 (cluster member1), 192.0.2.3 (cluster member1), 192.0.2.4 (cluster member1), 192.0.2.5 (cluster member1)',
    ]);
  });

  it('ends a window by itself: changes observed together are one batch', async () => {
    const h = harness({ manualWindows: false });
    queue = h.queue;
    const shop = keyOf(record('shop'));
    for (const target of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) {
      h.health.observe({ record: shop, target, cluster: 'member1', healthy: false, since: '2026-11-30T12:00:00.000Z', lastError: 'timeout', first: true });
    }
    await until('one reconcile and one Event', () => h.reconciled.length === 1 && h.written.length === 1);
    await until('settled', h.settled);
    expect(h.reconciled).to.deep.equal([shop]);
    expect(h.written).to.deep.equal([
      {
        name: 'shop',
        type: 'Warning',
        reason: 'TargetUnhealthy',
        message: '3 targets failed their health checks (timeout): 192.0.2.1 (cluster member1), 192.0.2.2 (cluster member1), 192.0.2.3 (cluster member1)',
      },
    ]);
  });

  it('tells nothing on a replica that may not write, and drops what waits when cleared', async () => {
    const written: string[] = [];
    const queue_ = new WorkQueue();
    queue = queue_;
    const windows: Array<() => void> = [];
    let writing = false;
    const health = new HealthTransitions({
      events: { record: async (ref) => void written.push(ref.name) },
      enqueue: (r) => queue_.add(r),
      uid: () => undefined,
      writing: () => writing,
      logger: quiet,
      schedule: (flush) => {
        windows.push(flush);
        return { cancel: () => windows.splice(windows.indexOf(flush), 1) };
      },
    });
    const t = (name: string): HealthTransition => ({ record: keyOf(record(name)), target: '192.0.2.1', cluster: 'm', healthy: false, since: '', first: false });
    health.observe(t('follower'));
    windows.splice(0).forEach((f) => f());
    writing = true;
    health.observe(t('cleared'));
    health.clear();
    expect(windows).to.deep.equal([]);
    await new Promise((r) => setImmediate(r));
    expect(written).to.deep.equal([]);
    expect(health.batching).to.equal(0);
  });
});

describe('the Event budget of a record', () => {
  it('allows a burst of 25, then one more every 5 minutes; other records keep their own', () => {
    let now = 0;
    const budget = new EventBudget({ now: () => now });
    const taken = (record: string, n: number) => Array.from({ length: n }, () => budget.take(record)).filter(Boolean).length;
    expect(taken('a', 30)).to.equal(25);
    expect(taken('b', 1)).to.equal(1);
    now += 299_000;
    expect(taken('a', 1)).to.equal(0);
    now += 1_000;
    expect(taken('a', 2)).to.equal(1);
    now += 25 * 300_000;
    expect(taken('a', 30)).to.equal(25);
  });
});
