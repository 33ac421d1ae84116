// Scenario "client-failover": failover as clients see it, through a real caching resolver.
//
// Clients do not ask the authoritative server; they ask a recursive resolver that caches each
// answer for its TTL. So the bench puts Debian's unbound (test/env/unbound.ts) between the
// clients and PowerDNS, and times, per trial, from the fault until a client asking unbound no
// longer gets the dead address:
//   probeFailure   a member's load balancer stops answering (a real HTTP listener goes away);
//                  its probes fail (1 s × 3) and mcdns takes the address out;
//   readinessLoss  a member's Service loses its last ready endpoint (its EndpointSlice is
//                  updated); mcdns takes the address out without waiting for probes.
// Each is measured with the TTL KubeFed's default gives (recordTTL 180) and with the
// health-aware TTL (no recordTTL: --health-checked-ttl, 30 s).
//
// Realistic but bounded cache state: clients query continuously, so a cached answer is of any
// age when the fault hits. Each trial has its own record and name, fills the resolver's cache
// with its first query, then waits a uniformly random part of the TTL before the fault. All
// trials of both settings run at once on one bed, one controller and one resolver, so the
// 180 s setting takes about 180 s plus the detection window, not 20 × 180 s.
//
// Every server listens on 127.0.0.0/8. The controller is the built CLI on the direct path
// (`mcdns run --provider powerdns --no-dnsendpoints`), as in the "failover" scenario.
import { cpus, loadavg } from 'node:os';
import { Resolver } from 'node:dns/promises';
import type { HealthCheck } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { startLoadBalancers } from '../env/fake-lb.js';
import { bedFlags, startMcdns } from '../env/mcdns.js';
import { startUnbound, type UnboundHandle } from '../env/unbound.js';
import { freePort } from '../env/ports.js';
import { parseSamples } from '../env/prom.js';
import { ensureNamespace, eventually, installMcdnsCrds, putIngress, putLoadBalancerService, setReadyEndpoints } from '../env/workloads.js';
import { summarize } from './stats.js';

export interface ClientFailoverOptions {
  /** Trials per fault and TTL setting (20 for the published figures). */
  trials: number;
  /** The default-style TTL, set as recordTTL (KubeFed's 180 s). */
  defaultTtlS?: number;
  /** --health-checked-ttl in seconds (30). */
  healthCheckedTtlS?: number;
}

/** p50 / p95 / max in milliseconds. */
interface Percentiles {
  p50: number;
  p95: number;
  max: number;
}

interface TtlSettingResult {
  trials: number;
  ttlS: number;
  /** Fault → a client asking the caching resolver stops getting the dead address. */
  probeFailure: Percentiles;
  readinessLoss: Percentiles;
  /** Fault → the address is out of PowerDNS's authoritative answer (what mcdns controls). */
  authoritative: { probeFailure: Percentiles; readinessLoss: Percentiles };
  samplesMs: { probeFailure: number[]; readinessLoss: number[] };
  /**
   * Per sample (same order), the TTL the resolver had left on its cached answer at the fault,
   * in seconds: the client's time is that, unless the cache refreshed before the address left.
   */
  cacheTtlLeftS: { probeFailure: number[]; readinessLoss: number[] };
}

export interface ClientFailoverResult {
  scenario: 'client-failover';
  unit: 'ms';
  resolver: string;
  probe: { intervalSeconds: number; failureThreshold: number; detectionWindowMs: number };
  defaultTtl: TtlSettingResult;
  healthAwareTtl: TtlSettingResult;
  targets: {
    /** Health-aware probeFailure p95 ≤ detection window + TTL + 1 s. */
    clientP95Ms: number;
    /** … and ≤ 1/5 of the default TTL's p95 in the same run. */
    clientP95VsDefaultMs: number;
    /** Readiness loss → out of the authoritative answer, p95. */
    readinessAuthoritativeP95Ms: number;
    met: { clientP95: boolean; clientP95VsDefault: boolean; readinessAuthoritativeP95: boolean };
  };
  machine: { cpus: number; loadavgStart: number[]; loadavgEnd: number[]; note: string };
  /** The controller's event-loop delay while the trials ran (mcdns_event_loop_lag_seconds): how starved it was. */
  controllerEventLoopLagS: { max: number; p99: number };
  durationS: number;
}

