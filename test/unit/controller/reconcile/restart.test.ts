// Health across restarts and leader changes: a new process (or a newly elected leader) starts
// from what the record recorded, not from "everything is healthy", and only a replica that may
// write probes. Real TCP listeners on 127.0.0.0/8 answer the probes; a "restart" is a new
// Prober and a new Reconciler on the same host state. Waits are on outcomes, never on timing.
import { expect } from 'chai';
import winston from 'winston';
import type { IngressDNSRecord, RecordHealthStatus } from '../../../../src/api/schema.js';
import type { ClusterObservation } from '../../../../src/core/observation.js';
import { Reconciler } from '../../../../src/controller/reconcile/reconciler.js';
import { keyOf, type RecordKey } from '../../../../src/core/record-key.js';
import { Prober, type HealthTransition } from '../../../../src/health/index.js';
import { ProbePolicy } from '../../../../src/health/policy.js';
import { startLoadBalancers, until, type FakeLoadBalancer } from '../../../env/fake-lb.js';
import { MemoryHost } from '../host/memory-host.js';

const silent = winston.createLogger({ silent: true });
// The fake load balancers live on loopback, which the probe policy refuses unless allowed.
const loopbackAllowed = new ProbePolicy({ allowCidrs: ['127.0.0.0/8'] });
const key: RecordKey = { kind: 'IngressDNSRecord', namespace: 'web', name: 'shop' };
const HOST = 'shop.example.org';
const EP = 'ingress-shop';

function shopRecord(port: number): IngressDNSRecord {
  return {
    apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
    kind: 'IngressDNSRecord',
    metadata: { name: key.name, namespace: key.namespace, uid: 'uid-shop', generation: 1 },
    // One failed probe prunes; two passes bring a target back.
    spec: { hosts: [HOST], healthCheck: { protocol: 'tcp', port, intervalSeconds: 2, timeoutSeconds: 1, failureThreshold: 1, successThreshold: 2 } },
  };
}
const member = (cluster: string, ip: string): ClusterObservation => ({
  cluster,
  state: 'online',
  stateSince: '2026-11-21T00:00:00.000Z',
  zones: [],
  ingresses: [{ namespace: key.namespace, name: key.name, hosts: [HOST], loadBalancer: [{ ip }] }],
  services: [],
});

/** One controller process: its own prober and reconciler, on the shared host. */
function process_(host: MemoryHost, opts: { paused?: boolean } = {}) {
  const prober = new Prober({ concurrency: 4, logger: silent, policy: loopbackAllowed, ...opts });
  const transitions: HealthTransition[] = [];
  prober.onTransition((t) => transitions.push(t));
  const reconciler = new Reconciler(host, host, 'externaldns.k8s.io', silent, () => new Date('2026-11-21T00:00:00Z'), { prober });
  return { prober, reconciler, transitions };
}

const published = (host: MemoryHost) => host.dnsEndpoint(key.namespace, EP)?.spec.endpoints?.flatMap((e) => e.targets) ?? [];
const health = (host: MemoryHost) => (host.records.get(keyOf(key))?.status as { health?: RecordHealthStatus } | undefined)?.health;

