// Leader election on a real API server: first the Lease algorithm in-process (short leases),
// then two real `mcdns run --leader-elect` processes: only the leader writes, kill -9 of the
// leader hands over within the lease duration with no lost and no duplicate DNSEndpoint
// write, and SIGTERM releases the Lease so the successor takes over at once.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CoordinationV1Api, CustomObjectsApi, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { apiLeaseClient, LeaderElector, type LeaseClient } from '../../src/kube/leader-election.js';
import { createLogger } from '../../src/log.js';
import { registry } from '../../src/metrics/metrics.js';
import type { DNSEndpoint } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { sleep } from '../env/process.js';
import { ensureNamespace, eventually, putIngress, setIngressAddresses } from '../env/workloads.js';
import { sample } from '../unit/metrics/metrics-text.js';

const LEASE_NS = 'mcdns-system';
const silent = createLogger('silent');

async function readLease(kc: KubeConfig, name: string): Promise<V1Lease> {
  return kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: LEASE_NS, name });
}

/** A real Lease client that can be cut off, as if the API server became unreachable. */
function cuttable(inner: LeaseClient): LeaseClient & { cut: boolean; writes: number } {
  const c = {
    cut: false,
    writes: 0,
    read: (ns: string, name: string, signal: AbortSignal) => (c.cut ? Promise.reject(new Error('injected: connection refused')) : inner.read(ns, name, signal)),
    create: (ns: string, lease: V1Lease, signal: AbortSignal) => {
      if (c.cut) return Promise.reject(new Error('injected: connection refused'));
      c.writes++;
      return inner.create(ns, lease, signal);
    },
    replace: (ns: string, name: string, lease: V1Lease, signal: AbortSignal) => {
      if (c.cut) return Promise.reject(new Error('injected: connection refused'));
      c.writes++;
      return inner.replace(ns, name, lease, signal);
    },
  };
  return c;
}