const NS = 'bench-client';
const ZONE = 'example.org';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const INTERVAL_S = 1;
const FAILURE_THRESHOLD = 3;

type Setting = 'default' | 'healthAware';

interface Trial {
  setting: Setting;
  kind: 'probeFailure' | 'readinessLoss';
  index: number;
  /** The DNS name the client asks for. */
  name: string;
  /** The address that goes away. */
  dead: string;
  fault(): Promise<void>;
}

interface TrialResult {
  clientMs: number;
  authoritativeMs: number;
  cacheTtlLeftS: number;
}

/** Runs `items` through `fn`, at most `n` at once. */
async function pool<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const pct = (samples: number[]): Percentiles => {
  const s = summarize(samples);
  return { p50: s.p50, p95: s.p95, max: s.max };
};

export async function clientFailoverScenario(opts: ClientFailoverOptions, log: (s: string) => void): Promise<ClientFailoverResult> {
  const started = performance.now();
  const loadavgStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const ttl: Record<Setting, number> = { default: opts.defaultTtlS ?? 180, healthAware: opts.healthCheckedTtlS ?? 30 };
  const n = opts.trials;
  const detectionWindowMs = INTERVAL_S * FAILURE_THRESHOLD * 1000;

  // One healthy load balancer every probed record shares, and one per probe-failure trial.
  const probed = (s: Setting, i: number) => `127.0.${s === 'default' ? 1 : 2}.${i + 1}`;
  const addresses = ['127.0.0.11', ...(['default', 'healthAware'] as const).flatMap((s) => Array.from({ length: n }, (_, i) => probed(s, i)))];
  const lbs = await startLoadBalancers(addresses);
  const lbAt = new Map(lbs.map((lb) => [lb.address, lb] as const));
  const check: HealthCheck = {
    protocol: 'http',
    port: lbs[0]!.port,
    path: '/healthz',
    intervalSeconds: INTERVAL_S,
    timeoutSeconds: 1,
    failureThreshold: FAILURE_THRESHOLD,
    successThreshold: 1,
  };
  let bed: Bed | undefined;
  let unbound: UnboundHandle | undefined;
  let mcdns: ReturnType<typeof startMcdns> | undefined;
  try {
    bed = await startBed({ members: ['member1', 'member2'], externalDns: false });
    const b = bed;
    const pdns = b.powerdns!;
    await installMcdnsCrds((m) => b.apply('host', m));
    for (const c of b.clusters) await ensureNamespace(b.kubeConfig(c), NS);
    const m1 = b.kubeConfig('member1');
    const m2 = b.kubeConfig('member2');

    const trials: Trial[] = [];
    const docs: string[] = [
      `apiVersion: multiclusterdns.kubefed.io/v1alpha1\nkind: Domain\nmetadata: {name: galactic, namespace: ${NS}}\ndomain: ${ZONE}`,
    ];
    for (const s of ['default', 'healthAware'] as const) {
      // The default-style setting states KubeFed's TTL; the health-aware one leaves recordTTL unset.
      const ttlField = s === 'default' ? `  recordTTL: ${ttl.default}\n` : '';
      for (let i = 0; i < n; i++) {
        const pf = `pf-${s === 'default' ? 'd' : 'h'}-${i}`;
        const host = `${pf}.${ZONE}`;
        const dead = probed(s, i);
        docs.push(
          `apiVersion: multiclusterdns.kubefed.io/v1alpha1\nkind: IngressDNSRecord\nmetadata: {name: ${pf}, namespace: ${NS}}\n` +
            `spec:\n  hosts: [${host}]\n${ttlField}  healthCheck: ${JSON.stringify(check)}`,
        );
        trials.push({ setting: s, kind: 'probeFailure', index: i, name: host, dead, fault: () => lbAt.get(dead)!.down() });

        const rl = `rl-${s === 'default' ? 'd' : 'h'}-${i}`;
        const lost = `127.0.${s === 'default' ? 3 : 4}.${i + 1}`;
        docs.push(
          `apiVersion: multiclusterdns.kubefed.io/v1alpha1\nkind: ServiceDNSRecord\nmetadata: {name: ${rl}, namespace: ${NS}}\n` +
            `spec:\n  domainRef: galactic\n${ttlField}`,
        );
        trials.push({
          setting: s,
          kind: 'readinessLoss',
          index: i,
          name: `${rl}.${NS}.galactic.svc.${ZONE}`,
          dead: lost,
          fault: () => setReadyEndpoints(m2, NS, rl, 0),
        });
      }
    }
    log(`members: ${trials.length} Ingresses and Services in each of member1 and member2`);
    await pool(trials, 8, async (t) => {
      const obj = t.name.split('.')[0]!;
      if (t.kind === 'probeFailure') {
        await putIngress(m1, NS, obj, [t.name], ['127.0.0.11']);
        await putIngress(m2, NS, obj, [t.name], [t.dead]);
      } else {
        await putLoadBalancerService(m1, NS, obj, ['127.0.0.31']);
        await putLoadBalancerService(m2, NS, obj, [t.dead]);
      }
    });

    const metricsPort = await freePort();
    const loopLag = async () => {
      const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
      const lag = parseSamples(text, ['mcdns_event_loop_lag_seconds']);
      const at = (q: string) => Math.round((lag.find((x) => x.labels['quantile'] === q)?.value ?? NaN) * 1000) / 1000;
      return { max: at('1'), p99: at('0.99') };
    };
    mcdns = startMcdns(
      [
        ...bedFlags(b),
        `--metrics-address=127.0.0.1:${metricsPort}`,
        '--provider=powerdns',
        `--pdns-server=${pdns.apiUrl}`,
        '--txt-owner-id=mcdns-bench',
        '--no-dnsendpoints',
        `--health-checked-ttl=${ttl.healthAware}s`,
        '--probe-concurrency=16',
        '--log-level=warn',
      ],
      { MCDNS_PDNS_API_KEY: pdns.apiKey },
    );
    await b.apply('host', docs.join('\n---\n'));

    const authoritative = new Resolver({ timeout: 1000, tries: 1 });
    authoritative.setServers([`127.0.0.1:${pdns.port}`]);
    const auth4 = (name: string) => authoritative.resolve4(name).catch(() => [] as string[]);
    log(`waiting for ${trials.length} names with both addresses in PowerDNS`);
    await pool(trials, 8, async (t) => {
      await eventually(`${t.name} with both addresses`, () => auth4(t.name), (a) => a.length === 2 && a.includes(t.dead), 180_000);
    });
    // The TTLs the names were published with, as the resolver will cache them.
    for (const t of [trials.find((x) => x.setting === 'default')!, trials.find((x) => x.setting === 'healthAware')!]) {
      const [rr] = await authoritative.resolve4(t.name, { ttl: true });
      if (rr?.ttl !== ttl[t.setting]) throw new Error(`${t.name}: published with TTL ${rr?.ttl}, expected ${ttl[t.setting]}`);
    }

    unbound = await startUnbound({ zone: ZONE, authoritative: { host: '127.0.0.1', port: pdns.port } });
    const resolver = unbound;
    log(`${resolver.version} on ${resolver.address}:${resolver.port}; ${trials.length} trials at once (TTL ${ttl.default} s and ${ttl.healthAware} s)`);

    await loopLag(); // starts the delay histogram afresh: the next scrape covers the trials only
    let done = 0;
    const results = new Map<Trial, TrialResult>();
    await Promise.all(
      trials.map(async (t) => {
        results.set(t, await runTrial(t, ttl[t.setting], resolver, auth4));
        done++;
        if (done % 10 === 0 || done === trials.length) log(`  ${done}/${trials.length} trials done`);
      }),
    );

    const controllerEventLoopLagS = await loopLag();
    const setting = (s: Setting): TtlSettingResult => {
      const of = (kind: Trial['kind'], field: keyof TrialResult) =>
        trials.filter((t) => t.setting === s && t.kind === kind).map((t) => Math.round(results.get(t)![field]));
      return {
        trials: n,
        ttlS: ttl[s],
        probeFailure: pct(of('probeFailure', 'clientMs')),
        readinessLoss: pct(of('readinessLoss', 'clientMs')),
        authoritative: { probeFailure: pct(of('probeFailure', 'authoritativeMs')), readinessLoss: pct(of('readinessLoss', 'authoritativeMs')) },
        samplesMs: { probeFailure: of('probeFailure', 'clientMs'), readinessLoss: of('readinessLoss', 'clientMs') },
        cacheTtlLeftS: { probeFailure: of('probeFailure', 'cacheTtlLeftS'), readinessLoss: of('readinessLoss', 'cacheTtlLeftS') },
      };
    };
    const defaultTtl = setting('default');
    const healthAwareTtl = setting('healthAware');
    const clientP95Ms = detectionWindowMs + ttl.healthAware * 1000 + 1000;
    const clientP95VsDefaultMs = defaultTtl.probeFailure.p95 / 5;
    const readinessAuthoritativeP95Ms = 1000;
    const readinessAuth = Math.max(defaultTtl.authoritative.readinessLoss.p95, healthAwareTtl.authoritative.readinessLoss.p95);
    return {
      scenario: 'client-failover',
      unit: 'ms',
      resolver: resolver.version,
      probe: { intervalSeconds: INTERVAL_S, failureThreshold: FAILURE_THRESHOLD, detectionWindowMs },
      defaultTtl,
      healthAwareTtl,
      targets: {
        clientP95Ms,
        clientP95VsDefaultMs,
        readinessAuthoritativeP95Ms,
        met: {
          clientP95: healthAwareTtl.probeFailure.p95 <= clientP95Ms && healthAwareTtl.readinessLoss.p95 <= clientP95Ms,
          clientP95VsDefault:
            healthAwareTtl.probeFailure.p95 <= clientP95VsDefaultMs && healthAwareTtl.readinessLoss.p95 <= defaultTtl.readinessLoss.p95 / 5,
          readinessAuthoritativeP95: readinessAuth <= readinessAuthoritativeP95Ms,
        },
      },
      machine: {
        cpus: cpus().length,
        loadavgStart,
        loadavgEnd: loadavg().map((x) => Math.round(x * 100) / 100),
        note: 'all trials of both settings ran at once on one bed, controller and resolver',
      },
      controllerEventLoopLagS,
      durationS: Math.round((performance.now() - started) / 1000),
    };
  } catch (err) {
    if (mcdns) log(mcdns.logs());
    if (unbound) log(unbound.logs());
    throw err;
  } finally {
    await mcdns?.stop();
    await unbound?.stop();
    await bed?.stop();
    await Promise.all(lbs.map((lb) => lb.down()));
  }
}

