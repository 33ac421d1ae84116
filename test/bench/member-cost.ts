// What a member full of other workloads costs mcdns, on real servers: one etcd, a host and one
// member kube-apiserver, a few records, then N unrelated headless Services with a 10-endpoint
// EndpointSlice each (namespaces no record uses). mcdns runs as users run it (the bundle, the
// Deployment's NODE_OPTIONS and MALLOC_ARENA_MAX) with an inspector on loopback, through which
// this script collects garbage and reads V8's used heap: the figures are the live heap, not
// whatever garbage a heap gauge happens to include.
//
//   heap        used heap (after a full collection) before and after the background: bytes per
//               unrelated Service + slice.
//   CPU         mcdns's CPU (/proc) over an idle window, then over the same window with R slice
//               updates per second (ready flips, as pod restarts make them): CPU per update.
//   late record a Service (or Ingress) that exists before its record: the record is created and
//               the time to its DNSEndpoint carrying the address is measured, T times.
//
// `--rtt MS[,LOSS%]` puts the member behind the test env's TCP proxy with that round trip and loss.
// `--wanted-services N` adds N ServiceDNSRecords whose Services do not exist: past 1,000 wanted
// Service names mcdns stops naming them in the EndpointSlice watch's selector and every slice is
// sent (what a fleet with that many distinct backends costs).
//
//   node dist/test/bench/member-cost.js [--services 10000] [--churn 50] [--window-s 60]
//        [--trials 20] [--rtt 0] [--cli dist/mcdns.js] [--node-options '--cpu-prof'] [--json file]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, stringify } from 'yaml';
import { createBackground, churnBackground } from '../env/background.js';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, MCDNS_CLI } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { ManagedProcess, makeTempDir, sleep } from '../env/process.js';
import { processCost } from '../env/procstat.js';
import { parseSamples, sumBy } from '../env/prom.js';
import { bounded, KubeRest, type KubeObject } from '../env/rest.js';
import { startTcpProxy, type TcpProxy } from '../env/tcp-proxy.js';
import { installMcdnsCrds } from '../env/workloads.js';
import { mcdnsProcessEnv } from './options.js';
import { summarize, type Summary } from './stats.js';

const NS = 'shop';
const MIB = 1024 * 1024;

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '10000' },
    churn: { type: 'string', default: '50' },
    'window-s': { type: 'string', default: '60' },
    trials: { type: 'string', default: '20' },
    rtt: { type: 'string', default: '0' },
    'wanted-services': { type: 'string', default: '0' },
    /** Records of each kind (IngressDNSRecord, ServiceDNSRecord) whose member objects exist. */
    records: { type: 'string', default: '10' },
    cli: { type: 'string', default: MCDNS_CLI },
    /** Appended to mcdns's NODE_OPTIONS (a diagnostic such as --cpu-prof). */
    'node-options': { type: 'string', default: '' },
    json: { type: 'string' },
  },
});

/** V8's used heap of the process behind the inspector, after full collections (MiB). */
async function usedHeapMiB(inspectorPort: number): Promise<number> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error('inspector: cannot connect'));
  });
  let id = 0;
  const call = (method: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const mine = ++id;
      ws.onmessage = (m) => {
        const msg = JSON.parse(String(m.data)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        if (msg.id !== mine) return;
        if (msg.error) reject(new Error(`inspector ${method}: ${msg.error.message}`));
        else resolve(msg.result ?? {});
      };
      ws.send(JSON.stringify({ id: mine, method }));
    });
  try {
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      await call('HeapProfiler.collectGarbage');
      sizes.push((await call('Runtime.getHeapUsage'))['usedSize'] as number);
      await sleep(200);
    }
    return Math.min(...sizes) / MIB;
  } finally {
    ws.close();
  }
}

