// A micro-measure, not a test: CPU per reconcile of one IngressDNSRecord when each of K member
// clusters holds N Ingresses, through MemberSet.observationsFor (what the controller uses) and,
// for comparison, through whole snapshots (what it used before). No API server: the members'
// indexes are filled directly and the host is in memory.
//
//   npm run build && node dist/test/unit/observe/reconcile-cost.js [objects=10000] [clusters=10]
import winston from 'winston';
import { KubeConfig } from '@kubernetes/client-node';
import type { DNSEndpoint, DNSRecord, Domain, RecordKind } from '../../../src/api/schema.js';
import type { ClusterObservation } from '../../../src/core/observation.js';
import { Reconciler } from '../../../src/controller/reconcile/reconciler.js';
import { type HostView, type HostWrites } from '../../../src/controller/host/ports.js';
import { keyOf, type RecordKey } from '../../../src/core/record-key.js';
import { MemberSet, type Observer } from '../../../src/observe/members.js';
import { ClusterIndex, project, type RecordQuery } from '../../../src/observe/projections.js';
import type { MemberChange, MemberLink } from '../../../src/observe/member.js';
import type { MemberConfig } from '../../../src/observe/sources/member-config.js';

const N = Number(process.argv[2] ?? 10_000);
const K = Number(process.argv[3] ?? 10);

class IndexedObserver implements Observer {
  readonly index = new ClusterIndex();
  constructor(readonly cluster: string) {}
  start(): void {}
  async stop(): Promise<void> {}
  synced(): boolean {
    return true;
  }
  onChange(_cb: (c: MemberChange) => void): () => void {
    return () => undefined;
  }
  status(): ClusterObservation {
    return { cluster: this.cluster, state: 'online', zones: [], ingresses: [], services: [] };
  }
  observationFor(q: RecordQuery): ClusterObservation {
    return { ...this.status(), ingresses: this.index.ingressesFor(q) };
  }
  /** As MemberObserver.snapshot(): every object, sorted. */
  snapshot(): ClusterObservation {
    const byName = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
    return { ...this.status(), ingresses: this.index.allIngresses().sort(byName), services: this.index.allServices().sort(byName) };
  }
  counts(): Record<string, number> {
    return this.index.counts();
  }
  link(): MemberLink {
    return { heartbeatTimeoutMs: 3000, seen: {} };
  }
}

class MemoryHost implements HostView, HostWrites {
  records = new Map<string, DNSRecord>();
  endpoints = new Map<string, DNSEndpoint>();
  constructor(readonly members: HostView['members']) {}
  record(key: RecordKey) {
    return this.records.get(keyOf(key));
  }
  domain(): Domain | undefined {
    return undefined;
  }
  domainNamespaces(ns: string) {
    return [ns];
  }
  dnsEndpoint(namespace: string, name: string) {
    return this.endpoints.get(`${namespace}/${name}`);
  }
  async createDNSEndpoint(obj: DNSEndpoint) {
    this.endpoints.set(`${obj.metadata.namespace}/${obj.metadata.name}`, obj);
  }
  async replaceDNSEndpoint(obj: DNSEndpoint) {
    this.endpoints.set(`${obj.metadata.namespace}/${obj.metadata.name}`, obj);
  }
  async deleteDNSEndpoint() {}
  async replaceStatus(kind: RecordKind, record: DNSRecord) {
    this.records.set(`${kind}/${record.metadata.namespace}/${record.metadata.name}`, record);
  }
  async readDNSEndpoint() {
    return undefined;
  }
  async updateFinalizers(_k: RecordKind, r: DNSRecord) {
    return r;
  }
  async event() {}
}

const observers: IndexedObserver[] = [];
const set = new MemberSet({
  logger: winston.createLogger({ silent: true }),
  create: (c: MemberConfig) => {
    const o = new IndexedObserver(c.name);
    observers.push(o);
    return o;
  },
});
for (let c = 0; c < K; c++) set.add({ name: `member-${c}`, kubeConfig: new KubeConfig(), source: 'kubeconfig' });
for (const [c, o] of observers.entries()) {
  for (let i = 0; i < N; i++) {
    const ingress = project.ingress({
      metadata: { namespace: 'shop', name: `app-${i}` },
      spec: { rules: [{ host: `app-${i}.example.org` }] },
      status: { loadBalancer: { ingress: [{ ip: `127.0.${c}.${(i % 250) + 1}` }] } },
    });
    o.index.setIngress(`shop/app-${i}`, ingress);
  }
}

async function measure(label: string, members: HostView['members'], records: number): Promise<void> {
  const host = new MemoryHost(members);
  for (let i = 0; i < records; i++) {
    const name = `app-${i}`;
    host.records.set(`IngressDNSRecord/shop/${name}`, {
      apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
      kind: 'IngressDNSRecord',
      metadata: { namespace: 'shop', name, uid: `u${i}`, generation: 1 },
      spec: { hosts: [`app-${i}.example.org`] },
    } as DNSRecord);
  }
  const reconciler = new Reconciler(host, host, 'externaldns.k8s.io', winston.createLogger({ silent: true }));
  const run = async (): Promise<number> => {
    const cpu = process.cpuUsage();
    for (let i = 0; i < records; i++) await reconciler.reconcile({ kind: 'IngressDNSRecord', namespace: 'shop', name: `app-${i}` });
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / 1000 / records;
  };
  const cold = await run(); // creates every DNSEndpoint and status
  const steady = await run(); // nothing changed: zero writes
  console.log(`${label}: ${records} records, ${K} clusters x ${N} Ingresses: ${cold.toFixed(3)} ms CPU per reconcile (first publish), ${steady.toFixed(3)} ms (steady state)`);
}

await measure('observationsFor', (key, hosts) => set.observationsFor({ ...key, hosts }), N);
// Whole snapshots cost O(clusters x objects) per reconcile: a sample of records is enough.
await measure('whole snapshots', () => set.snapshots(), Math.min(N, 200));
const mem = process.memoryUsage();
console.log(`heap used ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB`);
await set.stop();
