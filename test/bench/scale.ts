// Scenario "scale": a fleet of N IngressDNSRecords × K member clusters on real servers, created in
// bulk before mcdns starts, and what it costs mcdns to carry it, beside ExternalDNS v0.22.0
// consuming the same DNSEndpoints. For each N:
//
//   setup        one etcd behind host + K member kube-apiservers (distinct --etcd-prefix), two
//                PowerDNS servers (A for mcdns's direct provider, B for ExternalDNS), each API
//                behind a counting proxy; N records on the host, in each member one Ingress per
//                record with a loopback load-balancer address set through /status.
//   floor        a bare client makes the writes mcdns must make (N DNSEndpoint creates + N record
//                status updates) with mcdns's worker concurrency, in a scratch namespace that is
//                deleted again: the API server's own floor, measured in the same run.
//   cold start   mcdns (--leader-elect, DNSEndpoints + --provider powerdns beside, TXT ownership)
//                from spawn to all N DNSEndpoints carrying all K targets, and to PowerDNS A
//                holding all N; its CPU, the host's API requests by verb, PowerDNS requests.
//   steady       60 s with nothing changing: host writes, provider writes and reads.
//   changes      single load-balancer changes in a member: → DNSEndpoint (watch) and → PowerDNS
//                answer (DNS query), one at a time.
//   ExternalDNS  mcdns stopped; ExternalDNS (--source=crd --provider=pdns --registry=txt) on the
//                same N DNSEndpoints → PowerDNS B holding all N: with its kube client rate limit
//                lifted (--kube-api-qps/--kube-api-burst), then with its defaults (5 QPS), each
//                from DNSEndpoints whose status it has not observed yet.
//
// Every wait is bounded; a phase that does not finish is reported as "did not converge within X s"
// and the run goes on with what can still be measured. Everything is torn down at the end.
import { execFileSync, spawnSync } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { startBed, type Bed } from '../env/bed.js';
import { startCountingProxy, diffCounts, type CountingProxy, type ProxyCounts } from '../env/counting-proxy.js';
import { startExternalDns, type ExternalDnsHandle } from '../env/externaldns.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { startPowerDns, type PowerDnsHandle } from '../env/powerdns.js';
import { processCost, type ProcessCost } from '../env/procstat.js';
import { diffRecord, parseSamples, sumBy } from '../env/prom.js';
import { bounded, KubeRest, type KubeObject } from '../env/rest.js';
import { bins, versions } from '../env/tools.js';
import { installMcdnsCrds } from '../env/workloads.js';
import { summarize, type Summary } from './stats.js';

