// The scale benchmark's instruments: PowerDNS content, API server request counters, mcdns's log,
// and the machine it ran on.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import type { PowerDnsHandle } from '../../env/powerdns.js';
import { parseSamples, sumBy, type Sample } from '../../env/prom.js';
import type { KubeRest } from '../../env/rest.js';
import { bins, versions } from '../../env/tools.js';
import type { Fleet } from './fleet.js';

/** How many of the fleet's names PowerDNS holds with exactly their expected targets. */
export async function powerdnsHolding(pdns: PowerDnsHandle, fleet: Fleet, expected: (i: number) => string[]): Promise<number> {
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
export async function apiRequests(rest: KubeRest): Promise<{ byVerb: Record<string, number>; byVerbResource: Record<string, number> }> {
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

/**
 * Resources the API server writes itself (the `kubernetes` Service's endpoints, API Priority and
 * Fairness status): mcdns never writes them on the host, so they are not its writes.
 */
const APISERVER_OWN = new Set(['endpoints', 'endpointslices', 'flowschemas', 'prioritylevelconfigurations']);

/**
 * The writes in a by-verb-resource diff: mcdns's (every write but the API server's own), Lease
 * writes apart (mcdns's renewals every retry period, and the API server's identity Lease).
 */
export function writesOf(diff: Record<string, number>): { writes: number; leaseWrites: number; apiserverOwnWrites: number; byResource: Record<string, number> } {
  let writes = 0;
  let leaseWrites = 0;
  let apiserverOwnWrites = 0;
  const byResource: Record<string, number> = {};
  for (const [k, v] of Object.entries(diff)) {
    const [verb, resourcePath] = k.split(' ') as [string, string];
    const resource = resourcePath.split('/')[0]!;
    if (!WRITE_VERBS.has(verb.toUpperCase())) continue;
    if (resource === 'leases') leaseWrites += v;
    else if (APISERVER_OWN.has(resource)) apiserverOwnWrites += v;
    else {
      writes += v;
      byResource[k] = v;
    }
  }
  return { writes, leaseWrites, apiserverOwnWrites, byResource };
}

/** mcdns's own count of its host writes (mcdns_host_writes_total), by resource and verb; {} if it has none. */
export async function mcdnsHostWrites(metricsUrl: string): Promise<Record<string, number>> {
  try {
    const res = await fetch(`${metricsUrl}/metrics`);
    if (!res.ok) return {};
    return sumBy(parseSamples(await res.text(), ['mcdns_host_writes_total']), 'mcdns_host_writes_total', ['resource', 'verb']);
  } catch {
    return {};
  }
}

/**
 * What mcdns keeps of its members against what they hold, from its /metrics: objects in its
 * indexes (mcdns_member_objects_indexed) and objects it was told of, kept or not
 * (mcdns_member_objects_seen, where this mcdns counts them), summed over members, in all and
 * by kind; and the members' round trip as mcdns measured it (mcdns_member_round_trip_seconds).
 */
export async function memberObjects(metricsUrl: string): Promise<{
  objectsRetained: number | null;
  objectsSeen: number | null;
  objectsByKind: Record<string, { retained: number; seen?: number }>;
  memberRoundTripMsSeen: number | null;
}> {
  let samples: Sample[] = [];
  try {
    const res = await fetch(`${metricsUrl}/metrics`);
    if (res.ok) samples = parseSamples(await res.text(), ['mcdns_member_objects_indexed', 'mcdns_member_objects_seen', 'mcdns_member_round_trip_seconds']);
  } catch {
    // mcdns gone: nothing to report
  }
  return objectsFrom(samples);
}

/** The sums memberObjects() reports, from the samples of one scrape. */
export function objectsFrom(samples: Sample[]): Awaited<ReturnType<typeof memberObjects>> {
  const retained = sumBy(samples, 'mcdns_member_objects_indexed', ['kind']);
  const seen = sumBy(samples, 'mcdns_member_objects_seen', ['kind']);
  const total = (byKind: Record<string, number>) => (Object.keys(byKind).length > 0 ? Object.values(byKind).reduce((a, b) => a + b, 0) : null);
  const objectsByKind: Record<string, { retained: number; seen?: number }> = {};
  for (const kind of new Set([...Object.keys(retained), ...Object.keys(seen)])) {
    objectsByKind[kind] = { retained: retained[kind] ?? 0, ...(seen[kind] !== undefined ? { seen: seen[kind] } : {}) };
  }
  const rtts = samples.filter((s) => s.name === 'mcdns_member_round_trip_seconds').map((s) => s.value);
  return {
    objectsRetained: total(retained),
    objectsSeen: total(seen),
    objectsByKind,
    memberRoundTripMsSeen: rtts.length > 0 ? Math.round((rtts.reduce((a, b) => a + b, 0) / rtts.length) * 10_000) / 10 : null,
  };
}

/** mcdns's own default --workers, from its command definition (so the floor uses the same concurrency). */
export async function mcdnsDefaultWorkers(): Promise<number> {
  const { program } = await import('../../../src/commands/program.js');
  const run = program.commands.find((c) => c.name() === 'run');
  const workers = run?.options.find((o) => o.long === '--workers')?.defaultValue as unknown;
  if (typeof workers !== 'number') throw new Error('scale: `mcdns run` has no numeric default for --workers');
  return workers;
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
export function readMcdnsLog(file: string): {
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