describe('leader election on a real API server', function () {
  this.timeout(300_000);
  let bed: Bed;
  let host: KubeConfig;

  before(async () => {
    bed = await startBed({ members: ['member1'], powerdns: false, externalDns: false });
    host = bed.kubeConfig('host');
    await ensureNamespace(host, LEASE_NS);
  });

  after(async () => {
    await bed?.stop();
  });

  describe('the Lease algorithm (in-process, 3 s leases)', () => {
    const electors: LeaderElector[] = [];
    const make = (name: string, identity: string, client: LeaseClient = apiLeaseClient(host)) => {
      const e = new LeaderElector(client, { namespace: LEASE_NS, name, identity, leaseDurationMs: 3000, logger: silent });
      electors.push(e);
      return e;
    };
    const leading = (e: LeaderElector) => {
      const log: string[] = [];
      e.start({ onStartedLeading: () => log.push('started'), onStoppedLeading: (why) => log.push(`stopped: ${why}`) });
      return log;
    };
    afterEach(async () => {
      await Promise.all(electors.splice(0).map((e) => e.abandon()));
    });

    it('lets exactly one of two candidates lead, the other never writes the Lease while it is renewed', async () => {
      const aClient = cuttable(apiLeaseClient(host));
      const bClient = cuttable(apiLeaseClient(host));
      const a = make('one-of-two', 'a', aClient);
      const aLog = leading(a);
      await eventually('a leads', async () => a.isLeader(), (v) => v, 20_000, 50);
      const b = make('one-of-two', 'b', bClient);
      const bLog = leading(b);
      const first = await readLease(host, 'one-of-two');
      expect(first.spec).to.include({ holderIdentity: 'a', leaseDurationSeconds: 3, leaseTransitions: 0 });
      const renewals = async () => sample(await registry.metrics(), 'mcdns_lease_renew_duration_seconds_count', { result: 'success' }) ?? 0;
      const renewedBefore = await renewals();
      // Three lease durations: b would have taken over if a's renewals did not count.
      await sleep(9_000);
      // a renews every retry period (0.4 s), each renewal timed for the operator.
      expect((await renewals()) - renewedBefore).to.be.at.least(5);
      const later = await readLease(host, 'one-of-two');
      expect(later.spec?.holderIdentity).to.equal('a');
      expect(new Date(later.spec!.renewTime!).getTime()).to.be.greaterThan(new Date(first.spec!.renewTime!).getTime());
      expect(bClient.writes, 'the follower wrote the Lease').to.equal(0);
      expect(b.isLeader()).to.equal(false);
      expect(b.currentLeader).to.equal('a');
      expect(aLog).to.deep.equal(['started']);
      expect(bLog).to.deep.equal([]);
    });

    it('hands over after the lease duration when the leader dies, counting the transition', async () => {
      const a = make('dies', 'a');
      leading(a);
      await eventually('a leads', async () => a.isLeader(), (v) => v, 20_000, 50);
      const b = make('dies', 'b');
      const bLog = leading(b);
      await sleep(1_000);
      const t0 = Date.now();
      await a.abandon(); // no release: a crash
      await eventually('b leads', async () => b.isLeader(), (v) => v, 20_000, 50);
      const took = Date.now() - t0;
      const lease = await readLease(host, 'dies');
      expect(lease.spec).to.include({ holderIdentity: 'b', leaseTransitions: 1 });
      expect(bLog).to.deep.equal(['started']);
      // Never before the lease could have expired on b's clock (renewed at most one retry
      // period before the crash), and within lease duration + jittered retry period.
      console.log(`      takeover after a crash (3 s lease): ${took} ms`);
      expect(took).to.be.at.least(3000 - 400 - 1000);
    });

    it('releases the Lease on stop so that a successor takes over without waiting for expiry', async () => {
      const a = make('released', 'a');
      const aLog = leading(a);
      await eventually('a leads', async () => a.isLeader(), (v) => v, 20_000, 50);
      const b = make('released', 'b');
      leading(b);
      await sleep(500);
      await a.stop({ release: true });
      expect(a.isLeader()).to.equal(false);
      expect(aLog).to.deep.equal(['started', 'stopped: shutting down']);
      const released = await readLease(host, 'released');
      // Either still released or already taken by b: never a again.
      expect(released.spec?.holderIdentity).to.be.oneOf(['', 'b']);
      if (released.spec?.holderIdentity === '') expect(released.spec.leaseDurationSeconds).to.equal(1);
      await eventually('b leads', async () => b.isLeader(), (v) => v, 20_000, 50);
    });

    it('stops leading at once when the Lease names someone else, and by the renew deadline when it cannot renew', async () => {
      const client = cuttable(apiLeaseClient(host));
      const a = make('lost', 'a', client);
      const aLog = leading(a);
      await eventually('a leads', async () => a.isLeader(), (v) => v, 20_000, 50);

      // Someone else overwrote the Lease (what a successor does after a's lease expired).
      const api = host.makeApiClient(CoordinationV1Api);
      const lease = await api.readNamespacedLease({ namespace: LEASE_NS, name: 'lost' });
      await api.replaceNamespacedLease({
        namespace: LEASE_NS,
        name: 'lost',
        body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', leaseDurationSeconds: 30 } },
      });
      await eventually('a steps down', async () => aLog.length, (n) => n === 2, 20_000, 50);
      expect(aLog[1]).to.match(/held by intruder/);
      expect(a.isLeader()).to.equal(false);

      // A fresh leader that is then cut off from the API server.
      const b = make('cut-off', 'b', client);
      client.cut = false;
      const bLog = leading(b);
      await eventually('b leads', async () => b.isLeader(), (v) => v, 20_000, 50);
      client.cut = true;
      const cutAt = Date.now();
      await eventually('b steps down', async () => b.isLeader(), (v) => !v, 20_000, 20);
      const gateClosedAfter = Date.now() - cutAt;
      await eventually('b reports it', async () => bLog.length, (n) => n === 2, 20_000, 20);
      expect(bLog[1]).to.match(/renew deadline/);
      // The gate closes before the lease (3 s) could expire for anyone else: renew deadline 2 s
      // after the last renewal, which was at most one retry period (400 ms) before the cut.
      console.log(`      write gate closed ${gateClosedAfter} ms after the API server became unreachable (lease 3 s, deadline 2 s)`);
      expect(gateClosedAfter).to.be.below(3000);
    });
  });

  describe('two `mcdns run --leader-elect` processes (15 s lease, the default)', () => {
    const NS = 'fed-namespace';
    const RECORD = 'web';
    const NAME = 'web.example.org';
    interface Replica {
      label: string;
      handle: McdnsHandle;
      metrics: string;
      identity: string;
    }
    const replicas: Replica[] = [];
    let leader: Replica;
    let follower: Replica;
    let takeoverMs = 0;

    const startReplica = async (label: string): Promise<Replica> => {
      const port = await freePort();
      const handle = startMcdns([
        ...bedFlags(bed, ['member1']),
        '--leader-elect',
        `--leader-election-namespace=${LEASE_NS}`,
        `--metrics-address=127.0.0.1:${port}`,
        '--offline-grace=5s',
        '--heartbeat-interval=1s',
      ]);
      const identity = await eventually(
        `${label} logs its identity`,
        async () => {
          for (const line of handle.logs().split('\n')) {
            if (!line.startsWith('{')) continue;
            const entry = JSON.parse(line) as { message?: string; leaderElection?: { identity?: string } };
            if (entry.message === 'mcdns started') return entry.leaderElection?.identity ?? '';
          }
          if (!handle.process.running) throw new Error(`exited: ${handle.logs()}`);
          return '';
        },
        (id) => id !== '',
        30_000,
      );
      const r = { label, handle, metrics: `127.0.0.1:${port}`, identity };
      replicas.push(r);
      return r;
    };
    const scrape = async (r: Replica): Promise<string> => (await fetch(`http://${r.metrics}/metrics`)).text();
    const isLeader = async (r: Replica) => sample(await scrape(r), 'mcdns_leader') === 1;
    const writesOf = async (r: Replica): Promise<number> => {
      const text = await scrape(r);
      return text
        .split('\n')
        .filter((l) => l.startsWith('mcdns_host_writes_total{'))
        .reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    };
    const dnsEndpoint = async () =>
      (await host.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
        group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: NS, plural: 'dnsendpoints', name: `ingress-${RECORD}`,
      })) as DNSEndpoint;
    const targets = (ep: DNSEndpoint) => (ep.spec.endpoints ?? []).flatMap((e) => e.targets).join(',');

    before(async () => {
      for (const crd of ['ingressdnsrecords', 'servicednsrecords', 'domains']) {
        await bed.apply('host', readFileSync(`manifests/crds/${crd}.multiclusterdns.kubefed.io.yaml`, 'utf8'));
      }
      for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
      await putIngress(bed.kubeConfig('member1'), NS, RECORD, [NAME], ['127.0.0.11']);
      const [a, b] = await Promise.all([startReplica('a'), startReplica('b')]);
      const lease = await eventually('a Lease holder', () => readLease(host, 'mcdns'), (l) => !!l.spec?.holderIdentity, 60_000);
      leader = lease.spec?.holderIdentity === a!.identity ? a! : b!;
      follower = leader === a ? b! : a!;
    });

    after(async function () {
      if (this.currentTest?.state === 'failed' || process.env.MCDNS_E2E_LOGS) {
        for (const r of replicas) console.log(`---- replica ${r.label} (${r.identity})\n${r.handle.logs()}`);
      }
      await Promise.all(replicas.map((r) => r.handle.stop()));
    });

    it('lets only the Lease holder reconcile and write; the follower makes no write at all', async () => {
      await eventually('leader reports mcdns_leader 1', () => isLeader(leader), (v) => v, 60_000);
      expect(await isLeader(follower)).to.equal(false);
      await bed.apply('host', `apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: IngressDNSRecord
metadata: {name: ${RECORD}, namespace: ${NS}}
spec: {hosts: [${NAME}], recordTTL: 60}
`);
      const ep = await eventually('DNSEndpoint', dnsEndpoint, (e) => targets(e) === '127.0.0.11', 60_000);
      expect(ep.metadata.generation).to.equal(1);
      // Let the status write land too (a first publish records no Event), then compare the two replicas.
      await eventually('leader wrote DNSEndpoint and status', () => writesOf(leader), (n) => n >= 2, 30_000);
      expect(await writesOf(follower), 'writes by the follower').to.equal(0);
      expect(follower.handle.logs()).not.to.match(/"message":"status updated"/);

      // What an operator scrapes from the leader.
      const text = await scrape(leader);
      expect(sample(text, 'mcdns_leader')).to.equal(1);
      expect(sample(text, 'mcdns_reconcile_total', { kind: 'IngressDNSRecord', result: 'success' })).to.be.at.least(1);
      expect(sample(text, 'mcdns_reconcile_duration_seconds_count', { kind: 'IngressDNSRecord' })).to.be.at.least(1);
      expect(sample(text, 'mcdns_workqueue_depth')).to.be.a('number');
      expect(sample(text, 'mcdns_clusters', { state: 'online' })).to.equal(1);
      expect(sample(text, 'mcdns_records', { kind: 'IngressDNSRecord', condition: 'Ready', status: 'True', reason: 'Published' })).to.equal(1);
      expect(sample(text, 'mcdns_endpoints_published', { kind: 'IngressDNSRecord' })).to.equal(1);
      expect(sample(text, 'mcdns_host_writes_total', { resource: 'dnsendpoints', verb: 'create', result: 'success' })).to.equal(1);
      expect(sample(text, 'mcdns_events_total', { type: 'Normal', reason: 'Published' }) ?? 0, 'a routine first publish records no Event').to.equal(0);
      for (const declared of ['mcdns_provider_requests_total', 'mcdns_provider_request_duration_seconds', 'mcdns_probe_total', 'mcdns_lease_renew_duration_seconds']) {
        expect(text).to.contain(`# TYPE ${declared} `);
      }
      // The follower is a ready, warm standby.
      expect((await fetch(`http://${follower.metrics}/readyz`)).status).to.equal(200);
      expect(sample(await scrape(follower), 'mcdns_clusters', { state: 'online' })).to.equal(1);
    });

    it('after kill -9 of the leader, the follower takes over within the lease duration plus one retry period and applies a change made in between exactly once', async () => {
      const before = await dnsEndpoint();
      const killedAt = Date.now();
      process.kill(-leader.handle.process.pid!, 'SIGKILL');
      // A load-balancer change while nobody leads: it must not be lost.
      await setIngressAddresses(bed.kubeConfig('member1'), NS, RECORD, ['127.0.0.12']);
      await eventually('the follower leads', () => isLeader(follower), (v) => v, 60_000, 100);
      takeoverMs = Date.now() - killedAt;
      console.log(`      takeover after kill -9 (15 s lease): ${takeoverMs} ms`);
      const lease = await readLease(host, 'mcdns');
      expect(lease.spec?.holderIdentity).to.equal(follower.identity);
      expect(lease.spec?.leaseTransitions).to.equal(1);
      // Not before the dead leader's lease expired (it renewed at most a retry period, 2 s,
      // before the kill): two leaders never overlap.
      expect(takeoverMs).to.be.at.least(15_000 - 2_000 - 1_000);
      // Within the lease duration plus the follower's observation lag (at most one retry
      // period, 2.4 s); the bound is generous for a loaded machine.
      expect(takeoverMs).to.be.below(15_000 + 2_400 + 10_000);

      const after = await eventually('DNSEndpoint follows the change', dnsEndpoint, (e) => targets(e) === '127.0.0.12', 60_000);
      await eventually('status follows', async () => {
        const r = (await host.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
          group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'ingressdnsrecords', name: RECORD,
        })) as { status?: { targets?: string[] } };
        return r.status?.targets?.join(',');
      }, (t) => t === '127.0.0.12', 30_000);
      expect(after.metadata.generation, 'exactly one spec write for one change').to.equal((before.metadata.generation ?? 0) + 1);
      const text = await scrape(follower);
      expect(sample(text, 'mcdns_host_writes_total', { resource: 'dnsendpoints', verb: 'update', result: 'success' })).to.equal(1);
      expect(sample(text, 'mcdns_host_writes_total', { resource: 'dnsendpoints', verb: 'create', result: 'success' })).to.equal(undefined);
    });

    it('on SIGTERM the leader releases the Lease, exits 0, and a standby takes over without waiting for expiry', async () => {
      const standby = await startReplica('c');
      await eventually('c ready', async () => (await fetch(`http://${standby.metrics}/readyz`)).status, (s) => s === 200, 60_000);
      const current = follower; // the leader since the last test
      const before = await readLease(host, 'mcdns');
      const t0 = Date.now();
      await current.handle.stop();
      expect(current.handle.process.exitDescription).to.equal('exit code 0');
      expect(current.handle.logs()).to.match(/"message":"leader election: released the Lease"/);
      await eventually('c leads', () => isLeader(standby), (v) => v, 60_000, 100);
      const handover = Date.now() - t0;
      console.log(`      handover after SIGTERM: ${handover} ms`);
      const lease = await readLease(host, 'mcdns');
      expect(lease.spec?.holderIdentity).to.equal(standby.identity);
      expect(lease.spec?.leaseTransitions).to.equal((before.spec?.leaseTransitions ?? 0) + 1);
      // A released Lease is taken at the standby's next retry (about 2 s), not after 15 s.
      expect(handover).to.be.below(15_000);
      // The new leader finds nothing to change: not in DNS, not in status (health verdicts that
      // did not change keep the time already written), nothing to announce.
      await sleep(3_000);
      const text = await scrape(standby);
      const writeLines = text.split('\n').filter((l) => l.startsWith('mcdns_host_writes_total{'));
      expect(writeLines, 'writes by the new leader').to.deep.equal([]);
    });
  });
});