/**
 * One trial: the client's first query fills the resolver's cache; clients keep asking for a
 * random part of the TTL (the age of the cached answer when the fault hits); then the fault, and
 * the time until the dead address is gone from the authoritative and from the client's answer.
 */
async function runTrial(
  t: Trial,
  ttlS: number,
  resolver: UnboundHandle,
  authoritative: (name: string) => Promise<string[]>,
): Promise<TrialResult> {
  const client = resolver.resolve4;
  await eventually(`${t.name} through the resolver`, () => client(t.name), (a) => a.includes(t.dead), 60_000);
  const faultAt = performance.now() + Math.random() * ttlS * 1000;
  while (performance.now() < faultAt) {
    await client(t.name);
    await sleep(Math.max(0, Math.min(1000, faultAt - performance.now())));
  }
  const cacheTtlLeftS = (await resolver.ttlLeft(t.name)) ?? NaN;
  const t0 = performance.now();
  await t.fault();
  const gone = (a: string[]) => a.length > 0 && !a.includes(t.dead);
  // A cache refreshed just before the address left keeps it one more TTL: 2 × TTL bounds it.
  const deadline = t0 + (2 * ttlS + 30) * 1000;
  const firstGone = async (ask: (name: string) => Promise<string[]>, everyMs: number, where: string): Promise<number> => {
    while (performance.now() < deadline) {
      if (gone(await ask(t.name))) return performance.now() - t0;
      await sleep(everyMs);
    }
    throw new Error(`client-failover: ${t.name}: ${t.dead} still in the ${where} answer ${Math.round((deadline - t0) / 1000)} s after the fault`);
  };
  const [authoritativeMs, clientMs] = await Promise.all([firstGone(authoritative, 50, 'authoritative'), firstGone(client, 250, "resolver's")]);
  return { clientMs, authoritativeMs, cacheTtlLeftS };
}
