// Scenario "failover": how long after a load balancer stops answering its IP leaves the
// authoritative answer (PowerDNS), with probes every 1 s and failureThreshold 3, so a detection
// window of 3 s. Target: p95 ≤ detection window + 1 s on the direct path.
//
// Two paths, each with the same fake load balancers (real HTTP servers on 127.0.0.11 and
// 127.0.0.12, stopped and started by the bench):
//   direct       the built controller (`mcdns run --provider powerdns --no-dnsendpoints`) on the
//                bed's API servers, writing PowerDNS itself.
//   externalDns  the built controller writing the DNSEndpoint that ExternalDNS (--events,
//                --min-event-sync-interval 1s) applies to PowerDNS.
// MCDNS_BENCH_PATHS=direct (or externalDns) runs one path only.
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import type { HealthCheck, IngressDNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns } from '../env/mcdns.js';
import { ensureNamespace, eventually, putIngress } from '../env/workloads.js';
import { startLoadBalancers, type FakeLoadBalancer } from '../env/fake-lb.js';
import { summarize, type Summary } from './stats.js';

type FailoverPath = 'direct' | 'externalDns';

export interface FailoverOptions {
  /** Trials per path (at least 20 for the published figures). */
  trials: number;
  paths?: FailoverPath[];
  intervalSeconds?: number;
  failureThreshold?: number;
}

interface PathResult {
  trials: number;
  /** Load balancer stopped → its IP gone from the authoritative answer. */
  removalMs: Summary;
  /** Load balancer started again → its IP back in the answer. */
  returnMs: Summary;
  samplesMs: number[];
  meetsTarget: boolean;
}

export interface FailoverResult {
  scenario: 'failover';
  probe: { intervalSeconds: number; failureThreshold: number; successThreshold: number; detectionWindowMs: number };
  targetP95Ms: number;
  /** Figures of the direct path (the target's path), or of the only path run. */
  trials: number;
  p50: number;
  p95: number;
  max: number;
  meetsTarget: boolean;
  paths: Partial<Record<FailoverPath, PathResult>>;
  setupMs: Record<string, number>;
}