export interface ScaleOptions {
  records: number[];
  /** Member clusters (K). */
  clusters: number;
  /** DNS zones the records are spread over (default 1). */
  zones: number;
  /** mcdns --workers, and the bare client's concurrency for the floor (default: mcdns's default). */
  workers?: number;
  /** Requests in flight per API server while creating the fleet. */
  bulkConcurrency: number;
  changes: number;
  steadyS: number;
  convergeTimeoutS: number;
  externalDnsTimeoutS: number;
  changeTimeoutS: number;
  /** ExternalDNS --kube-api-qps and --kube-api-burst for the lifted run. */
  externalDnsLiftedQps: number;
  /** Also run ExternalDNS with its defaults (5 QPS to the API server), after the lifted run (default always). */
  externalDnsDefaults: 'always' | 'never';
  /** Extra mcdns run flags. */
  mcdnsArgs: string[];
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface ExternalDnsRun {
  args: string[];
  /** Spawn → PowerDNS B holding all N; null when it did not within timeoutS. */
  convergedS: number | null;
  timeoutS: number;
  /** DNSEndpoints whose status.observedGeneration it had written by the end (its writes go first, at its client's rate). */
  statusesObserved: number;
  /** Names in PowerDNS with all targets at the end. */
  powerdnsHolding: number;
  /** When it did not converge: elapsed × N / statuses observed (its status writes come first and are rate-bound). */
  projectedS?: number;
  peakRssMiB: number;
  cpuS: number;
  powerdnsRequests: ProxyCounts;
  hostRequestsByVerb: Record<string, number>;
}

export interface ScaleRun {
  records: number;
  clusters: number;
  dnsEndpointsConvergedS: number | null;
  apiWriteFloorS: number;
  powerdnsConvergedS: number | null;
  externalDnsConvergedS: number | null;
  peakRssMiB: number;
  cpuS: number;
  steady: { hostWrites: number; providerWrites: number; providerReads: number } & Record<string, unknown>;
  changeLatencyMs: { dnsEndpoint: Percentiles; powerdns: Percentiles };
  membersMarkedOffline: number;
  leaseRenewalsMissed: number;
  // Beyond the required fields:
  zones: number;
  workers: number;
  externalDnsLiftedS: number | null;
  /** powerdnsConvergedS / externalDnsConvergedS (mcdns direct vs ExternalDNS defaults). */
  ratio: number | null;
  /** powerdnsConvergedS / externalDnsLiftedS. */
  ratioLifted: number | null;
  /** dnsEndpointsConvergedS / apiWriteFloorS. */
  floorRatio: number | null;
  /** mcdns spawn → /readyz (caches synced). */
  cachesSyncedS: number | null;
  dnsEndpointsAfterSyncS: number | null;
  powerdnsAfterSyncS: number | null;
  rssAtConvergenceMiB: number | null;
  cpuTotalS: number;
  hostRequestsDuringConvergence: { byVerb: Record<string, number>; byVerbResource: Record<string, number> };
  memberRequestsDuringConvergence: { byVerb: Record<string, number> };
  powerdnsRequestsDuringConvergence: ProxyCounts | null;
  changes: { requested: number; notSeen: number; dnsEndpointMs: Summary | null; powerdnsMs: Summary | null };
  lease: { renewalFailures: number; stepDowns: number; maxRenewGapS: number | null; renewDeadlineS: number; renewalsSeen: number };
  mcdnsLog: { errors: number; warnings: number; firstErrors: string[] };
  externalDns: { lifted?: ExternalDnsRun; defaults?: ExternalDnsRun };
  setupS: Record<string, number>;
  notes: string[];
}

export interface ScaleResult {
  machine: Record<string, unknown>;
  options: ScaleOptions & { workers: number };
  runs: ScaleRun[];
}

type Log = (s: string) => void;

const NS = 'bench';
const FLOOR_NS = 'bench-floor';
const RECORDS = '/apis/multiclusterdns.kubefed.io/v1alpha1';
const DNSENDPOINTS = '/apis/externaldns.k8s.io/v1alpha1';
const INGRESSES = '/apis/networking.k8s.io/v1';
const LEASE_NAME = 'mcdns';
const LEASE_DURATION_S = 15;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => Math.round(ms / 100) / 10;
const pct = (s: Summary | null): Percentiles => ({ p50: s?.p50 ?? null, p95: s?.p95 ?? null, p99: s?.p99 ?? null });

/** The fleet's names and addresses: record i in zone i mod Z, member k's address for it. */
class Fleet {
  constructor(
    readonly n: number,
    readonly k: number,
    readonly z: number,
  ) {
    if (n > 65_536) throw new Error('scale: at most 65,536 records (the loopback address plan)');
    if (k > 99) throw new Error('scale: at most 99 member clusters');
  }
  zone = (j: number) => `z${j}.example.org`;
  zones = () => Array.from({ length: this.z }, (_, j) => this.zone(j));
  name = (i: number) => `r${i}`;
  host = (i: number) => `r${i}.${this.zone(i % this.z)}`;
  members = () => Array.from({ length: this.k }, (_, j) => `member${j + 1}`);
  /** Member m (1-based) serves record i at 127.m.x.y. */
  addr = (m: number, i: number) => `127.${m}.${(i >> 8) & 255}.${i & 255}`;
  addrs = (i: number) => Array.from({ length: this.k }, (_, j) => this.addr(j + 1, i));
  /** The c-th load-balancer change, in member m: 127.(100+m).x.y, never used before. */
  changeAddr = (m: number, c: number) => `127.${100 + m}.${(c >> 8) & 255}.${c & 255}`;
}

interface EndpointObject extends KubeObject {
  spec?: { endpoints?: Array<{ dnsName: string; targets?: string[]; recordType?: string }> };
  status?: { observedGeneration?: number };
}

/**
 * Follows the DNSEndpoints in the bench namespace through one watch: how many carry all K
 * targets of their record (and when the last one did), when each new address was first seen,
 * and how many have their status observed by ExternalDNS.
 */
class EndpointTracker {
  readonly complete = new Set<string>();
  completedAt: number | undefined;
  private readonly ipSeen = new Map<string, number>();
  private readonly watchedIps = new Set<string>();
  private readonly observed = new Set<string>();
  private readonly expected = new Map<string, string>();
  objects = 0;
  private readonly names = new Set<string>();

  constructor(readonly fleet: Fleet) {
    for (let i = 0; i < fleet.n; i++) this.expected.set(fleet.host(i), [...fleet.addrs(i)].sort().join(','));
  }

  on = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: EndpointObject): void => {
    const now = performance.now();
    const key = obj.metadata.name;
    if (type === 'DELETED') {
      this.names.delete(key);
      this.observed.delete(key);
      this.objects = this.names.size;
      return;
    }
    this.names.add(key);
    this.objects = this.names.size;
    if ((obj.status?.observedGeneration ?? 0) === obj.metadata.generation) this.observed.add(key);
    else this.observed.delete(key);
    for (const ep of obj.spec?.endpoints ?? []) {
      const targets = ep.targets ?? [];
      if (this.completedAt === undefined) {
        const want = this.expected.get(ep.dnsName);
        if (want !== undefined && !this.complete.has(ep.dnsName) && [...targets].sort().join(',') === want) {
          this.complete.add(ep.dnsName);
          if (this.complete.size === this.fleet.n) this.completedAt = now;
        }
      }
      for (const t of targets) if (this.watchedIps.has(t) && !this.ipSeen.has(t)) this.ipSeen.set(t, now);
    }
  };

  watchIp(ip: string): void {
    this.watchedIps.add(ip);
  }
  seenAt(ip: string): number | undefined {
    return this.ipSeen.get(ip);
  }
  get statusesObserved(): number {
    return this.observed.size;
  }
}

