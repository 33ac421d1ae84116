// Scenario "latency": how long a load-balancer change in a member takes to reach
// (a) the DNSEndpoint on the host and (b) the answer PowerDNS serves, written by ExternalDNS;
// the same for a Gateway's status.addresses change under a RouteDNSRecord (the `route` row).
import { Resolver } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import type { DNSEndpoint } from '../../src/api/schema.js';
import { watchResource } from '../../src/kube/informer.js';
import { customObjectLister, customResourcePath } from '../../src/kube/lists.js';
import { createLogger } from '../../src/log.js';
import { startBed } from '../env/bed.js';
import { bedFlags, startMcdns } from '../env/mcdns.js';
import { putGateway, putRoute, setGatewayAddresses, setRouteParents } from '../env/gateway-api.js';
import { ensureNamespace, eventually, putIngress, setIngressAddresses } from '../env/workloads.js';
import { summarize, type Summary } from './stats.js';

export interface LatencyOptions {
  changes: number;
  /** Trials run after this long without any event, to expose quiet-watch delays (client-node #3020). */
  idleTrials: number;
  idleMs: number;
  minEventSyncInterval: string;
}

export interface LatencyResult {
  scenario: 'latency';
  changes: number;
  externalDns: { version: string; minEventSyncInterval: string };
  dnsEndpointMs: Summary;
  dnsAnswerMs: Summary;
  /** A Gateway address change (member1) under a RouteDNSRecord: to its DNSEndpoint, to the answer. */
  route: { dnsEndpointMs: Summary; dnsAnswerMs: Summary };
  idleTrials: { dnsEndpointMs: number[]; dnsAnswerMs: number[]; idleMs: number };
  setupMs: Record<string, number>;
}