const NS = 'bench-failover';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function failoverScenario(opts: FailoverOptions, log: (s: string) => void): Promise<FailoverResult> {
  const intervalSeconds = opts.intervalSeconds ?? 1;
  const failureThreshold = opts.failureThreshold ?? 3;
  const successThreshold = 1;
  const detectionWindowMs = intervalSeconds * failureThreshold * 1000;
  const targetP95Ms = detectionWindowMs + 1000;
  const paths = opts.paths ?? pathsFromEnv() ?? ['direct', 'externalDns'];
  const lbs = (await startLoadBalancers(['127.0.0.11', '127.0.0.12'])) as [FakeLoadBalancer, FakeLoadBalancer];
  const check: HealthCheck = {
    protocol: 'http',
    port: lbs[0].port,
    path: '/healthz',
    intervalSeconds,
    timeoutSeconds: 1,
    failureThreshold,
    successThreshold,
  };
  const bed = await startBed({ members: ['member1', 'member2'], externalDnsOptions: { minEventSyncInterval: '1s' } });
  const results: Partial<Record<FailoverPath, PathResult>> = {};
  try {
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${bed.powerdns!.port}`]);
    const answer = (name: string) => resolver.resolve4(name).catch(() => [] as string[]);
    for (const path of paths) {
      log(`path ${path}: ${opts.trials} trials, probe every ${intervalSeconds} s, failureThreshold ${failureThreshold}`);
      const samples = await controllerPath(path, bed, lbs, check, opts.trials, answer, log);
      const removal = summarize(samples.removal);
      results[path] = {
        trials: samples.removal.length,
        removalMs: removal,
        returnMs: summarize(samples.back),
        samplesMs: samples.removal.map(Math.round),
        meetsTarget: removal.p95 <= targetP95Ms,
      };
      log(`  ${path}: p50 ${removal.p50} ms, p95 ${removal.p95} ms, max ${removal.max} ms (target p95 ≤ ${targetP95Ms} ms)`);
    }
  } finally {
    await bed.stop();
    await Promise.all(lbs.map((lb) => lb.down()));
  }
  const main = results.direct ?? results.externalDns;
  if (!main) throw new Error('failover: no path ran');
  return {
    scenario: 'failover',
    probe: { intervalSeconds, failureThreshold, successThreshold, detectionWindowMs },
    targetP95Ms,
    trials: main.trials,
    p50: main.removalMs.p50,
    p95: main.removalMs.p95,
    max: main.removalMs.max,
    meetsTarget: main.meetsTarget,
    paths: results,
    setupMs: bed.timings,
  };
}

function pathsFromEnv(): FailoverPath[] | undefined {
  const raw = process.env['MCDNS_BENCH_PATHS'];
  if (!raw) return undefined;
  const paths = raw.split(',').map((p) => p.trim());
  for (const p of paths) if (p !== 'direct' && p !== 'externalDns') throw new Error(`MCDNS_BENCH_PATHS: unknown path ${p} (direct, externalDns)`);
  return paths as FailoverPath[];
}

type Answer = (name: string) => Promise<string[]>;

/** Stops lb2, times until its IP leaves `name`; starts it again, times until it is back. */
async function trials(
  name: string,
  lb2: FakeLoadBalancer,
  count: number,
  answer: Answer,
  log: (s: string) => void,
): Promise<{ removal: number[]; back: number[] }> {
  const removal: number[] = [];
  const back: number[] = [];
  const waitFor = async (what: string, accept: (a: string[]) => boolean, t0: number): Promise<number> => {
    const deadline = t0 + 60_000;
    while (performance.now() < deadline) {
      if (accept(await answer(name))) return performance.now() - t0;
      await sleep(20);
    }
    throw new Error(`failover: ${what} not seen within 60 s`);
  };
  await eventually(`${name} with both addresses`, () => answer(name), (a) => a.length === 2, 120_000);
  for (let i = 0; i < count; i++) {
    // De-phase from the probe ticks, so the trials sample the whole detection window.
    await sleep(500 + Math.random() * 1000);
    let t0 = performance.now();
    await lb2.down();
    removal.push(await waitFor(`trial ${i}: 127.0.0.12 leaving`, (a) => !a.includes('127.0.0.12') && a.length > 0, t0));
    t0 = performance.now();
    await lb2.up();
    back.push(await waitFor(`trial ${i}: 127.0.0.12 returning`, (a) => a.includes('127.0.0.12'), t0));
    if ((i + 1) % 5 === 0) log(`  ${i + 1}/${count} trials`);
  }
  return { removal, back };
}

function record(name: string, host: string, check: HealthCheck): IngressDNSRecord {
  return {
    apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
    kind: 'IngressDNSRecord',
    metadata: { name, namespace: NS },
    spec: { hosts: [host], recordTTL: 5, healthCheck: check },
  };
}

/**
 * The built controller (`mcdns run`) on the bed's API servers. Direct: it writes PowerDNS
 * itself (--provider powerdns, no DNSEndpoint). ExternalDNS: it writes the DNSEndpoint that
 * ExternalDNS (--events, --min-event-sync-interval 1s) applies to PowerDNS.
 */
async function controllerPath(
  path: FailoverPath,
  bed: Bed,
  lbs: [FakeLoadBalancer, FakeLoadBalancer],
  check: HealthCheck,
  count: number,
  answer: Answer,
  log: (s: string) => void,
): Promise<{ removal: number[]; back: number[] }> {
  const name = path === 'direct' ? 'failover-direct' : 'failover-xdns';
  const host = `${name}.example.org`;
  for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
  await bed.apply('host', readFileSync('manifests/crds/ingressdnsrecords.multiclusterdns.kubefed.io.yaml', 'utf8'));
  await putIngress(bed.kubeConfig('member1'), NS, name, [host], [lbs[0].address]);
  await putIngress(bed.kubeConfig('member2'), NS, name, [host], [lbs[1].address]);
  const direct = ['--provider=powerdns', `--pdns-server=${bed.powerdns!.apiUrl}`, '--txt-owner-id=mcdns-bench', '--no-dnsendpoints'];
  const mcdns = startMcdns(
    [
      ...bedFlags(bed),
      '--probe-concurrency=8',
      '--log-level=warn',
      ...(path === 'direct' ? direct : []),
    ],
    { MCDNS_PDNS_API_KEY: bed.powerdns!.apiKey },
  );
  try {
    await bed.apply('host', JSON.stringify(record(name, host, check), null, 2)); // JSON is YAML
    return await trials(host, lbs[1], count, answer, log);
  } catch (err) {
    log(mcdns.logs());
    throw err;
  } finally {
    await bed.kubectl('host', ['delete', 'ingressdnsrecord', name, '-n', NS, '--wait=true', '--timeout=60s']).catch(() => '');
    await mcdns.stop();
  }
}