interface LeaseObject extends KubeObject {
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

/** Follows the leader Lease: the gaps between successive renewals, as written by the holder. */
class LeaseTracker {
  private last: number | undefined;
  maxGapMs = 0;
  missed = 0;
  renewals = 0;
  constructor(readonly renewDeadlineMs: number) {}
  on = (_type: string, obj: LeaseObject): void => {
    if (obj.metadata.name !== LEASE_NAME || !obj.spec?.renewTime || !obj.spec.holderIdentity) return;
    const t = Date.parse(obj.spec.renewTime);
    if (Number.isNaN(t) || (this.last !== undefined && t <= this.last)) return;
    if (this.last !== undefined) {
      const gap = t - this.last;
      this.maxGapMs = Math.max(this.maxGapMs, gap);
      if (gap > this.renewDeadlineMs) this.missed++;
    }
    this.renewals++;
    this.last = t;
  };
}

/** How many of the fleet's names PowerDNS holds with exactly their expected targets. */
async function powerdnsHolding(pdns: PowerDnsHandle, fleet: Fleet, expected: (i: number) => string[]): Promise<number> {
  const want = new Map<string, string>();
  for (let i = 0; i < fleet.n; i++) want.set(`${fleet.host(i)}.`, [...expected(i)].sort().join(','));
  let holding = 0;
  for (const zone of fleet.zones()) {
    for (const rr of await pdns.rrsets(zone)) {
      if (rr.type !== 'A') continue;
      const w = want.get(rr.name);
      if (w !== undefined && rr.records.map((r) => r.content).sort().join(',') === w) holding++;
    }
  }
  return holding;
}

/** The API server's request counter by verb (and verb + resource[/subresource]). */
async function apiRequests(rest: KubeRest): Promise<{ byVerb: Record<string, number>; byVerbResource: Record<string, number> }> {
  const res = await rest.raw('GET', '/metrics');
  if (res.status !== 200) throw new Error(`${rest.server.name} /metrics: HTTP ${res.status}`);
  const s = parseSamples(res.body, ['apiserver_request_total']);
  const byVerbResource = sumBy(s, 'apiserver_request_total', ['verb', 'resource', 'subresource']);
  const tidy: Record<string, number> = {};
  for (const [k, v] of Object.entries(byVerbResource)) {
    const [verb, resource, sub] = k.split(' ');
    const key = `${verb} ${resource || '(none)'}${sub ? `/${sub}` : ''}`;
    tidy[key] = (tidy[key] ?? 0) + v;
  }
  return { byVerb: sumBy(s, 'apiserver_request_total', ['verb']), byVerbResource: tidy };
}

const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'DELETECOLLECTION', 'APPLY', 'CREATE', 'UPDATE']);

/** Writes in a by-verb-resource diff, without the Lease renewals (reported apart). */
function writesOf(diff: Record<string, number>): { writes: number; leaseWrites: number; byResource: Record<string, number> } {
  let writes = 0;
  let leaseWrites = 0;
  const byResource: Record<string, number> = {};
  for (const [k, v] of Object.entries(diff)) {
    const [verb, resource] = k.split(' ') as [string, string];
    if (!WRITE_VERBS.has(verb.toUpperCase())) continue;
    if (resource === 'leases') {
      leaseWrites += v;
      continue;
    }
    writes += v;
    byResource[k] = v;
  }
  return { writes, leaseWrites, byResource };
}

/** mcdns's own default --workers, from its --help (so the floor uses the same concurrency). */
export function mcdnsDefaultWorkers(): number {
  const help = execFileSync(process.execPath, ['dist/src/cli.js', 'run', '--help'], { encoding: 'utf8' });
  const m = /--workers <n>[^\n]*\(default: (\d+)\)/.exec(help);
  if (!m) throw new Error('scale: could not read the default of --workers from `mcdns run --help`');
  return Number(m[1]);
}

