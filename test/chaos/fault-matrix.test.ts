// The fault matrix (docs/operations.md "Faults"): real API servers, etcd, PowerDNS and the built
// controller writing PowerDNS directly and DNSEndpoints, 24 records on 2 members, one fault per
// test. Each row samples the zone straight from PowerDNS while the fault lasts and judges:
// survived, records lost (a target that should have stayed went missing, at any moment), foreign
// records touched (rrsets seeded by "someone else", compared byte for byte), stale records left
// (a target that should not be there, at any moment — a resurrection — or at the end, in
// PowerDNS or a DNSEndpoint), recovery seconds (fault end → the zone is right and stays right).
// A row fails on any loss, touch, stale record or resurrection; the table is printed at the end.
import { expect } from 'chai';
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { IngressDNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { startLoadBalancers, type FakeLoadBalancer } from '../env/fake-lb.js';
import { sleep } from '../env/process.js';
import { ensureNamespace, eventually, installMcdnsCrds, putIngress, setIngressAddresses } from '../env/workloads.js';
import { isLeader, isReady, kill9, leaderOf, LEASE_NS, OWNER, startReplica, stopReplica, writesSince, type Replica, type ReplicaOptions } from './controllers.js';
import { compare, judge, readDnsEndpoints, readZone, table, ZoneSampler, type Expected, type RowResult, type ZoneView } from './matrix.js';

const NS = 'chaos';
const ZONE = 'example.org';
const MEMBERS = ['member1', 'member2'] as const;
type Member = (typeof MEMBERS)[number];
const PLAIN = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
const PROBED = ['h0', 'h1', 'h2', 'h3'];
/** The probed records' load balancers, one per member. */
const LB: Record<Member, string> = { member1: '127.0.0.21', member2: '127.0.0.22' };
const LEASE_S = 5;

// Rrsets others own in the same zone: none may change by a byte.
const FOREIGN = [
  { name: `foreign-plain.${ZONE}.`, type: 'A', records: ['192.0.2.1'] },
  { name: `foreign-owned.${ZONE}.`, type: 'A', records: ['192.0.2.2'] },
  { name: `a-foreign-owned.${ZONE}.`, type: 'TXT', records: ['"heritage=external-dns,external-dns/owner=team-x,external-dns/resource=ingress/default/foreign-owned"'] },
  { name: `c20.${ZONE}.`, type: 'A', records: ['192.0.2.3'] },
  { name: `www6.${ZONE}.`, type: 'AAAA', records: ['2001:db8::1'] },
  { name: `mail.${ZONE}.`, type: 'MX', records: ['10 mx.example.net.'] },
];
const FOREIGN_KEYS = new Set(FOREIGN.map((f) => `${f.name.replace(/\.$/, '')} ${f.type}`));

describe('fault matrix: real servers, one fault per row', function () {
  this.timeout(600_000);
  let bed: Bed;
  let lbs: FakeLoadBalancer[] = [];
  const rows: RowResult[] = [];
  const everyReplica: Replica[] = [];
  let active: Replica[] = [];
  let suiteStart = Date.now();

  // What the members publish, and so what DNS should hold.
  const addr: Record<Member, Map<string, string>> = { member1: new Map(), member2: new Map() };
  for (const r of PLAIN) {
    addr.member1.set(r, '127.0.0.11');
    addr.member2.set(r, '127.0.0.12');
  }
  const online: Record<Member, boolean> = { member1: true, member2: true };
  const lbUp: Record<string, boolean> = { [LB.member1]: true, [LB.member2]: true };
  const lastHealthy = new Map<string, string[]>();
  const fqdn = (r: string) => `${r}.${ZONE}`;

  function expected(): Expected {
    const e: Expected = new Map();
    for (const r of PLAIN) e.set(fqdn(r), [...new Set(MEMBERS.filter((m) => online[m]).map((m) => addr[m].get(r)!))].sort());
    for (const h of PROBED) {
      const healthy = MEMBERS.filter((m) => online[m] && lbUp[LB[m]]).map((m) => LB[m]).sort();
      // Fail-open: all unhealthy together → the set published while some were healthy.
      if (healthy.length > 0) lastHealthy.set(fqdn(h), healthy);
      e.set(fqdn(h), healthy.length > 0 ? healthy : (lastHealthy.get(fqdn(h)) ?? []));
    }
    return e;
  }

  const zone = (): Promise<ZoneView> => readZone(bed.powerdns!, ZONE, OWNER, FOREIGN_KEYS);
  const endpoints = () => readDnsEndpoints(bed.kubeConfig(bed.host), NS);
  const matches = (want: Expected, have: Map<string, string[]>) => {
    const d = compare(want, have);
    return d.lost.size === 0 && d.stale.size === 0;
  };
  const converged = async (want = expected()) => matches(want, (await zone()).a) && matches(want, (await endpoints()).a);
  const waitConverged = (what: string, timeoutMs = 90_000) => eventually(what, () => converged(), (ok) => ok, timeoutMs, 250);

  const start = async (label: string, opts: ReplicaOptions = {}): Promise<Replica> => {
    const r = await startReplica(bed, label, opts);
    everyReplica.push(r);
    return r;
  };
  const setAddresses = async (member: Member, records: string[], ip: string) => {
    await Promise.all(records.map((r) => setIngressAddresses(bed.kubeConfig(member), NS, r, [ip])));
    for (const r of records) addr[member].set(r, ip);
  };
  const record = async (name: string) =>
    (await bed.kubeConfig(bed.host).makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'ingressdnsrecords', name,
    })) as IngressDNSRecord;

  interface Run {
    /** When the fault ended (recovery is measured from here). */
    faultEnd: number;
    notes: string[];
    failures: string[];
  }

  /**
   * One row: snapshot, sample the zone while `fault` runs, wait for the zone and DNSEndpoints to
   * be what the model says, keep sampling `stableMs` more, judge, and fail on any finding.
   */
  async function row(
    name: string,
    opts: { mayDrop?: (n: string, at: number) => string[]; stableMs?: number },
    fault: (run: Run) => Promise<void>,
  ): Promise<void> {
    const pre = expected();
    const foreignBefore = (await zone()).foreign;
    const t0 = Date.now();
    const sampler = new ZoneSampler(zone, 250);
    const run: Run = { faultEnd: t0, notes: [], failures: [] };
    let error: unknown;
    try {
      await fault(run);
    } catch (e) {
      error = e;
      run.failures.push(`fault step: ${(e as Error).message.split('\n')[0]}`);
    }
    const post = expected();
    let settled = true;
    try {
      await eventually(`${name}: zone and DNSEndpoints as expected`, () => converged(post), (ok) => ok, 90_000, 250);
    } catch {
      settled = false;
      const [z, d] = await Promise.all([zone(), endpoints()]);
      for (const [where, have] of [['PowerDNS', z.a], ['DNSEndpoints', d.a]] as const) {
        const diff = compare(post, have);
        const what = [...diff.lost, ...diff.stale].map(([n, w]) => `${n} ${w}`);
        if (what.length > 0) run.failures.push(`${where} 90 s after the fault: ${what.slice(0, 3).join('; ')}${what.length > 3 ? ` (+${what.length - 3})` : ''}`);
      }
    }
    await sleep(opts.stableMs ?? 1500);
    await sampler.stop();
    const [z, d] = await Promise.all([zone(), endpoints()]);
    const alive = active.length > 0 && active.every((r) => r.handle.process.running);
    const result = judge(name, {
      pre,
      post,
      mayDrop: opts.mayDrop,
      faultEnd: run.faultEnd,
      samples: sampler.samples,
      zone: z,
      dnsEndpoints: d.a,
      foreignBefore,
      survived: settled && alive,
      writes: everyReplica.reduce((n, r) => n + writesSince(r, t0), 0),
      notes: run.notes,
      failures: run.failures,
    });
    rows.push(result);
    console.log(`      ${name}: recovery ${result.recoveryS?.toFixed(1) ?? 'never'} s, ${result.writes} DNS writes${result.notes.length ? `; ${result.notes.join('; ')}` : ''}`);
    if (result.failures.length > 0) {
      for (const r of active) console.log(`---- ${r.label} log\n${r.handle.logs().split('\n').slice(-40).join('\n')}`);
    }
    if (error) throw error;
    expect(result.failures, name).to.deep.equal([]);
  }

  /** Restarting a single replica, or replacing the set: the old ones stop gracefully. */
  async function replaceActive(...next: Array<[string, ReplicaOptions?]>): Promise<void> {
    await Promise.all(active.map(stopReplica));
    active = [];
    for (const [label, opts] of next) active.push(await start(label, opts));
    await eventually('replicas ready', () => Promise.all(active.map(isReady)), (r) => r.every(Boolean), 90_000, 100);
  }

  before(async () => {
    suiteStart = Date.now();
    lbs = await startLoadBalancers([LB.member1, LB.member2], 'tcp');
    bed = await startBed({ members: [...MEMBERS], externalDns: false });
    await installMcdnsCrds((m) => bed.apply(bed.host, m));
    for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
    await ensureNamespace(bed.kubeConfig(bed.host), LEASE_NS);
    for (const m of MEMBERS) {
      await Promise.all([
        ...PLAIN.map((r) => putIngress(bed.kubeConfig(m), NS, r, [fqdn(r)], [addr[m].get(r)!])),
        ...PROBED.map((h) => putIngress(bed.kubeConfig(m), NS, h, [fqdn(h)], [LB[m]])),
      ]);
    }
    await bed.powerdns!.api('PATCH', `/servers/localhost/zones/${ZONE}.`, {
      rrsets: FOREIGN.map((f) => ({ name: f.name, type: f.type, ttl: 60, changetype: 'REPLACE', records: f.records.map((content) => ({ content, disabled: false })) })),
    });
    const check = `{protocol: tcp, port: ${lbs[0]!.port}, intervalSeconds: 1, timeoutSeconds: 1, failureThreshold: 2, successThreshold: 1}`;
    const yaml = [...PLAIN, ...PROBED]
      .map((r) => `apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: IngressDNSRecord
metadata: {name: ${r}, namespace: ${NS}}
spec:
  hosts: [${fqdn(r)}]
  recordTTL: 30
${PROBED.includes(r) ? `  healthCheck: ${check}\n` : ''}`)
      .join('---\n');
    await bed.apply(bed.host, yaml);
    active = [await start('mcdns-0')];
    await waitConverged('first publication', 120_000);
  });

  after(async () => {
    const seconds = ((Date.now() - suiteStart) / 1000).toFixed(0);
    console.log(`\nFault matrix (${rows.length} rows, ${PLAIN.length + PROBED.length} records on ${MEMBERS.length} members, suite ${seconds} s):\n${table(rows)}\n`);
    await Promise.all(everyReplica.map(stopReplica));
    await bed?.stop();
    await Promise.all(lbs.map((lb) => lb.down()));
  });

  it('restart with nothing changed: zero PowerDNS writes, zero DNSEndpoint updates', async () => {
    await row('restart, nothing changed', {}, async (run) => {
      const before = (await endpoints()).versions;
      await replaceActive(['mcdns-1']);
      run.faultEnd = Date.now();
      await eventually('ready', async () => (await fetch(`http://${active[0]!.metrics}/readyz`)).status, (s) => s === 200, 60_000);
      await sleep(4_000);
      const writes = writesSince(active[0]!, 0);
      const after = (await endpoints()).versions;
      const updated = [...before].filter(([n, v]) => after.get(n) !== v).length;
      run.notes.push(`${writes} PowerDNS writes, ${updated} DNSEndpoint updates after the restart`);
      if (writes > 0) run.failures.push(`${writes} PowerDNS writes after a restart with nothing changed`);
      if (updated > 0) run.failures.push(`${updated} DNSEndpoints updated after a restart with nothing changed`);
    });
  });

  it('PowerDNS down 30 s: nothing lost, the change made meanwhile lands after, no stale Published', async () => {
    await row('PowerDNS down 30 s', {}, async (run) => {
      const proxy = active[0]!.pdns;
      await proxy.setDown(true);
      const changed = PLAIN.slice(0, 5);
      await setAddresses('member1', changed, '127.0.0.13');
      await sleep(30_000);
      // Ready must not claim Published for a change PowerDNS never got.
      const claims = (await Promise.all(changed.map(record))).filter((r) => {
        const ready = r.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'True' && !(r.status?.targets ?? []).includes('127.0.0.13');
      });
      const reasons = (await Promise.all(changed.map(record))).map((r) => r.status?.conditions?.find((c) => c.type === 'Ready')?.reason);
      run.notes.push(`Ready during the outage: ${[...new Set(reasons)].join(',')}`);
      if (claims.length > 0) run.failures.push(`${claims.length} records said Ready=True while PowerDNS lacked their change`);
      await proxy.setDown(false);
      run.faultEnd = Date.now();
    });
  });

  it('PowerDNS slow (every API call held 3 s): a change still lands, nothing lost', async () => {
    await row('PowerDNS slow (3 s per call)', {}, async (run) => {
      const proxy = active[0]!.pdns;
      proxy.setDelay(3_000);
      const t = Date.now();
      await setAddresses('member1', PLAIN.slice(5, 10), '127.0.0.13');
      await waitConverged('the change through a slow PowerDNS');
      run.notes.push(`change landed ${((Date.now() - t) / 1000).toFixed(1)} s after it was made, while slow`);
      proxy.setDelay(0);
      run.faultEnd = Date.now();
    });
  });

  it('host API server restart: DNS keeps serving, a member change made meanwhile lands', async () => {
    await row('host API server restart', {}, async (run) => {
      const host = bed.apiServer(bed.host);
      await host.stop();
      await setAddresses('member1', PLAIN.slice(10, 15), '127.0.0.13');
      await sleep(3_000);
      run.faultEnd = Date.now();
      await host.start();
    });
  });

  it('host etcd paused 10 s (SIGSTOP/SIGCONT): nothing lost, the next change lands', async () => {
    await row('host etcd paused 10 s', {}, async (run) => {
      const pid = bed.etcd.process.pid!;
      process.kill(-pid, 'SIGSTOP');
      try {
        await sleep(10_000);
      } finally {
        process.kill(-pid, 'SIGCONT');
      }
      run.faultEnd = Date.now();
      await eventually('member API answers', () => bed.apiServer('member1').isReady(), (ok) => ok, 60_000);
      await setAddresses('member1', PLAIN.slice(15, 20), '127.0.0.13');
    });
  });

  it('all targets failing together: fail-open keeps the whole set, nothing changes in DNS', async () => {
    // Once they answer again, each returns as its own probe passes: until the last one has, the
    // name lists those that passed (fail-open is over as soon as one is healthy).
    const recovering = (run: { faultEnd: number }) => (_: string, at: number) => (at >= run.faultEnd ? [LB.member1, LB.member2] : []);
    const run0 = { faultEnd: Number.MAX_SAFE_INTEGER };
    await row('all targets failing together', { mayDrop: recovering(run0) }, async (run) => {
      await Promise.all(lbs.map((lb) => lb.down()));
      // Three detection windows (interval 1 s × failureThreshold 2).
      await sleep(6_000);
      const r = await record(PROBED[0]!);
      run.notes.push(`while down: Ready ${r.status?.conditions?.find((c) => c.type === 'Ready')?.reason}`);
      await Promise.all(lbs.map((lb) => lb.up()));
      run.faultEnd = Date.now();
      run0.faultEnd = run.faultEnd;
    });
  });

  it('mcdns kill -9 mid-batch: the successor completes the batch, nothing lost or doubled', async () => {
    await row('mcdns kill -9 mid-batch', {}, async (run) => {
      const victim = active[0]!;
      victim.pdns.setDelay(1_500, { writesOnly: true });
      await setAddresses('member2', PLAIN, '127.0.0.14');
      await eventually('a PowerDNS write in flight', async () => victim.pdns.writesInFlight(), (n) => n > 0, 30_000, 10);
      run.notes.push(`killed with ${victim.pdns.writesInFlight()} write(s) in flight`);
      kill9(victim);
      run.faultEnd = Date.now();
      active = [await start('mcdns-2')];
    });
  });

  it('restart with targets already pruned: no resurrection, zero writes', async () => {
    await Promise.all(lbs.filter((lb) => lb.address === LB.member2).map((lb) => lb.down()));
    lbUp[LB.member2] = false;
    await waitConverged(`${LB.member2} pruned`);
    await row('restart with targets already pruned', { stableMs: 3_000 }, async (run) => {
      kill9(active[0]!);
      active = [await start('mcdns-3')];
      run.faultEnd = Date.now();
      await sleep(6_000);
      const writes = writesSince(active[0]!, 0);
      run.notes.push(`${writes} PowerDNS writes by the restarted controller`);
      if (writes > 0) run.failures.push(`${writes} PowerDNS writes after a restart with nothing changed`);
    });
    await Promise.all(lbs.map((lb) => lb.up()));
    lbUp[LB.member2] = true;
    await waitConverged(`${LB.member2} back`);
  });

  it('member API server down past the offline grace (5 s), mcdns restarted meanwhile: its targets leave, and come back', async () => {
    const grace = { extra: ['--offline-grace=5s'] };
    await replaceActive(['mcdns-4', grace]);
    const member2Targets = [...addr.member2.values(), LB.member2];
    await row('member API server down past the grace', { mayDrop: () => member2Targets }, async (run) => {
      const member = bed.apiServer('member2');
      const t = Date.now();
      await member.stop();
      online.member2 = false;
      await waitConverged('member2 targets out');
      run.notes.push(`member2's targets left DNS ${((Date.now() - t) / 1000).toFixed(1)} s after its API server stopped`);
      // A controller that starts while the member is down must still take it back when it returns.
      kill9(active[0]!);
      active = [await start('mcdns-5', grace)];
      await eventually('mcdns-5 ready', () => isReady(active[0]!), (ok) => ok, 60_000, 100);
      run.faultEnd = Date.now();
      await member.start();
      online.member2 = true;
    });
  });

  describe('two replicas with --leader-elect (5 s lease)', () => {
    before(async () => {
      await replaceActive(['le-a', { leaderElect: true, leaseSeconds: LEASE_S }]);
      await leaderOf(active);
      active.push(await start('le-b', { leaderElect: true, leaseSeconds: LEASE_S }));
      await waitConverged('the leader in charge');
    });

    it('takeover with nothing changed, a target already pruned: no resurrection, zero PowerDNS writes, zero DNSEndpoint updates', async () => {
      await Promise.all(lbs.filter((lb) => lb.address === LB.member2).map((lb) => lb.down()));
      lbUp[LB.member2] = false;
      await waitConverged(`${LB.member2} pruned`);
      await row('takeover, nothing changed (a target pruned)', { stableMs: 3_000 }, async (run) => {
        const leader = await leaderOf(active);
        const follower = active.find((r) => r !== leader)!;
        const before = (await endpoints()).versions;
        const t = Date.now();
        await stopReplica(leader);
        active = [follower];
        await eventually('the follower leads', () => isLeader(follower), (v) => v, 60_000, 100);
        run.faultEnd = Date.now();
        await sleep(4_000);
        const writes = writesSince(follower, t);
        const after = (await endpoints()).versions;
        const updated = [...before].filter(([n, v]) => after.get(n) !== v).length;
        run.notes.push(`${writes} PowerDNS writes, ${updated} DNSEndpoint updates after the takeover`);
        if (writes > 0) run.failures.push(`${writes} PowerDNS writes after a takeover with nothing changed`);
        if (updated > 0) run.failures.push(`${updated} DNSEndpoints updated after a takeover with nothing changed`);
      });
      await Promise.all(lbs.map((lb) => lb.up()));
      lbUp[LB.member2] = true;
      await waitConverged(`${LB.member2} back`);
      active.push(await start('le-c', { leaderElect: true, leaseSeconds: LEASE_S }));
    });

    it('leader kill -9: the follower takes over after the lease and applies the change made meanwhile', async () => {
      await row('leader kill -9', {}, async (run) => {
        const leader = await leaderOf(active);
        const follower = active.find((r) => r !== leader)!;
        kill9(leader);
        run.faultEnd = Date.now();
        active = [follower];
        await setAddresses('member2', PLAIN.slice(0, 5), '127.0.0.15');
        await eventually('the follower leads', () => isLeader(follower), (v) => v, 60_000, 100);
        run.notes.push(`takeover after ${((Date.now() - run.faultEnd) / 1000).toFixed(1)} s`);
      });
      active.push(await start('le-d', { leaderElect: true, leaseSeconds: LEASE_S }));
    });

    it('leader SIGTERM: releases the Lease, exits 0, the standby applies the change made meanwhile', async () => {
      await row('leader SIGTERM', {}, async (run) => {
        const leader = await leaderOf(active);
        const follower = active.find((r) => r !== leader)!;
        run.faultEnd = Date.now();
        const stopping = leader.handle.stop();
        await setAddresses('member2', PLAIN.slice(5, 10), '127.0.0.15');
        await stopping;
        active = [follower];
        run.notes.push(`old leader ${leader.handle.process.exitDescription}`);
        if (leader.handle.process.exitDescription !== 'exit code 0') run.failures.push(`SIGTERM: ${leader.handle.process.exitDescription}`);
        await eventually('the standby leads', () => isLeader(follower), (v) => v, 60_000, 100);
        run.notes.push(`takeover after ${((Date.now() - run.faultEnd) / 1000).toFixed(1)} s`);
      });
      active.push(await start('le-e', { leaderElect: true, leaseSeconds: LEASE_S }));
    });

    it('Lease lost mid-sync (leader cut off from the host API): it writes nothing after its renew deadline', async () => {
      await leaderOf(active);
      await row('Lease lost mid-sync', {}, async (run) => {
        const leader = await leaderOf(active);
        const follower = active.find((r) => r !== leader)!;
        leader.pdns.setDelay(2_000, { writesOnly: true });
        await setAddresses('member1', PLAIN, '127.0.0.16');
        await eventually('the leader mid-sync', async () => leader.pdns.writesInFlight(), (n) => n > 0, 30_000, 10);
        const cutAt = Date.now();
        leader.host!.cut();
        run.faultEnd = cutAt;
        // Work for the cut-off leader once its renew deadline has passed: it still sees the
        // members, so only its write gate keeps it from PowerDNS.
        await sleep((LEASE_S * 2000) / 3 + 700);
        await setAddresses('member2', PLAIN.slice(0, 5), '127.0.0.17');
        await eventually('the follower leads', () => isLeader(follower), (v) => v, 60_000, 100);
        run.notes.push(`takeover ${((Date.now() - cutAt) / 1000).toFixed(1)} s after the cut`);
        await waitConverged('the new leader finished the sync');
        // Renew deadline: 2/3 of the lease after the last renewal, which was before the cut; a
        // write that passed the gate just before it may reach the proxy a moment later.
        const deadline = cutAt + (LEASE_S * 2000) / 3 + 500;
        const late = writesSince(leader, deadline);
        const total = writesSince(leader, cutAt);
        run.notes.push(`cut-off leader: ${total} write(s) sent after the cut, ${late} after its renew deadline`);
        if (late > 0) run.failures.push(`${late} PowerDNS writes by the deposed leader after its renew deadline`);
        leader.pdns.setDelay(0);
        leader.host!.heal();
        const healed = Date.now();
        await sleep(4_000);
        const afterHeal = writesSince(leader, healed);
        if (afterHeal > 0) run.failures.push(`${afterHeal} PowerDNS writes by the deposed leader after it reconnected`);
        if (await isLeader(leader)) run.failures.push('the deposed leader leads again');
      });
    });
  });
});