/** A kubeconfig like the bed's whose member goes through the proxy. */
function kubeconfigVia(bed: Bed, member: string, port: number): string {
  const doc = parse(readKubeconfig(bed)) as { clusters: Array<{ name: string; cluster: { server: string } }> };
  for (const c of doc.clusters) if (c.name === member) c.cluster.server = `https://127.0.0.1:${port}`;
  const file = join(makeTempDir('member-cost-kubeconfig'), 'kubeconfig');
  writeFileSync(file, stringify(doc), { mode: 0o600 });
  return file;
}
const readKubeconfig = (bed: Bed): string => readFileSync(bed.kubeconfigPath, 'utf8');

async function metricsText(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/**
 * Whether mcdns has had the whole background: its Services as the member holds them (seen), or,
 * on code without that gauge (which kept every slice), its EndpointSlices indexed.
 */
async function sawBackground(url: string, services: number): Promise<boolean> {
  const s = parseSamples(await metricsText(url), ['mcdns_member_objects_seen', 'mcdns_member_objects_indexed']);
  const seen = sumBy(s, 'mcdns_member_objects_seen', ['kind'])['Service'];
  return (seen ?? sumBy(s, 'mcdns_member_objects_indexed', ['kind'])['EndpointSlice'] ?? 0) >= services;
}

async function objectsBy(url: string, name: string): Promise<Record<string, number>> {
  return sumBy(parseSamples(await metricsText(url), [name]), name, ['kind']);
}

/**
 * The member's objects for record i: an Ingress routing to a Service with 3 ready endpoints, the
 * Service a LoadBalancer for the first 100 (the API servers' Service range holds 254 addresses).
 */
async function recordObjects(member: KubeRest, host: KubeRest, i: number, prefix: string, withRecord: boolean): Promise<void> {
  const ip = `127.${prefix === 'r' ? 1 : 2}.${(i >> 8) & 255}.${i & 255}`;
  const ing = `${prefix}-web-${i}`;
  const svc = `${prefix}-db-${i}`;
  const loadBalancer = i < 100;
  await member.post(`/api/v1/namespaces/${NS}/services`, { metadata: { name: svc, namespace: NS }, spec: loadBalancer ? { type: 'LoadBalancer', ports: [{ port: 80 }] } : { clusterIP: 'None', ports: [{ port: 80 }] } }, [409]);
  if (loadBalancer) {
    const s = await member.get<KubeObject>(`/api/v1/namespaces/${NS}/services/${svc}`);
    await member.put(`/api/v1/namespaces/${NS}/services/${svc}/status`, { ...s, status: { loadBalancer: { ingress: [{ ip }] } } });
  }
  await member.post(`/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, {
    metadata: { name: `${svc}-1`, namespace: NS, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: [1, 2, 3].map((e) => ({ addresses: [`10.${9 + (i >> 8)}.${i & 255}.${e}`], conditions: { ready: true } })),
  }, [409]);
  const rules = [{ host: `${ing}.example.org`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: svc, port: { number: 80 } } } }] } }];
  await member.post(`/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses`, { metadata: { name: ing, namespace: NS }, spec: { rules } }, [409]);
  const g = await member.get<KubeObject>(`/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses/${ing}`);
  await member.put(`/apis/networking.k8s.io/v1/namespaces/${NS}/ingresses/${ing}/status`, { ...g, status: { loadBalancer: { ingress: [{ ip }] } } });
  if (withRecord) await records(host, i, prefix, loadBalancer);
}

async function records(host: KubeRest, i: number, prefix: string, service = true): Promise<void> {
  const api = `/apis/multiclusterdns.kubefed.io/v1alpha1/namespaces/${NS}`;
  await host.post(`${api}/ingressdnsrecords`, { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'IngressDNSRecord', metadata: { name: `${prefix}-web-${i}`, namespace: NS }, spec: { hosts: [`${prefix}-web-${i}.example.org`] } }, [409]);
  if (service) await host.post(`${api}/servicednsrecords`, { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'ServiceDNSRecord', metadata: { name: `${prefix}-db-${i}`, namespace: NS }, spec: { domainRef: 'test-domain' } }, [409]);
}

interface EndpointObject extends KubeObject {
  spec?: { endpoints?: Array<{ targets?: string[] }> };
}

const RECORDS = Number(args.records);

async function main(): Promise<void> {
  const services = Number(args.services);
  const churn = Number(args.churn);
  const windowS = Number(args['window-s']);
  const trials = Number(args.trials);
  const [rttText, lossText] = String(args.rtt).split(',');
  const rttMs = Number(rttText ?? 0);
  const lossPct = Number(lossText ?? 0);
  const bed = await startBed({ members: ['member1'], powerdns: false, externalDns: false });
  let proxy: TcpProxy | undefined;
  let mcdns: ManagedProcess | undefined;
  const abort = new AbortController();
  try {
    const host = new KubeRest(bed.apiServer('host'));
    const member = new KubeRest(bed.apiServer('member1'));
    await installMcdnsCrds((m) => bed.apply('host', m));
    for (const [rest, ns] of [[host, NS], [member, NS], [host, 'kube-federation-system']] as const) await rest.post('/api/v1/namespaces', { metadata: { name: ns } }, [409]);
    await bed.apply('host', { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'Domain', metadata: { name: 'test-domain', namespace: 'kube-federation-system' }, domain: 'example.org' } as KubeObject);
    await bounded(RECORDS, 16, (i) => recordObjects(member, host, i, 'r', true));
    const api = `/apis/multiclusterdns.kubefed.io/v1alpha1/namespaces/${NS}/servicednsrecords`;
    await bounded(Number(args['wanted-services']), 16, async (i) => {
      await host.post(api, { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'ServiceDNSRecord', metadata: { name: `absent-${i}`, namespace: NS }, spec: { domainRef: 'test-domain' } }, [409]);
    });

    // DNSEndpoints as they arrive: when each first carried a target.
    const firstTarget = new Map<string, number>();
    await host.listWatch<EndpointObject>(`/apis/externaldns.k8s.io/v1alpha1/namespaces/${NS}/dnsendpoints`, (type, ep) => {
      if (type !== 'DELETED' && (ep.spec?.endpoints ?? []).some((e) => (e.targets ?? []).length > 0) && !firstTarget.has(ep.metadata.name)) firstTarget.set(ep.metadata.name, performance.now());
    }, abort.signal);

    proxy = rttMs > 0 || lossPct > 0 ? await startTcpProxy(bed.apiServer('member1').port, '127.0.0.1', { rttMs, lossPct }) : undefined;
    const kubeconfigPath = proxy ? kubeconfigVia(bed, 'member1', proxy.port) : bed.kubeconfigPath;
    const metricsPort = await freePort();
    const inspectorPort = await freePort();
    const env = mcdnsProcessEnv();
    mcdns = ManagedProcess.start({
      name: 'mcdns',
      command: process.execPath,
      // The resync (every 5 minutes by default) would fall into some CPU windows and not others.
      args: [String(args.cli), 'run', ...bedFlags({ ...bed, kubeconfigPath }), `--metrics-address=127.0.0.1:${metricsPort}`, '--resync-schedule=0 4 1 1 *'],
      logFile: join(makeTempDir('member-cost'), 'mcdns.log'),
      env: { ...process.env, ...env, NODE_OPTIONS: `${env['NODE_OPTIONS']} --inspect=127.0.0.1:${inspectorPort} ${args['node-options']}` },
    });
    const url = `http://127.0.0.1:${metricsPort}`;
    const started = performance.now();
    const want = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => [`ingress-${prefix}-web-${i}`, ...(i < 100 ? [`service-${prefix}-db-${i}`] : [])]).flat();
    await until('every record published', () => want('r', RECORDS).every((n) => firstTarget.has(n)), 300_000);
    console.log(`published ${want('r', RECORDS).length} records in ${Math.round(performance.now() - started)} ms`);
    await sleep(5000);
    const heapBefore = await usedHeapMiB(inspectorPort);
    console.log(`used heap with ${want('r', RECORDS).length} records: ${heapBefore.toFixed(2)} MiB`);

    const t0 = performance.now();
    const background = await createBackground(member, { services, namespaces: 10 });
    console.log(`background: ${services} Services + slices in ${Math.round(performance.now() - t0)} ms`);
    await until('mcdns saw the background', () => sawBackground(url, services), 300_000);
    await sleep(5000);
    const heapAfter = await usedHeapMiB(inspectorPort);
    const perObjectBytes = ((heapAfter - heapBefore) * MIB) / services;
    console.log(`used heap with the background: ${heapAfter.toFixed(2)} MiB (+${(heapAfter - heapBefore).toFixed(2)} MiB, ${Math.round(perObjectBytes)} B per Service + slice)`);

    const cpu = (): number => processCost(mcdns!.pid!).cpuS;
    let c0 = cpu();
    await sleep(windowS * 1000);
    const idleCpuS = cpu() - c0;
    const churnAbort = new AbortController();
    c0 = cpu();
    const churning = churnBackground(member, background, churn, churnAbort.signal);
    await sleep(windowS * 1000);
    churnAbort.abort();
    const churnCpuS = cpu() - c0;
    const updates = await churning;
    const perUpdateUs = ((churnCpuS - idleCpuS) / Math.max(1, updates)) * 1e6;
    console.log(`CPU over ${windowS} s: idle ${idleCpuS.toFixed(2)} s, with ${updates} slice updates ${churnCpuS.toFixed(2)} s (${((churnCpuS / windowS) * 100).toFixed(2)} % of a core; ${Math.round(perUpdateUs)} µs per update)`);

    // Records created after their member objects existed.
    const latencies: number[] = [];
    const byKind: Record<'ingress' | 'service', number[]> = { ingress: [], service: [] };
    for (let i = 0; i < trials; i++) await recordObjects(member, host, i, 'late', false);
    await sleep(3000);
    for (let i = 0; i < trials; i++) {
      const t = performance.now();
      await records(host, i, 'late');
      await until(`late record ${i} published`, () => want('late', i + 1).slice(-2).every((n) => firstTarget.has(n)), 30_000, 5);
      for (const n of want('late', i + 1).slice(-2)) {
        latencies.push(firstTarget.get(n)! - t);
        byKind[n.startsWith('ingress') ? 'ingress' : 'service'].push(firstTarget.get(n)! - t);
      }
      await sleep(200);
    }
    const late = summarize(latencies);
    console.log(`record created after its objects → DNSEndpoint with targets: p50 ${late.p50} ms, p95 ${late.p95} ms, p99 ${late.p99} ms (n ${late.n})`);
    for (const [kind, xs] of Object.entries(byKind)) console.log(`  ${kind} records: ${xs.map((x) => Math.round(x)).join(' ')}`);

    const retained = await objectsBy(url, 'mcdns_member_objects_indexed');
    const seen = await objectsBy(url, 'mcdns_member_objects_seen');
    const result = {
      cli: args.cli,
      memberRttMs: rttMs,
      memberLossPct: lossPct,
      segmentsLost: proxy?.segmentsLost ?? 0,
      memberConnections: proxy?.connectionsAccepted,
      records: want('r', RECORDS).length,
      wantedServicesWithoutObjects: Number(args['wanted-services']),
      background: services,
      heapUsedMiB: { before: round(heapBefore), after: round(heapAfter) },
      bytesPerUnrelatedService: Math.round(perObjectBytes),
      cpu: { windowS, idleS: idleCpuS, churnS: churnCpuS, updates, percentOfCoreWithChurn: round((churnCpuS / windowS) * 100), microsecondsPerUpdate: Math.round(perUpdateUs) },
      lateRecordToDnsEndpointMs: late satisfies Summary,
      objectsRetained: retained,
      objectsSeen: seen,
      offline: sumBy(parseSamples(await metricsText(url), ['mcdns_cluster_state']), 'mcdns_cluster_state', ['state'])['offline'] ?? 0,
    };
    console.log(JSON.stringify(result, null, 2));
    if (args.json) writeFileSync(args.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    abort.abort();
    await mcdns?.stop();
    await proxy?.close();
    await bed.stop();
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`member-cost: ${what}: not within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`member-cost: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