function toolVersion(cmd: string, args: string[]): string {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
    const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`;
    return (/(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? out.trim().split('\n')[0] ?? 'unknown').slice(0, 80);
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): Record<string, unknown> {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    nproc: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    kubeApiserver: versions.kube,
    etcd: toolVersion(bins.etcd(), ['--version']),
    powerdns: toolVersion(bins.pdnsServer(), ['--version']),
    externalDns: versions.externalDns,
    mcdnsCommit: commit,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    date: new Date().toISOString(),
  };
}

/** JSON log lines of mcdns: what the run needs to count. */
function readMcdnsLog(file: string): {
  offline: number;
  transitionsToOffline: number;
  renewalFailures: number;
  stepDowns: number;
  errors: number;
  warnings: number;
  firstErrors: string[];
} {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // no log yet
  }
  const out = { offline: 0, transitionsToOffline: 0, renewalFailures: 0, stepDowns: 0, errors: 0, warnings: 0, firstErrors: [] as string[] };
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const msg = String(e['message'] ?? '');
    if (e['level'] === 'error') {
      out.errors++;
      if (out.firstErrors.length < 5) out.firstErrors.push(line.slice(0, 300));
    }
    if (e['level'] === 'warn') out.warnings++;
    if (/^member cluster offline/.test(msg)) out.offline++;
    if (/member cluster transition/.test(msg) && e['to'] === 'offline') out.transitionsToOffline++;
    if (/leader election: could not (read or update|renew)/.test(msg) && e['level'] === 'warn') out.renewalFailures++;
    if (/leader election: stopped leading/.test(msg) || /stopped reconciling: not the leader/.test(msg)) out.stepDowns++;
  }
  return out;
}

export async function scaleScenario(opts: ScaleOptions, log: Log): Promise<ScaleResult> {
  const workers = opts.workers ?? mcdnsDefaultWorkers();
  const machine = machineInfo();
  log(`machine: ${JSON.stringify(machine)}`);
  const runs: ScaleRun[] = [];
  for (const n of opts.records) {
    log(`=== scale: ${n} records × ${opts.clusters} member clusters, ${opts.zones} zone(s), ${workers} workers`);
    runs.push(await scaleRun(n, { ...opts, workers }, log));
    log(`=== ${n} records: ${JSON.stringify(headline(runs[runs.length - 1]!))}`);
  }
  return { machine, options: { ...opts, workers }, runs };
}

/** The figures of one run in one line, for the console. */
export function headline(r: ScaleRun): Record<string, unknown> {
  return {
    records: r.records,
    clusters: r.clusters,
    dnsEndpointsConvergedS: r.dnsEndpointsConvergedS,
    apiWriteFloorS: r.apiWriteFloorS,
    powerdnsConvergedS: r.powerdnsConvergedS,
    externalDnsConvergedS: r.externalDnsConvergedS,
    externalDnsLiftedS: r.externalDnsLiftedS,
    peakRssMiB: r.peakRssMiB,
    cpuS: r.cpuS,
    steady: { hostWrites: r.steady.hostWrites, providerWrites: r.steady.providerWrites, providerReads: r.steady.providerReads },
    changeLatencyMs: r.changeLatencyMs,
    membersMarkedOffline: r.membersMarkedOffline,
    leaseRenewalsMissed: r.leaseRenewalsMissed,
  };
}

async function scaleRun(n: number, opts: ScaleOptions & { workers: number }, log: Log): Promise<ScaleRun> {
  const fleet = new Fleet(n, opts.clusters, opts.zones);
  const notes: string[] = [];
  const setupS: Record<string, number> = {};
  const members = fleet.members();
  const abort = new AbortController();
  const cleanups: Array<() => Promise<void> | void> = [];
  let bed: Bed | undefined;
  let mcdns: McdnsHandle | undefined;
  let xdns: ExternalDnsHandle | undefined;
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const v = await fn();
    setupS[name] = secs(Date.now() - t0);
    return v;
  };

  try {
    // ---- servers ----
    log(`starting etcd, ${1 + opts.clusters} kube-apiservers and two PowerDNS servers`);
    bed = await phase('servers', () =>
      startBed({ members, powerdns: true, externalDns: false, createZone: false, apiServerStartTimeoutMs: 300_000 }),
    );
    const b = bed;
    const pdnsA = b.powerdns!;
    const pdnsB = await startPowerDns();
    cleanups.push(() => pdnsB.stop());
    for (const z of fleet.zones()) {
      await pdnsA.createZone(z);
      await pdnsB.createZone(z);
    }
    const proxyA = await startCountingProxy(pdnsA.apiUrl);
    const proxyB = await startCountingProxy(pdnsB.apiUrl);
    cleanups.push(() => proxyA.close(), () => proxyB.close());
    const rest = Object.fromEntries(b.clusters.map((c) => [c, new KubeRest(b.apiServer(c), { maxSockets: Math.max(opts.bulkConcurrency, opts.workers) })]));
    cleanups.push(() => Object.values(rest).forEach((r) => r.close()));
    const host = rest[b.host]!;

    // ---- the fleet, in bulk ----
    await phase('crds+namespaces', async () => {
      await installMcdnsCrds((m) => b.apply(b.host, m));
      for (const c of b.clusters) await rest[c]!.post('/api/v1/namespaces', { metadata: { name: NS } }, [409]);
      await host.post('/api/v1/namespaces', { metadata: { name: FLOOR_NS } }, [409]);
    });
    const progress = (what: string) => (done: number) => {
      if (done % Math.max(1000, Math.round(n / 4 / 1000) * 1000) === 0) log(`  ${what}: ${done}/${n}`);
    };
    const floorRecords: KubeObject[] = new Array(n);
    log(`creating ${n} IngressDNSRecords (+${n} scratch ones for the floor) on the host and ${n} Ingresses with load-balancer status in each of ${opts.clusters} members`);
    await phase('fleet', () =>
      Promise.all([
        bounded(n, opts.bulkConcurrency, async (i) => {
          await host.post(`${RECORDS}/namespaces/${NS}/ingressdnsrecords`, recordBody(fleet, NS, i), [409]);
          floorRecords[i] = (await host.post<KubeObject>(`${RECORDS}/namespaces/${FLOOR_NS}/ingressdnsrecords`, recordBody(fleet, FLOOR_NS, i))).body;
        }, progress('host records')),
        ...members.map((m, j) =>
          bounded(n, opts.bulkConcurrency, async (i) => {
            const r = rest[m]!;
            await r.post(`${INGRESSES}/namespaces/${NS}/ingresses`, ingressBody(fleet, i), [409]);
            await r.mergePatch(`${INGRESSES}/namespaces/${NS}/ingresses/${fleet.name(i)}/status`, {
              status: { loadBalancer: { ingress: [{ ip: fleet.addr(j + 1, i) }] } },
            });
          }, j === 0 ? progress(`${m} ingresses (others alike)`) : undefined),
        ),
      ]),
    );

    // ---- the API write floor ----
    log(`floor: a bare client makes ${n} DNSEndpoint creates + ${n} record status updates, ${opts.workers} at a time`);
    const floorT0 = performance.now();
    await bounded(n, opts.workers, async (i) => {
      const rec = floorRecords[i]!;
      await host.post(`${DNSENDPOINTS}/namespaces/${FLOOR_NS}/dnsendpoints`, dnsEndpointBody(fleet, FLOOR_NS, i, rec));
      await host.put(`${RECORDS}/namespaces/${FLOOR_NS}/ingressdnsrecords/${fleet.name(i)}/status`, { ...rec, status: recordStatus(fleet, i, members) });
    });
    const apiWriteFloorS = secs(performance.now() - floorT0);
    log(`  floor: ${apiWriteFloorS} s`);
    await phase('floor cleanup', async () => {
      for (const p of [`${DNSENDPOINTS}/namespaces/${FLOOR_NS}/dnsendpoints`, `${RECORDS}/namespaces/${FLOOR_NS}/ingressdnsrecords`]) {
        await host.request('DELETE', p, undefined, { tries: 3 }).catch((e: Error) => log(`  (deletecollection ${p}: ${e.message}; waiting for it)`));
        const deadline = Date.now() + 300_000;
        while ((await host.get<{ items: unknown[] }>(`${p}?limit=1`)).items.length > 0) {
          if (Date.now() > deadline) throw new Error(`scale: ${p} still not empty after 300 s`);
          await sleep(1000);
        }
      }
    });
    floorRecords.length = 0;

    // ---- watches of the bench itself: DNSEndpoints and the leader Lease ----
    const tracker = new EndpointTracker(fleet);
    const renewDeadlineMs = Math.round((LEASE_DURATION_S * 1000 * 2) / 3);
    const lease = new LeaseTracker(renewDeadlineMs);
    const watchErr = (what: string) => (e: Error) => log(`  (watch ${what}: ${e.message}; re-watching)`);
    await host.listWatch<EndpointObject>(`${DNSENDPOINTS}/namespaces/${NS}/dnsendpoints`, tracker.on, abort.signal, { onError: watchErr('dnsendpoints') });
    await host.listWatch<LeaseObject>(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, lease.on, abort.signal, { onError: watchErr('leases') });

    // ---- mcdns cold start ----
    const metricsPort = await freePort();
    const hostBefore = await apiRequests(host);
    const membersBefore = await Promise.all(members.map((m) => apiRequests(rest[m]!)));
    const pdnsBefore = proxyA.counts();
    const args = [
      ...bedFlags(b),
      '--provider=powerdns',
      `--pdns-server=${proxyA.url}`,
      '--txt-owner-id=mcdns-bench',
      `--metrics-address=127.0.0.1:${metricsPort}`,
      '--leader-elect',
      `--leader-election-namespace=${NS}`,
      `--lease-duration=${LEASE_DURATION_S}s`,
      `--workers=${opts.workers}`,
      '--log-level=info',
      ...opts.mcdnsArgs,
    ];
    log(`starting mcdns ${args.filter((a) => !a.startsWith('--kubeconfig')).join(' ')}`);
    const t0 = performance.now();
    mcdns = startMcdns(args, { MCDNS_PDNS_API_KEY: pdnsA.apiKey });
    const m = mcdns;
    const pid = m.process.pid;
    if (pid === undefined) throw new Error('scale: mcdns did not start');
    let syncedAt: number | undefined;
    let pdnsAt: number | undefined;
    let pdnsHolding = 0;
    let lastReport = 0;
    const deadline = t0 + opts.convergeTimeoutS * 1000;
    let lastPdnsPoll = 0;
    while (performance.now() < deadline) {
      if (!m.process.running) throw new Error(`scale: mcdns exited (${m.process.exitDescription}); last log lines:\n${m.process.logTail(30)}`);
      if (syncedAt === undefined) {
        const ok = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then((r) => r.ok, () => false);
        if (ok) syncedAt = performance.now();
      }
      if (pdnsAt === undefined && performance.now() - lastPdnsPoll >= 1000) {
        lastPdnsPoll = performance.now();
        pdnsHolding = await powerdnsHolding(pdnsA, fleet, fleet.addrs).catch(() => pdnsHolding);
        if (pdnsHolding === n) pdnsAt = performance.now();
      }
      if (tracker.completedAt !== undefined && pdnsAt !== undefined) break;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        log(`  ${secs(performance.now() - t0)} s: DNSEndpoints complete ${tracker.complete.size}/${n}, PowerDNS ${pdnsHolding}/${n}${syncedAt ? '' : ', caches not synced yet'}`);
      }
      await sleep(tracker.completedAt === undefined ? 200 : 100);
    }
    const costAtConvergence: ProcessCost = processCost(pid);
    const dnsEndpointsConvergedS = tracker.completedAt !== undefined ? secs(tracker.completedAt - t0) : null;
    const powerdnsConvergedS = pdnsAt !== undefined ? secs(pdnsAt - t0) : null;
    if (dnsEndpointsConvergedS === null) notes.push(`DNSEndpoints did not converge within ${opts.convergeTimeoutS} s (${tracker.complete.size}/${n} complete)`);
    if (powerdnsConvergedS === null) notes.push(`PowerDNS (direct) did not converge within ${opts.convergeTimeoutS} s (${pdnsHolding}/${n} names)`);
    const hostAfter = await apiRequests(host);
    const membersAfter = await Promise.all(members.map((mm) => apiRequests(rest[mm]!)));
    const memberByVerb: Record<string, number> = {};
    membersBefore.forEach((bf, j) => {
      for (const [k, v] of Object.entries(diffRecord(bf.byVerb, membersAfter[j]!.byVerb))) memberByVerb[k] = (memberByVerb[k] ?? 0) + v;
    });
    const convergence = {
      hostRequestsDuringConvergence: { byVerb: diffRecord(hostBefore.byVerb, hostAfter.byVerb), byVerbResource: diffRecord(hostBefore.byVerbResource, hostAfter.byVerbResource) },
      memberRequestsDuringConvergence: { byVerb: memberByVerb },
      powerdnsRequestsDuringConvergence: diffCounts(pdnsBefore, proxyA.counts()),
    };
    log(`  cold start: DNSEndpoints ${dnsEndpointsConvergedS ?? 'no'} s, PowerDNS ${powerdnsConvergedS ?? 'no'} s, caches synced ${syncedAt ? secs(syncedAt - t0) : '?'} s, CPU ${costAtConvergence.cpuS} s, RSS ${costAtConvergence.rssMiB} MiB`);
    log(`  host requests: ${JSON.stringify(convergence.hostRequestsDuringConvergence.byVerb)}; PowerDNS: ${JSON.stringify(convergence.powerdnsRequestsDuringConvergence.byRoute)}`);

    // ---- steady state ----
    log(`steady state: ${opts.steadyS} s with nothing changing`);
    const steadyHost0 = await apiRequests(host);
    const steadyPdns0 = proxyA.counts();
    await sleep(opts.steadyS * 1000);
    const steadyHostDiff = diffRecord(steadyHost0.byVerbResource, (await apiRequests(host)).byVerbResource);
    const steadyPdns = diffCounts(steadyPdns0, proxyA.counts());
    const w = writesOf(steadyHostDiff);
    const steady = {
      hostWrites: w.writes,
      providerWrites: steadyPdns.writes,
      providerReads: steadyPdns.reads,
      seconds: opts.steadyS,
      leaseWrites: w.leaseWrites,
      hostWritesByResource: w.byResource,
      providerRequestsByRoute: steadyPdns.byRoute,
    };
    log(`  steady: ${JSON.stringify(steady)}`);

    // ---- single load-balancer changes ----
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`127.0.0.1:${pdnsA.port}`]);
    const epMs: number[] = [];
    const dnsMs: number[] = [];
    let notSeen = 0;
    if (dnsEndpointsConvergedS === null && powerdnsConvergedS === null) {
      notes.push('load-balancer changes skipped: mcdns had not converged');
    } else {
      log(`${opts.changes} single load-balancer changes`);
      let misses = 0;
      for (let c = 0; c < opts.changes && misses < 3; c++) {
        const i = Math.floor(Math.random() * n);
        const mIdx = 1 + Math.floor(Math.random() * opts.clusters);
        const ip = fleet.changeAddr(mIdx, c);
        tracker.watchIp(ip);
        const c0 = performance.now();
        await rest[`member${mIdx}`]!.mergePatch(`${INGRESSES}/namespaces/${NS}/ingresses/${fleet.name(i)}/status`, {
          status: { loadBalancer: { ingress: [{ ip }] } },
        });
        let dnsAt: number | undefined;
        const until = c0 + opts.changeTimeoutS * 1000;
        while (performance.now() < until) {
          if (dnsAt === undefined && (await resolver.resolve4(fleet.host(i)).catch(() => [] as string[])).includes(ip)) dnsAt = performance.now();
          if (dnsAt !== undefined && tracker.seenAt(ip) !== undefined) break;
          await sleep(5);
        }
        const epAt = tracker.seenAt(ip);
        if (epAt !== undefined) epMs.push(epAt - c0);
        if (dnsAt !== undefined) dnsMs.push(dnsAt - c0);
        if (epAt === undefined || dnsAt === undefined) {
          notSeen++;
          misses++;
          log(`  change ${c} (${fleet.host(i)} in member${mIdx} → ${ip}): ${epAt === undefined ? 'no DNSEndpoint' : ''} ${dnsAt === undefined ? 'no PowerDNS answer' : ''} within ${opts.changeTimeoutS} s`);
        } else misses = 0;
        if ((c + 1) % 10 === 0) log(`  ${c + 1}/${opts.changes} changes`);
        await sleep(100 + Math.random() * 300);
      }
      if (misses >= 3) notes.push(`load-balancer changes stopped after 3 changes in a row were not seen within ${opts.changeTimeoutS} s`);
    }
    const epSummary = epMs.length > 0 ? summarize(epMs) : null;
    const dnsSummary = dnsMs.length > 0 ? summarize(dnsMs) : null;
    log(`  change → DNSEndpoint ${JSON.stringify(pct(epSummary))} ms; → PowerDNS answer ${JSON.stringify(pct(dnsSummary))} ms; not seen ${notSeen}`);

    // ---- mcdns: what it cost, what it logged; then stop it ----
    const finalCost = processCost(pid);
    const mlog = readMcdnsLog(m.logFile);
    await m.stop();
    mcdns = undefined;

    // ---- ExternalDNS on the same DNSEndpoints ----
    const externalDns: ScaleRun['externalDns'] = {};
    if (dnsEndpointsConvergedS === null) {
      notes.push('ExternalDNS skipped: the DNSEndpoints never converged');
    } else {
      const runX = async (variant: 'lifted' | 'defaults', extraArgs: string[]): Promise<ExternalDnsRun> => {
        // ExternalDNS writes the status of every DNSEndpoint it has not observed yet, before it plans:
        // give each run the same work (a cold start on N DNSEndpoints) and an empty zone.
        if (tracker.statusesObserved > 0) {
          log(`  resetting ${tracker.statusesObserved} DNSEndpoint statuses`);
          await bounded(n, opts.bulkConcurrency, async (i) => {
            await host.mergePatch(`${DNSENDPOINTS}/namespaces/${NS}/dnsendpoints/ingress-${fleet.name(i)}/status`, { status: { observedGeneration: 0 } });
          });
          const until = Date.now() + 60_000;
          while (tracker.statusesObserved > 0 && Date.now() < until) await sleep(200);
        }
        for (const z of fleet.zones()) {
          await pdnsB.deleteZone(z);
          await pdnsB.createZone(z);
        }
        const timeoutS = opts.externalDnsTimeoutS;
        const h0 = await apiRequests(host);
        const p0 = proxyB.counts();
        log(`ExternalDNS ${versions.externalDns} (${variant}${extraArgs.length ? `: ${extraArgs.join(' ')}` : ''}) on ${n} DNSEndpoints, at most ${timeoutS} s`);
        const x0 = performance.now();
        xdns = await startExternalDns({
          kubeconfig: b.kubeconfigPath,
          context: b.host,
          provider: { pdns: { apiUrl: proxyB.url, apiKey: pdnsB.apiKey } },
          domainFilter: fleet.zones(),
          ownerId: 'xdns-bench',
          upstreamDefaults: true,
          waitForFirstSync: false,
          extraArgs,
        });
        const x = xdns;
        let at: number | undefined;
        let holding = 0;
        let report = performance.now();
        const until = x0 + timeoutS * 1000;
        while (performance.now() < until) {
          if (!x.process.running) throw new Error(`scale: ExternalDNS exited (${x.process.exitDescription}): ${x.logs().split('\n').slice(-20).join('\n')}`);
          holding = await powerdnsHolding(pdnsB, fleet, fleet.addrs).catch(() => holding);
          if (holding === n) {
            at = performance.now();
            break;
          }
          if (performance.now() - report > 15_000) {
            report = performance.now();
            log(`  ${secs(performance.now() - x0)} s: statuses observed ${tracker.statusesObserved}/${n}, PowerDNS ${holding}/${n}`);
          }
          await sleep(1000);
        }
        const elapsed = performance.now() - x0;
        const cost = processCost(x.process.pid!);
        const observedNow = tracker.statusesObserved;
        await x.stop();
        xdns = undefined;
        const run: ExternalDnsRun = {
          args: x.args.filter((a) => !a.startsWith('--pdns-api-key') && !a.startsWith('--kubeconfig')),
          convergedS: at !== undefined ? secs(at - x0) : null,
          timeoutS,
          statusesObserved: observedNow,
          powerdnsHolding: holding,
          peakRssMiB: cost.peakRssMiB,
          cpuS: cost.cpuS,
          powerdnsRequests: diffCounts(p0, proxyB.counts()),
          hostRequestsByVerb: diffRecord(h0.byVerb, (await apiRequests(host)).byVerb),
        };
        if (at === undefined) {
          if (observedNow > 0) run.projectedS = Math.round((elapsed / 1000) * (n / observedNow));
          notes.push(`ExternalDNS (${variant}) did not converge within ${timeoutS} s (${observedNow}/${n} statuses written, ${holding}/${n} names in PowerDNS${run.projectedS ? `; at that rate about ${run.projectedS} s` : ''})`);
        }
        log(`  ExternalDNS ${variant}: ${run.convergedS ?? `not within ${timeoutS}`} s, RSS ${run.peakRssMiB} MiB, CPU ${run.cpuS} s, PowerDNS ${JSON.stringify(run.powerdnsRequests.byRoute)}`);
        return run;
      };
      externalDns.lifted = await runX('lifted', [`--kube-api-qps=${opts.externalDnsLiftedQps}`, `--kube-api-burst=${opts.externalDnsLiftedQps}`]);
      if (opts.externalDnsDefaults === 'always') externalDns.defaults = await runX('defaults', []);
    }

    const ratio = (a: number | null, bb: number | null | undefined) => (a !== null && bb ? Math.round((a / bb) * 1000) / 1000 : null);
    const membersMarkedOffline = Math.max(mlog.offline, mlog.transitionsToOffline);
    return {
      records: n,
      clusters: opts.clusters,
      dnsEndpointsConvergedS,
      apiWriteFloorS,
      powerdnsConvergedS,
      externalDnsConvergedS: externalDns.defaults?.convergedS ?? null,
      peakRssMiB: finalCost.peakRssMiB,
      cpuS: costAtConvergence.cpuS,
      steady,
      changeLatencyMs: { dnsEndpoint: pct(epSummary), powerdns: pct(dnsSummary) },
      membersMarkedOffline,
      leaseRenewalsMissed: Math.max(lease.missed, mlog.stepDowns),
      zones: opts.zones,
      workers: opts.workers,
      externalDnsLiftedS: externalDns.lifted?.convergedS ?? null,
      ratio: ratio(powerdnsConvergedS, externalDns.defaults?.convergedS),
      ratioLifted: ratio(powerdnsConvergedS, externalDns.lifted?.convergedS),
      floorRatio: ratio(dnsEndpointsConvergedS, apiWriteFloorS),
      cachesSyncedS: syncedAt !== undefined ? secs(syncedAt - t0) : null,
      dnsEndpointsAfterSyncS: syncedAt !== undefined && tracker.completedAt !== undefined ? secs(tracker.completedAt - syncedAt) : null,
      powerdnsAfterSyncS: syncedAt !== undefined && pdnsAt !== undefined ? secs(pdnsAt - syncedAt) : null,
      rssAtConvergenceMiB: costAtConvergence.rssMiB,
      cpuTotalS: finalCost.cpuS,
      ...convergence,
      changes: { requested: opts.changes, notSeen, dnsEndpointMs: epSummary, powerdnsMs: dnsSummary },
      lease: {
        renewalFailures: mlog.renewalFailures,
        stepDowns: mlog.stepDowns,
        maxRenewGapS: lease.renewals > 1 ? secs(lease.maxGapMs) : null,
        renewDeadlineS: renewDeadlineMs / 1000,
        renewalsSeen: lease.renewals,
      },
      mcdnsLog: { errors: mlog.errors, warnings: mlog.warnings, firstErrors: mlog.firstErrors },
      externalDns,
      setupS,
      notes,
    };
  } catch (e) {
    if (mcdns) log(`--- mcdns log (last lines)\n${mcdns.process.logTail(40)}`);
    throw e;
  } finally {
    abort.abort();
    await xdns?.stop().catch(() => undefined);
    await mcdns?.stop().catch(() => undefined);
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    await bed?.stop().catch((e: Error) => log(`(teardown: ${e.message})`));
  }
}

function recordBody(fleet: Fleet, ns: string, i: number): KubeObject {
  return {
    apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
    kind: 'IngressDNSRecord',
    metadata: { name: fleet.name(i), namespace: ns },
    spec: { hosts: [fleet.host(i)], recordTTL: 60 },
  };
}

function ingressBody(fleet: Fleet, i: number): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: fleet.name(i), namespace: NS },
    spec: {
      rules: [{ host: fleet.host(i), http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
  };
}

/** A DNSEndpoint of the size and shape mcdns writes (labels, owner reference, K targets). */
function dnsEndpointBody(fleet: Fleet, ns: string, i: number, owner: KubeObject): KubeObject {
  return {
    apiVersion: 'externaldns.k8s.io/v1alpha1',
    kind: 'DNSEndpoint',
    metadata: {
      name: `ingress-${fleet.name(i)}`,
      namespace: ns,
      labels: {
        'app.kubernetes.io/managed-by': 'bench-floor',
        'multiclusterdns.kubefed.io/record-kind': 'ingressdnsrecord',
        'multiclusterdns.kubefed.io/record-name': fleet.name(i),
      },
      ownerReferences: [
        { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'IngressDNSRecord', name: fleet.name(i), uid: (owner.metadata as { uid?: string }).uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: { endpoints: [{ dnsName: fleet.host(i), recordType: 'A', recordTTL: 60, targets: fleet.addrs(i) }] },
  };
}

/** A record status of the size and shape mcdns writes (Ready condition, targets, per-cluster DNS). */
function recordStatus(fleet: Fleet, i: number, members: string[]): Record<string, unknown> {
  return {
    observedGeneration: 1,
    conditions: [
      { type: 'Ready', status: 'True', reason: 'Published', message: `${fleet.k} targets published`, observedGeneration: 1, lastTransitionTime: new Date().toISOString() },
    ],
    targets: fleet.addrs(i),
    dns: members.map((c, j) => ({ cluster: c, loadBalancer: { ingress: [{ ip: fleet.addr(j + 1, i) }] } })),
  };
}