describe('health across restarts and leader changes', function () {
  this.timeout(30_000);
  let lbs: FakeLoadBalancer[];
  let lb2: FakeLoadBalancer;
  const running: Prober[] = [];

  beforeEach(async () => {
    lbs = await startLoadBalancers(['127.0.0.11', '127.0.0.12'], 'tcp');
    lb2 = lbs[1] as FakeLoadBalancer;
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop()));
    await Promise.all(lbs.map((lb) => lb.down()));
  });

  /** A first process that publishes both targets, then prunes 127.0.0.12 once its probe fails. */
  async function prunedByAFirstProcess(): Promise<MemoryHost> {
    const host = new MemoryHost();
    host.records.set(keyOf(key), shopRecord(lbs[0]!.port));
    host.clusters = [member('member1', '127.0.0.11'), member('member2', '127.0.0.12')];
    await lb2.down();
    const first = process_(host);
    running.push(first.prober);
    await first.reconciler.reconcile(key);
    await until('127.0.0.12 judged unhealthy', () => first.transitions.some((t) => t.target === '127.0.0.12' && !t.healthy));
    await first.reconciler.reconcile(key);
    expect(published(host)).to.deep.equal(['127.0.0.11']);
    expect(health(host)?.targets?.find((t) => t.target === '127.0.0.12')).to.include({ healthy: false, published: false });
    await first.prober.stop();
    return host;
  }

  it('a restart with nothing changed changes nothing: no DNSEndpoint write, no status write, no Event', async () => {
    const host = await prunedByAFirstProcess();
    host.writes = [];
    host.events = [];
    const second = process_(host);
    running.push(second.prober);
    await second.reconciler.reconcile(key);
    expect(host.writes).to.deep.equal([]);
    expect(published(host)).to.deep.equal(['127.0.0.11']);
    // The probes of the new process agree with what was recorded: still nothing to write.
    await until('both addresses probed', () => second.prober.stats().probes >= 2);
    await second.reconciler.reconcile(key);
    expect(host.writes).to.deep.equal([]);
    expect(host.events).to.deep.equal([]);
    // No verdict changed, so nothing was announced (each announcement is an Event and a requeue).
    expect(second.transitions).to.deep.equal([]);
  });

  it('a restarted controller with a target recorded unhealthy does not publish it before successThreshold passes', async () => {
    const host = await prunedByAFirstProcess();
    await lb2.up();
    const second = process_(host);
    running.push(second.prober);
    let passes = 0;
    second.prober.onProbe((r) => {
      if (r.target === '127.0.0.12' && r.ok) passes++;
    });
    await second.reconciler.reconcile(key);
    expect(published(host), 'not brought back by the restart').to.deep.equal(['127.0.0.11']);

    await until('one probe of 127.0.0.12 passed', () => passes >= 1);
    await second.reconciler.reconcile(key);
    expect(published(host), 'one pass of two is not enough').to.deep.equal(['127.0.0.11']);

    await until('127.0.0.12 judged healthy', () => second.transitions.some((t) => t.target === '127.0.0.12' && t.healthy));
    expect(passes).to.be.at.least(2);
    await second.reconciler.reconcile(key);
    expect(published(host)).to.deep.equal(['127.0.0.11', '127.0.0.12']);
    expect(health(host)?.targets?.find((t) => t.target === '127.0.0.12')).to.include({ healthy: true, published: true });
  });

  it('keeps the recorded time of an unhealthy verdict, so fail-open decides as its predecessor did', async () => {
    const host = await prunedByAFirstProcess();
    const since = health(host)?.targets?.find((t) => t.target === '127.0.0.12')?.since;
    const second = process_(host);
    running.push(second.prober);
    await second.reconciler.reconcile(key);
    expect(second.prober.health(keyOf(key)).target('127.0.0.12')).to.include({ healthy: false, since });
  });

  it('a follower does not probe: a paused prober tracks nothing, whatever reconciles ask', async () => {
    const host = new MemoryHost();
    host.records.set(keyOf(key), shopRecord(lbs[0]!.port));
    host.clusters = [member('member1', '127.0.0.11'), member('member2', '127.0.0.12')];
    const follower = process_(host, { paused: true });
    running.push(follower.prober);
    await follower.reconciler.reconcile(key);
    expect(follower.prober.stats()).to.include({ records: 0, targets: 0, inFlight: 0, queued: 0, probes: 0 });
    expect(lbs.map((lb) => lb.requests)).to.deep.equal([0, 0]);
  });

  it('a deposed leader stops probing, and probes again from the recorded verdicts when it leads again', async () => {
    const host = await prunedByAFirstProcess();
    const leader = process_(host);
    running.push(leader.prober);
    await leader.reconciler.reconcile(key);
    expect(leader.prober.stats().targets).to.equal(2);

    await leader.prober.pause();
    expect(leader.prober.stats()).to.include({ records: 0, targets: 0, inFlight: 0 });
    await leader.reconciler.reconcile(key);
    expect(leader.prober.stats().targets, 'an in-flight reconcile of a deposed leader starts no probe').to.equal(0);

    leader.prober.resume();
    host.writes = [];
    await leader.reconciler.reconcile(key);
    expect(leader.prober.stats().targets).to.equal(2);
    expect(leader.prober.health(keyOf(key)).target('127.0.0.12')).to.include({ healthy: false });
    expect(host.writes).to.deep.equal([]);
  });
});