const NS = 'bench';
const HOST = 'bench.example.org';
const ROUTE_HOST = 'route.bench.example.org';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function latencyScenario(opts: LatencyOptions, log: (s: string) => void): Promise<LatencyResult> {
  const bed = await startBed({ members: ['member1', 'member2'], gatewayApi: ['member1'], externalDnsOptions: { minEventSyncInterval: opts.minEventSyncInterval } });
  const mcdns = startMcdns([...bedFlags(bed)]);
  try {
    for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
    await bed.kubectl('host', ['apply', '-f', 'manifests/crds/']);
    await putIngress(bed.kubeConfig('member1'), NS, 'web', [HOST], ['127.0.1.1']);
    await putIngress(bed.kubeConfig('member2'), NS, 'web', [HOST], ['127.0.0.12']);
    await bed.apply('host', readFileSync('manifests/samples/ingressdnsrecord.yaml', 'utf8').replace(/fed-helloworld-ingress/g, 'web').replace(/fed-namespace/g, NS).replace(/helloworld\.example\.org/g, HOST));
    const gw = bed.kubeConfig('member1');
    await putGateway(gw, NS, 'gw');
    await setGatewayAddresses(gw, NS, 'gw', ['127.1.1.1']);
    await putRoute(gw, 'HTTPRoute', NS, 'web', { hostnames: [ROUTE_HOST], parents: ['gw'] });
    await setRouteParents(gw, 'HTTPRoute', NS, 'web', [{ parent: 'gw', accepted: true }]);
    await bed.apply('host', `apiVersion: multiclusterdns.kubefed.io/v1alpha1\nkind: RouteDNSRecord\nmetadata: {name: web, namespace: ${NS}}\nspec: {routeRef: {kind: HTTPRoute}, recordTTL: 300}\n`);

    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`127.0.0.1:${bed.powerdns!.port}`]);
    const answerOf = (name: string) => () => resolver.resolve4(name).catch(() => [] as string[]);
    await eventually('first answer', answerOf(HOST), (a) => a.includes('127.0.1.1'), 120_000);
    await eventually('first route answer', answerOf(ROUTE_HOST), (a) => a.includes('127.1.1.1'), 120_000);

    // (a) is timed by a watch on the host, the way ExternalDNS itself learns of the change.
    const seen = new Map<string, number>();
    const host = bed.kubeConfig('host');
    const dnsEndpoints = { group: 'externaldns.k8s.io', version: 'v1alpha1', namespace: NS, plural: 'dnsendpoints' };
    const note = (ep: DNSEndpoint) => {
      for (const t of ep.spec.endpoints?.flatMap((e) => e.targets) ?? []) if (!seen.has(t)) seen.set(t, performance.now());
    };
    const watch = watchResource<DNSEndpoint & KubernetesObject>(
      host,
      customResourcePath(dnsEndpoints),
      customObjectLister(host, dnsEndpoints, 10_000) as () => Promise<KubernetesListObject<DNSEndpoint & KubernetesObject>>,
      { logger: createLogger('error'), on: { add: note, update: note } },
    );

    // One change of member1's Ingress (or, with `route`, of its Gateway), timed to the DNSEndpoint and to the answer.
    const trial = async (i: number, route = false) => {
      const ip = `127.${route ? 1 : 0}.${2 + Math.floor(i / 250)}.${(i % 250) + 1}`;
      const answer = answerOf(route ? ROUTE_HOST : HOST);
      const t0 = performance.now();
      if (route) await setGatewayAddresses(gw, NS, 'gw', [ip]);
      else await setIngressAddresses(bed.kubeConfig('member1'), NS, 'web', [ip]);
      let dnsAt: number | undefined;
      const deadline = t0 + 60_000;
      while (performance.now() < deadline) {
        if ((await answer()).includes(ip)) {
          dnsAt = performance.now();
          break;
        }
        await sleep(10);
      }
      const epAt = seen.get(ip);
      if (dnsAt === undefined || epAt === undefined) throw new Error(`change ${i} (${ip}) not seen within 60 s`);
      return { dnsEndpointMs: epAt - t0, dnsAnswerMs: dnsAt - t0 };
    };

    const ep: number[] = [];
    const dns: number[] = [];
    for (let i = 0; i < opts.changes; i++) {
      const r = await trial(i);
      ep.push(r.dnsEndpointMs);
      dns.push(r.dnsAnswerMs);
      if ((i + 1) % 10 === 0) log(`  ${i + 1}/${opts.changes} changes`);
      await sleep(Math.random() * 500); // de-phase from ExternalDNS's sync ticks
    }
    const routeEp: number[] = [];
    const routeDns: number[] = [];
    for (let i = 0; i < opts.changes; i++) {
      const r = await trial(i, true);
      routeEp.push(r.dnsEndpointMs);
      routeDns.push(r.dnsAnswerMs);
      if ((i + 1) % 10 === 0) log(`  ${i + 1}/${opts.changes} Gateway address changes`);
      await sleep(Math.random() * 500);
    }
    const idle = { dnsEndpointMs: [] as number[], dnsAnswerMs: [] as number[], idleMs: opts.idleMs };
    for (let i = 0; i < opts.idleTrials; i++) {
      log(`  idle trial ${i + 1}/${opts.idleTrials}: ${opts.idleMs / 1000} s without events first`);
      await sleep(opts.idleMs);
      const r = await trial(opts.changes + i);
      idle.dnsEndpointMs.push(Math.round(r.dnsEndpointMs));
      idle.dnsAnswerMs.push(Math.round(r.dnsAnswerMs));
    }
    await watch.stop();
    return {
      scenario: 'latency',
      changes: opts.changes,
      externalDns: { version: bed.externalDns!.version, minEventSyncInterval: opts.minEventSyncInterval },
      dnsEndpointMs: summarize(ep),
      dnsAnswerMs: summarize(dns),
      route: { dnsEndpointMs: summarize(routeEp), dnsAnswerMs: summarize(routeDns) },
      idleTrials: idle,
      setupMs: bed.timings,
    };
  } finally {
    await mcdns.stop();
    await bed.stop();
  }
}
