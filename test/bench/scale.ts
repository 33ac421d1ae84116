// Scenario "scale": a fleet of N IngressDNSRecords × K member clusters on real servers, created in
// bulk before mcdns starts, and what it costs mcdns to carry it, beside ExternalDNS v0.22.0
// consuming the same DNSEndpoints. For each N × K, plain first and then, when --member-rtt,
// --background or --churn describe farther or fuller members, realistic (scale/variants.ts):
//
//   setup        one etcd behind host + the members' kube-apiservers (distinct --etcd-prefix; K,
//                or S < K shared through namespace proxies: scale/namespace-proxy.ts), two
//                PowerDNS servers (A for mcdns's direct provider, B for ExternalDNS, which takes
//                request bodies up to 64 MB for ExternalDNS's one PATCH per zone; the zones as
//                PowerDNS creates them, API-RECTIFY on, unless --pdns-api-rectify off), each API
//                behind a counting proxy; N records on the host, in each member one Ingress per
//                record with a loopback load-balancer address set through /status; the members'
//                unrelated workloads (scale/background.ts); their round trip and loss
//                (scale/member-paths.ts), and the member list floor over them.
//   cold start   mcdns (--leader-elect, DNSEndpoints + --provider powerdns beside, TXT ownership)
//                from spawn to all N DNSEndpoints carrying all K targets, and to PowerDNS A
//                holding all N; its CPU, the host's API requests by verb, PowerDNS requests.
//   steady       60 s with nothing changing (but the churn): host writes, provider writes and
//                reads, mcdns's CPU; then what mcdns keeps of its members (its /metrics).
//   changes      single load-balancer changes in a member: → DNSEndpoint (watch) and → PowerDNS
//                answer (DNS query), one at a time, each followed by the provider's floor in the
//                same zone and taken apart from the proxy's log (scale/changes.ts).
//   --source route  the fleet is N RouteDNSRecords, and in each member an HTTPRoute and a Gateway
//                per record (the Gateway API CRDs installed in every member), the Gateway's
//                status.addresses the record's address there and the route accepted through
//                /status; a change moves a Gateway's address. Same names, targets and zones.
//   ExternalDNS  (plain runs) mcdns stopped; ExternalDNS (--source=crd --provider=pdns
//                --registry=txt) on the same N DNSEndpoints → PowerDNS B holding all N: with its
//                kube client rate limit lifted (--kube-api-qps/--kube-api-burst), then with its
//                defaults (5 QPS), each from DNSEndpoints whose status it has not observed yet.
//   floor        last, with nothing else writing: a bare client makes the writes mcdns had to
//                make (N DNSEndpoint creates + N record status updates) with mcdns's worker
//                concurrency, in a scratch namespace of the same host: the API server's own floor.
//
// Every wait is bounded; a phase that does not finish is reported as "did not converge within X s"
// and the run goes on with what can still be measured. Everything is torn down at the end.
import { startBed, type Bed } from '../env/bed.js';
import { startCountingProxy, diffCounts, type CountingProxy, type ProxyCounts } from '../env/counting-proxy.js';
import { startExternalDns, type ExternalDnsHandle } from '../env/externaldns.js';
import { ALLOW_LOOPBACK_PROBES, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { startPowerDns, type PowerDnsHandle } from '../env/powerdns.js';
import { processCost, type ProcessCost } from '../env/procstat.js';
import { diffRecord } from '../env/prom.js';
import { makeTempDir } from '../env/process.js';
import { bounded, KubeRest, type KubeObject } from '../env/rest.js';
import { versions } from '../env/tools.js';
import { installMcdnsCrds } from '../env/workloads.js';
import { createBackground, startChurn, type Churn } from './scale/background.js';
import { changeTrials, type ChangeFigures } from './scale/changes.js';
import { memberListFloorS, startMemberPaths, type MemberPaths } from './scale/member-paths.js';
import { placeMembers, planRuns, type MemberReality, type Placement, type PlannedRun } from './scale/variants.js';
import { dnsEndpointBody, Fleet, FLOOR_NS, gatewayBody, ingressBody, NS, recordBody, recordStatus, routeAccepted, routeBody, type FleetSource } from './scale/fleet.js';
import { apiRequests, machineInfo, mcdnsDefaultWorkers, mcdnsHostWrites, memberObjects, powerdnsHolding, readMcdnsLog, writesOf } from './scale/measure.js';
import { EndpointTracker, LeaseTracker, RecordTracker, type EndpointObject, type LeaseObject, type RecordObject } from './scale/trackers.js';
import { mcdnsProcessEnv } from './options.js';
import type { Summary } from './stats.js';

/** PowerDNS B's webserver-max-bodysize (MB): room for ExternalDNS's single PATCH per zone. */
const EXTERNALDNS_PDNS_MAX_BODY_MB = 64;

export interface ScaleOptions {
  records: number[];
  /** Member clusters (K), one run per value. */
  clusters: number[];
  /** Real kube-apiservers behind the K members (default K: one each); fewer share them (scale/variants.ts). */
  apiServers?: number;
  /**
   * The members as the realistic runs see them (round trip, loss, unrelated workloads, churn);
   * when any is set, each N × K runs plain first, then with them.
   */
  reality: MemberReality;
  /** DNS zones the records are spread over (default 1). */
  zones: number;
  /** What the records name in the members: Ingresses (default) or HTTPRoutes with their Gateways. */
  source: FleetSource;
  /** mcdns --workers, and the bare client's concurrency for the floor (default: mcdns's default). */
  workers?: number;
  /** Requests in flight per API server while creating the fleet. */
  bulkConcurrency: number;
  changes: number;
  steadyS: number;
  convergeTimeoutS: number;
  /** Limit of the lifted ExternalDNS run. */
  externalDnsTimeoutS: number;
  /** Limit of the ExternalDNS run with its defaults (rate-bound: N/5 s); projected when it runs out. */
  externalDnsDefaultsTimeoutS: number;
  changeTimeoutS: number;
  /** ExternalDNS --kube-api-qps and --kube-api-burst for the lifted run. */
  externalDnsLiftedQps: number;
  /** Also run ExternalDNS with its defaults (5 QPS to the API server), after the lifted run (default always). */
  externalDnsDefaults: 'always' | 'never';
  /** Extra mcdns run flags. */
  mcdnsArgs: string[];
  /**
   * The zones' api_rectify at both PowerDNS servers (default on: PowerDNS's own default, the zone
   * left as it creates it). On, PowerDNS rectifies the whole zone in every API change: O(zone
   * rows) per PATCH, which only DNSSEC-signed zones need (docs/providers-powerdns.md); off sets
   * the zone's api_rectify to false, as a DNS team can.
   */
  pdnsApiRectify: boolean;
}

interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

interface ExternalDnsRun {
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

interface ScaleRun {
  records: number;
  clusters: number;
  /** plain: members next door holding the fleet only; realistic: as memberRttMs, background and churnPerS say. */
  variant: PlannedRun['variant'];
  /** Real kube-apiservers behind the `clusters` members. */
  apiServers: number;
  memberRttMs: number;
  memberLossPct: number;
  /** Unrelated Services (with a 10-endpoint EndpointSlice each) per API server, and a tenth as many Ingresses. */
  background: number;
  /** Ready flips per second asked of each API server's background slices, during the steady window and the changes. */
  churnPerS: number;
  /** The flips per second each API server took (null without churn). */
  churnAchievedPerS: number | null;
  /** TCP segments the far-member proxies delayed as lost (null without --member-rtt). */
  memberSegmentsLost: number | null;
  /** Member objects mcdns keeps in its indexes (mcdns_member_objects_indexed), summed over members, after the steady window. */
  objectsRetained: number | null;
  /** Member objects mcdns was told of (mcdns_member_objects_seen, kept or not); null if this mcdns does not count them. */
  objectsSeen: number | null;
  /** Both by kind, summed over members. */
  objectsByKind: Record<string, { retained: number; seen?: number }>;
  /** The round trip mcdns measured to its members (mcdns_member_round_trip_seconds, mean over members), if it does. */
  memberRoundTripMsSeen: number | null;
  /**
   * The member list floor: a bare client lists every member's Ingresses, Services,
   * EndpointSlices and Nodes (all at once, pages of 500) over the members' paths, before mcdns starts.
   */
  memberListS: number;
  dnsEndpointsConvergedS: number | null;
  apiWriteFloorS: number;
  powerdnsConvergedS: number | null;
  externalDnsConvergedS: number | null;
  peakRssMiB: number;
  cpuS: number;
  steady: { hostWrites: number; providerWrites: number; providerReads: number; cpuPercentOfCore: number } & Record<string, unknown>;
  changeLatencyMs: { dnsEndpoint: Percentiles; powerdns: Percentiles };
  /**
   * The provider's floor in the same run and zone: the bench's own single-rrset PATCH straight to
   * PowerDNS → its answer, one after each change (changes.floor has the PATCH alone).
   */
  powerdnsFloorMs: Percentiles;
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
  /**
   * mcdns spawn → every record Ready=True/Published with its K targets and the cleanup finalizer:
   * the end of the cold start's host writes (mcdns writes DNS first, then status and finalizer).
   */
  statusesConvergedS: number | null;
  /** mcdns spawn → /readyz (caches synced). */
  cachesSyncedS: number | null;
  dnsEndpointsAfterSyncS: number | null;
  powerdnsAfterSyncS: number | null;
  /** During the cold start, times a DNSEndpoint that carried all K targets lost one again. */
  dnsEndpointRegressions: number;
  rssAtConvergenceMiB: number | null;
  cpuTotalS: number;
  hostRequestsDuringConvergence: { byVerb: Record<string, number>; byVerbResource: Record<string, number> };
  memberRequestsDuringConvergence: { byVerb: Record<string, number> };
  powerdnsRequestsDuringConvergence: ProxyCounts | null;
  changes: ChangeFigures;
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

const RECORDS = '/apis/multiclusterdns.kubefed.io/v1alpha1';
const DNSENDPOINTS = '/apis/externaldns.k8s.io/v1alpha1';
const INGRESSES = '/apis/networking.k8s.io/v1';
const GATEWAY_API = '/apis/gateway.networking.k8s.io/v1';
const LEASE_DURATION_S = 15;
/** client-go's and mcdns's renew deadline: 2/3 of the lease duration. */
const RENEW_DEADLINE_MS = Math.round((LEASE_DURATION_S * 1000 * 2) / 3);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = (a: { url: string; token: string; caPem: string }) => ({ server: a.url, token: a.token, caPem: a.caPem });
const secs = (ms: number) => Math.round(ms / 100) / 10;
const pct = (s: Summary | null): Percentiles => ({ p50: s?.p50 ?? null, p95: s?.p95 ?? null, p99: s?.p99 ?? null });
const ratio = (a: number | null, b: number | null | undefined) => (a !== null && b ? Math.round((a / b) * 1000) / 1000 : null);

/**
 * Runs each N × K on fresh servers, the plain fleet first and then, when the options describe
 * farther or fuller members, the realistic one (scale/variants.ts); `onRun` gets the result so
 * far after each (to save it early).
 */
export async function scaleScenario(opts: ScaleOptions, log: Log, onRun?: (partial: ScaleResult) => void): Promise<ScaleResult> {
  const workers = opts.workers ?? (await mcdnsDefaultWorkers());
  const machine = machineInfo();
  log(`machine: ${JSON.stringify(machine)}`);
  const runs: ScaleRun[] = [];
  for (const planned of planRuns(opts.records, opts.clusters, opts.apiServers, opts.reality)) {
    const { records: n, clusters: k, apiServers, reality } = planned;
    const members = apiServers < k ? `${k} members on ${apiServers} API servers` : `${k} member clusters`;
    const far =
      planned.variant === 'realistic'
        ? `, members ${reality.memberRttMs} ms away (${reality.memberLossPct} % loss), ${reality.background} unrelated Services each, ${reality.churnPerS} flips/s`
        : '';
    log(`=== scale (${planned.variant}): ${n} ${opts.source === 'route' ? 'RouteDNSRecords' : 'records'} × ${members}${far}, ${opts.zones} zone(s), ${workers} workers`);
    const runner = new ScaleRunner(planned, { ...opts, workers }, log);
    try {
      runs.push(await runner.run());
    } finally {
      await runner.tearDown();
    }
    log(`=== ${n} × ${k} (${planned.variant}): ${JSON.stringify(headline(runs[runs.length - 1]!))}`);
    onRun?.({ machine, options: { ...opts, workers }, runs });
  }
  return { machine, options: { ...opts, workers }, runs };
}

/** The figures of one run in one line, for the console. */
function headline(r: ScaleRun): Record<string, unknown> {
  return {
    records: r.records,
    clusters: r.clusters,
    variant: r.variant,
    apiServers: r.apiServers,
    memberListS: r.memberListS,
    dnsEndpointsConvergedS: r.dnsEndpointsConvergedS,
    apiWriteFloorS: r.apiWriteFloorS,
    powerdnsConvergedS: r.powerdnsConvergedS,
    statusesConvergedS: r.statusesConvergedS,
    externalDnsConvergedS: r.externalDnsConvergedS,
    externalDnsLiftedS: r.externalDnsLiftedS,
    peakRssMiB: r.peakRssMiB,
    cpuS: r.cpuS,
    steady: { hostWrites: r.steady.hostWrites, providerWrites: r.steady.providerWrites, providerReads: r.steady.providerReads, cpuPercentOfCore: r.steady.cpuPercentOfCore },
    objectsRetained: r.objectsRetained,
    objectsSeen: r.objectsSeen,
    changeLatencyMs: r.changeLatencyMs,
    powerdnsFloorMs: r.powerdnsFloorMs,
    membersMarkedOffline: r.membersMarkedOffline,
    leaseRenewalsMissed: r.leaseRenewalsMissed,
  };
}

interface Servers {
  bed: Bed;
  /** mcdns's PowerDNS (direct provider) and ExternalDNS's, each behind a counting proxy. */
  pdnsA: PowerDnsHandle;
  pdnsB: PowerDnsHandle;
  proxyA: CountingProxy;
  proxyB: CountingProxy;
  /** Also to PowerDNS A: the path of the floor's PATCHes (the same kind of hop as mcdns's). */
  proxyFloor: CountingProxy;
  rest: Record<string, KubeRest>;
  host: KubeRest;
  /** The bed's names of the real member API servers (the members themselves when each has its own). */
  servers: string[];
  /** Where each member's fleet lives. */
  placements: Placement[];
  /** How mcdns reaches the members (undefined: straight, through the bed's kubeconfig). */
  paths?: MemberPaths;
}

interface ColdStart {
  dnsEndpointsConvergedS: number | null;
  powerdnsConvergedS: number | null;
  statusesConvergedS: number | null;
  cachesSyncedS: number | null;
  dnsEndpointsAfterSyncS: number | null;
  powerdnsAfterSyncS: number | null;
  cost: ProcessCost;
  requests: Pick<ScaleRun, 'hostRequestsDuringConvergence' | 'memberRequestsDuringConvergence' | 'powerdnsRequestsDuringConvergence'>;
}

/** One N × K: servers up, fleet in, each phase measured, everything stopped by tearDown(). */
class ScaleRunner {
  private readonly n: number;
  private readonly fleet: Fleet;
  private churn: Churn | undefined;
  private readonly notes: string[] = [];
  private readonly setupS: Record<string, number> = {};
  private readonly abort = new AbortController();
  private readonly cleanups: Array<() => Promise<void> | void> = [];
  private readonly tracker: EndpointTracker;
  private readonly records: RecordTracker;
  private readonly lease = new LeaseTracker(RENEW_DEADLINE_MS);
  private bed: Bed | undefined;
  private mcdns: McdnsHandle | undefined;
  private xdns: ExternalDnsHandle | undefined;
  private metricsUrl = '';

  constructor(
    private readonly planned: PlannedRun,
    private readonly opts: ScaleOptions & { workers: number },
    private readonly log: Log,
  ) {
    this.n = planned.records;
    this.fleet = new Fleet(planned.records, planned.clusters, opts.zones, opts.source);
    this.tracker = new EndpointTracker(this.fleet);
    this.records = new RecordTracker(this.fleet);
  }

  async run(): Promise<ScaleRun> {
    const { n, opts, planned } = this;
    const { reality } = planned;
    const s = await this.timed('servers', () => this.startServers());
    await this.timed('fleet', () => this.createFleet(s));
    if (reality.background > 0) await this.timed('background', () => this.createBackground(s));
    if (s.placements.some((p) => p.namespace !== NS) || reality.memberRttMs > 0 || reality.memberLossPct > 0) {
      s.paths = await startMemberPaths(s.bed, s.servers, s.placements, { rttMs: reality.memberRttMs, lossPct: reality.memberLossPct }, NS, makeTempDir('scale-paths'));
      this.cleanups.push(() => s.paths?.close());
    }
    // What listing the members takes a bare client over their paths: the cold start's member floor.
    const members = s.paths?.members ?? s.placements.map((p) => ({ name: p.member, ...pick(s.bed.apiServer(s.servers[p.server]!)) }));
    const memberListS = await memberListFloorS(members);
    this.log(`member list floor: ${memberListS} s to list every member's Ingresses, Services, EndpointSlices and Nodes (pages of 500)`);
    await this.watch(s);
    const metricsPort = await freePort();
    this.metricsUrl = `http://127.0.0.1:${metricsPort}`;
    const cold = await this.coldStart(s, metricsPort);
    if (reality.churnPerS > 0 && reality.background > 0) {
      this.log(`churn: ${reality.churnPerS} ready flips/s on each API server's background EndpointSlices, until the changes end`);
      this.churn = startChurn(s.servers.map((c) => s.rest[c]!), reality.background, reality.churnPerS);
    }
    const steady = await this.steadyState(s);
    const objects = await memberObjects(this.metricsUrl);
    const changes = cold.dnsEndpointsConvergedS === null && cold.powerdnsConvergedS === null ? this.skipChanges() : await this.loadBalancerChanges(s);
    const churnAchievedPerS = this.churn ? await this.churn.stop() : null;
    if (this.churn) this.log(`  churn: ${churnAchievedPerS} flips/s per API server taken (${this.churn.failed} failed)`);
    this.churn = undefined;
    // What mcdns cost over the whole run and what it logged, read before it stops.
    const mcdns = this.mcdns!;
    const finalCost = processCost(mcdns.process.pid!);
    const mlog = readMcdnsLog(mcdns.logFile);
    await mcdns.stop();
    this.mcdns = undefined;

    const externalDns: ScaleRun['externalDns'] = {};
    if (cold.dnsEndpointsConvergedS === null) {
      this.notes.push('ExternalDNS skipped: the DNSEndpoints never converged');
    } else if (planned.variant === 'realistic') {
      this.notes.push('ExternalDNS not run: it reads the host only, which the members\' reality does not change (see the plain run)');
    } else {
      const lift = String(opts.externalDnsLiftedQps);
      externalDns.lifted = await this.externalDnsRun(s, 'lifted', [`--kube-api-qps=${lift}`, `--kube-api-burst=${lift}`]);
      if (opts.externalDnsDefaults === 'always') externalDns.defaults = await this.externalDnsRun(s, 'defaults', []);
    }
    const apiWriteFloorS = await this.measureFloor(s);

    return {
      records: n,
      clusters: planned.clusters,
      variant: planned.variant,
      apiServers: planned.apiServers,
      memberRttMs: reality.memberRttMs,
      memberLossPct: reality.memberLossPct,
      background: reality.background,
      churnPerS: reality.churnPerS,
      churnAchievedPerS,
      memberSegmentsLost: s.paths && (reality.memberRttMs > 0 || reality.memberLossPct > 0) ? s.paths.segmentsLost() : null,
      ...objects,
      memberListS,
      dnsEndpointsConvergedS: cold.dnsEndpointsConvergedS,
      apiWriteFloorS,
      powerdnsConvergedS: cold.powerdnsConvergedS,
      externalDnsConvergedS: externalDns.defaults?.convergedS ?? null,
      peakRssMiB: finalCost.peakRssMiB,
      cpuS: cold.cost.cpuS,
      steady,
      changeLatencyMs: { dnsEndpoint: pct(changes.dnsEndpointMs), powerdns: pct(changes.powerdnsMs) },
      powerdnsFloorMs: pct(changes.floor.answerMs),
      membersMarkedOffline: Math.max(mlog.offline, mlog.transitionsToOffline),
      leaseRenewalsMissed: Math.max(this.lease.missed, mlog.stepDowns),
      zones: opts.zones,
      workers: opts.workers,
      externalDnsLiftedS: externalDns.lifted?.convergedS ?? null,
      ratio: ratio(cold.powerdnsConvergedS, externalDns.defaults?.convergedS),
      ratioLifted: ratio(cold.powerdnsConvergedS, externalDns.lifted?.convergedS),
      floorRatio: ratio(cold.dnsEndpointsConvergedS, apiWriteFloorS),
      statusesConvergedS: cold.statusesConvergedS,
      cachesSyncedS: cold.cachesSyncedS,
      dnsEndpointsAfterSyncS: cold.dnsEndpointsAfterSyncS,
      powerdnsAfterSyncS: cold.powerdnsAfterSyncS,
      dnsEndpointRegressions: this.tracker.regressions,
      rssAtConvergenceMiB: cold.cost.rssMiB,
      cpuTotalS: finalCost.cpuS,
      ...cold.requests,
      changes,
      lease: {
        renewalFailures: mlog.renewalFailures,
        stepDowns: mlog.stepDowns,
        maxRenewGapS: this.lease.renewals > 1 ? secs(this.lease.maxGapMs) : null,
        renewDeadlineS: RENEW_DEADLINE_MS / 1000,
        renewalsSeen: this.lease.renewals,
      },
      mcdnsLog: { errors: mlog.errors, warnings: mlog.warnings, firstErrors: mlog.firstErrors },
      externalDns,
      setupS: this.setupS,
      notes: this.notes,
    };
  }

  async tearDown(): Promise<void> {
    this.abort.abort();
    await this.churn?.stop().catch(() => undefined);
    await this.xdns?.stop().catch(() => undefined);
    if (this.mcdns) {
      this.log(`--- mcdns log (last lines)\n${this.mcdns.process.logTail(30)}`);
      await this.mcdns.stop().catch(() => undefined);
    }
    for (const c of this.cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    await this.bed?.stop().catch((e: Error) => this.log(`(teardown: ${e.message})`));
  }

  private async timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    const v = await fn();
    this.setupS[name] = secs(Date.now() - t0);
    return v;
  }

  /** etcd, host + the members' API servers, two PowerDNS servers with the zones, counting proxies. */
  private async startServers(): Promise<Servers> {
    const { fleet, opts, planned } = this;
    const placements = placeMembers(planned.clusters, planned.apiServers, NS);
    // Each member on its own server: the servers are the members; else they are named apart.
    const servers = planned.apiServers === planned.clusters ? fleet.members() : Array.from({ length: planned.apiServers }, (_, j) => `apiserver${j + 1}`);
    this.log(`starting etcd, ${1 + servers.length} kube-apiservers and two PowerDNS servers`);
    // A route fleet's members serve the Gateway API CRDs.
    const gatewayApi = fleet.source === 'route' ? servers : [];
    const bed = await startBed({ members: servers, powerdns: true, externalDns: false, createZone: false, apiServerStartTimeoutMs: 300_000, gatewayApi });
    this.bed = bed;
    const pdnsA = bed.powerdns!;
    // ExternalDNS sends one PATCH per zone with every change: at 10,000 records that is 20,000
    // rrsets, over PowerDNS's default 2 MB body limit (it would never converge), so B takes more.
    const pdnsB = await startPowerDns({ extraConfig: [`webserver-max-bodysize=${EXTERNALDNS_PDNS_MAX_BODY_MB}`] });
    this.cleanups.push(() => pdnsB.stop());
    for (const z of fleet.zones()) {
      for (const pdns of [pdnsA, pdnsB]) {
        await pdns.createZone(z);
        // On: the zone as PowerDNS makes it (default-api-rectify=yes), as users run it.
        if (!opts.pdnsApiRectify) await pdns.api('PUT', `/servers/localhost/zones/${z}.`, { api_rectify: false });
      }
    }
    const proxyA = await startCountingProxy(pdnsA.apiUrl);
    const proxyB = await startCountingProxy(pdnsB.apiUrl);
    const proxyFloor = await startCountingProxy(pdnsA.apiUrl);
    this.cleanups.push(() => proxyA.close(), () => proxyB.close(), () => proxyFloor.close());
    const sockets = Math.max(opts.bulkConcurrency, opts.workers);
    const rest = Object.fromEntries(bed.clusters.map((c) => [c, new KubeRest(bed.apiServer(c), { maxSockets: sockets })]));
    this.cleanups.push(() => Object.values(rest).forEach((r) => r.close()));
    await installMcdnsCrds((m) => bed.apply(bed.host, m));
    for (const ns of [NS, FLOOR_NS]) await rest[bed.host]!.post('/api/v1/namespaces', { metadata: { name: ns } }, [409]);
    for (const p of placements) await rest[servers[p.server]!]!.post('/api/v1/namespaces', { metadata: { name: p.namespace } }, [409]);
    return { bed, pdnsA, pdnsB, proxyA, proxyB, proxyFloor, rest, host: rest[bed.host]!, servers, placements };
  }

  /**
   * N records on the host, and in each member one Ingress per
   * record with its load-balancer address set through /status: raw requests, bounded concurrency.
   */
  private async createFleet(s: Servers): Promise<void> {
    const { n, fleet, opts } = this;
    const members = s.placements;
    const route = fleet.source === 'route';
    const what = route ? `${n} HTTPRoutes (accepted) and ${n} Gateways with addresses` : `${n} Ingresses with load-balancer status`;
    this.log(`creating ${n} ${fleet.recordKind()}s on the host and ${what} in each of ${members.length} members`);
    const step = Math.max(1000, Math.round(n / 4 / 1000) * 1000);
    const progress = (what: string) => (done: number) => {
      if (done % step === 0) this.log(`  ${what}: ${done}/${n}`);
    };
    await Promise.all([
      bounded(n, opts.bulkConcurrency, async (i) => {
        await s.host.post(`${RECORDS}/namespaces/${NS}/${fleet.recordPlural()}`, recordBody(fleet, NS, i), [409]);
      }, progress('host records')),
      ...members.map((p, j) =>
        bounded(
          n,
          opts.bulkConcurrency,
          async (i) => {
            const r = s.rest[s.servers[p.server]!]!;
            const ns = p.namespace;
            if (route) {
              await r.post(`${GATEWAY_API}/namespaces/${ns}/gateways`, gatewayBody(fleet, i, ns), [409]);
              await r.mergePatch(`${GATEWAY_API}/namespaces/${ns}/gateways/${fleet.name(i)}/status`, { status: { addresses: [{ type: 'IPAddress', value: fleet.addr(j + 1, i) }] } });
              await r.post(`${GATEWAY_API}/namespaces/${ns}/httproutes`, routeBody(fleet, i, ns), [409]);
              await r.mergePatch(`${GATEWAY_API}/namespaces/${ns}/httproutes/${fleet.name(i)}/status`, { status: routeAccepted(fleet, i) });
              return;
            }
            await r.post(`${INGRESSES}/namespaces/${ns}/ingresses`, ingressBody(fleet, i, ns), [409]);
            await r.mergePatch(`${INGRESSES}/namespaces/${ns}/ingresses/${fleet.name(i)}/status`, {
              status: { loadBalancer: { ingress: [{ ip: fleet.addr(j + 1, i) }] } },
            });
          },
          j === 0 ? progress(`${p.member} ${route ? 'Gateways and HTTPRoutes' : 'Ingresses'} (the other members alike)`) : undefined,
        ),
      ),
    ]);
  }

  /** The members' unrelated workloads, on every real API server (scale/background.ts). */
  private async createBackground(s: Servers): Promise<void> {
    const n = this.planned.reality.background;
    this.log(`creating the background of each of ${s.servers.length} API servers: ${n} headless Services with a 10-endpoint EndpointSlice each, ${Math.floor(n / 10)} Ingresses`);
    const step = Math.max(1000, Math.round(n / 4 / 1000) * 1000);
    const written = await Promise.all(
      s.servers.map((c, j) =>
        createBackground(s.rest[c]!, n, this.opts.bulkConcurrency, j === 0 ? (done) => done % step === 0 && this.log(`  ${c} background: ${done}/${n}`) : undefined),
      ),
    );
    this.log(`  background: ${written.reduce((a, b) => a + b, 0)} objects written`);
  }

  /**
   * The API write floor: a bare client makes the writes a cold start needs (N DNSEndpoint
   * creates, N record status replaces carrying the resourceVersion it holds, as mcdns's do) with
   * mcdns's worker concurrency. It runs last, when nothing else writes, in a scratch namespace
   * of the same host (whose records are created first, untimed, as an informer would hold them).
   */
  private async measureFloor(s: Servers): Promise<number> {
    const { n, fleet, opts } = this;
    const members = fleet.members();
    const records: KubeObject[] = new Array(n);
    await this.timed('floor records', () =>
      bounded(n, opts.bulkConcurrency, async (i) => {
        records[i] = (await s.host.post<KubeObject>(`${RECORDS}/namespaces/${FLOOR_NS}/${fleet.recordPlural()}`, recordBody(fleet, FLOOR_NS, i))).body;
      }),
    );
    this.log(`floor: a bare client makes ${n} DNSEndpoint creates + ${n} record status updates, ${opts.workers} at a time`);
    const t0 = performance.now();
    await bounded(n, opts.workers, async (i) => {
      const rec = records[i]!;
      await s.host.post(`${DNSENDPOINTS}/namespaces/${FLOOR_NS}/dnsendpoints`, dnsEndpointBody(fleet, FLOOR_NS, i, rec));
      await s.host.put(`${RECORDS}/namespaces/${FLOOR_NS}/${fleet.recordPlural()}/${fleet.name(i)}/status`, { ...rec, status: recordStatus(fleet, i, members) });
    });
    const floorS = secs(performance.now() - t0);
    this.log(`  floor: ${floorS} s`);
    return floorS;
  }

  /** The bench's own watches on the host: the DNSEndpoints and the leader Lease. */
  private async watch(s: Servers): Promise<void> {
    const onError = (what: string) => (e: Error) => this.log(`  (watch ${what}: ${e.message}; watching again)`);
    await s.host.listWatch<EndpointObject>(`${DNSENDPOINTS}/namespaces/${NS}/dnsendpoints`, this.tracker.on, this.abort.signal, { onError: onError('dnsendpoints') });
    const plural = this.fleet.recordPlural();
    await s.host.listWatch<RecordObject>(`${RECORDS}/namespaces/${NS}/${plural}`, this.records.on, this.abort.signal, { onError: onError(plural) });
    await s.host.listWatch<LeaseObject>(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases`, this.lease.on, this.abort.signal, { onError: onError('leases') });
  }

  /** mcdns from spawn to all N DNSEndpoints complete and all N names in PowerDNS A. */
  private async coldStart(s: Servers, metricsPort: number): Promise<ColdStart> {
    const { n, fleet, opts, tracker } = this;
    const members = s.servers;
    const hostBefore = await apiRequests(s.host);
    const membersBefore = await Promise.all(members.map((m) => apiRequests(s.rest[m]!)));
    const pdnsBefore = s.proxyA.counts();
    const args = [
      // The members as this run has them: straight (the bed's kubeconfig), or through their paths.
      `--kubeconfig=${s.paths?.kubeconfigPath ?? s.bed.kubeconfigPath}`,
      `--host-context=${s.bed.host}`,
      `--member-contexts=${s.placements.map((p) => p.member).join(',')}`,
      ALLOW_LOOPBACK_PROBES,
      '--provider=powerdns',
      `--pdns-server=${s.proxyA.url}`,
      '--txt-owner-id=mcdns-bench',
      `--metrics-address=127.0.0.1:${metricsPort}`,
      '--leader-elect',
      `--leader-election-namespace=${NS}`,
      `--lease-duration=${LEASE_DURATION_S}s`,
      `--workers=${opts.workers}`,
      '--log-level=info',
      ...opts.mcdnsArgs,
    ];
    // NODE_OPTIONS and malloc settings as the Deployment sets them (manifests/deployment.yaml).
    const processEnv = mcdnsProcessEnv();
    const shown = Object.entries(processEnv).map(([k, v]) => `${k}=${v}`).join(', ');
    this.log(`starting mcdns ${args.filter((a) => !a.startsWith('--kubeconfig')).join(' ')} (${shown})`);
    const t0 = performance.now();
    const mcdns = startMcdns(args, { MCDNS_PDNS_API_KEY: s.pdnsA.apiKey, ...processEnv });
    this.mcdns = mcdns;
    if (mcdns.process.pid === undefined) throw new Error('scale: mcdns did not start');
    let syncedAt: number | undefined;
    let pdnsAt: number | undefined;
    let holding = 0;
    let lastReport = t0;
    let lastPoll = 0;
    let pollEvery = 1000;
    const deadline = t0 + opts.convergeTimeoutS * 1000;
    while (performance.now() < deadline) {
      if (!mcdns.process.running) throw new Error(`scale: mcdns exited (${mcdns.process.exitDescription}); last log lines:\n${mcdns.process.logTail(30)}`);
      if (syncedAt === undefined && (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).then((r) => r.ok, () => false))) syncedAt = performance.now();
      // Whole-zone reads once a second, or less often when one takes longer than 250 ms:
      // PowerDNS serves mcdns meanwhile, and the bench must not become its main client.
      if (pdnsAt === undefined && performance.now() - lastPoll >= pollEvery) {
        lastPoll = performance.now();
        holding = await powerdnsHolding(s.pdnsA, fleet, fleet.addrs).catch(() => holding);
        if (holding === n) pdnsAt = performance.now();
        pollEvery = Math.max(1000, 4 * (performance.now() - lastPoll));
      }
      // The steady state starts only once the cold start's status and finalizer writes are done.
      if (tracker.completedAt !== undefined && pdnsAt !== undefined && this.records.completedAt !== undefined) break;
      if (performance.now() - lastReport > 10_000) {
        lastReport = performance.now();
        this.log(`  ${secs(performance.now() - t0)} s: DNSEndpoints complete ${tracker.complete.size}/${n}, PowerDNS ${holding}/${n}, statuses ${this.records.done.size}/${n}${syncedAt ? '' : ', caches not synced yet'}`);
      }
      await sleep(100);
    }
    const cost = processCost(mcdns.process.pid);
    const epAt = tracker.completedAt;
    if (epAt === undefined) this.notes.push(`DNSEndpoints did not converge within ${opts.convergeTimeoutS} s (${tracker.complete.size}/${n} complete)`);
    if (pdnsAt === undefined) this.notes.push(`PowerDNS (direct) did not converge within ${opts.convergeTimeoutS} s (${holding}/${n} names)`);
    const statusAt = this.records.completedAt;
    if (statusAt === undefined) this.notes.push(`record statuses did not converge within ${opts.convergeTimeoutS} s (${this.records.done.size}/${n} Published)`);
    const hostAfter = await apiRequests(s.host);
    const membersAfter = await Promise.all(members.map((m) => apiRequests(s.rest[m]!)));
    const memberByVerb: Record<string, number> = {};
    membersBefore.forEach((before, j) => {
      for (const [k, v] of Object.entries(diffRecord(before.byVerb, membersAfter[j]!.byVerb))) memberByVerb[k] = (memberByVerb[k] ?? 0) + v;
    });
    const after = (at: number | undefined, from: number | undefined) => (at !== undefined && from !== undefined ? secs(at - from) : null);
    const cold: ColdStart = {
      dnsEndpointsConvergedS: after(epAt, t0),
      powerdnsConvergedS: after(pdnsAt, t0),
      statusesConvergedS: after(statusAt, t0),
      cachesSyncedS: after(syncedAt, t0),
      dnsEndpointsAfterSyncS: after(epAt, syncedAt),
      powerdnsAfterSyncS: after(pdnsAt, syncedAt),
      cost,
      requests: {
        hostRequestsDuringConvergence: { byVerb: diffRecord(hostBefore.byVerb, hostAfter.byVerb), byVerbResource: diffRecord(hostBefore.byVerbResource, hostAfter.byVerbResource) },
        memberRequestsDuringConvergence: { byVerb: memberByVerb },
        powerdnsRequestsDuringConvergence: diffCounts(pdnsBefore, s.proxyA.counts()),
      },
    };
    this.log(`  cold start: DNSEndpoints ${cold.dnsEndpointsConvergedS ?? 'no'} s, PowerDNS ${cold.powerdnsConvergedS ?? 'no'} s, statuses ${cold.statusesConvergedS ?? 'no'} s, caches synced ${cold.cachesSyncedS ?? '?'} s, CPU ${cost.cpuS} s, RSS ${cost.rssMiB} MiB`);
    this.log(`  host requests: ${JSON.stringify(cold.requests.hostRequestsDuringConvergence.byVerb)}; PowerDNS: ${JSON.stringify(cold.requests.powerdnsRequestsDuringConvergence?.byRoute)}`);
    return cold;
  }

  /** steadyS seconds with nothing changing: host writes (Lease renewals apart), PowerDNS reads and writes. */
  private async steadyState(s: Servers): Promise<ScaleRun['steady']> {
    this.log(`steady state: ${this.opts.steadyS} s with nothing changing${this.churn ? ' but the background churn' : ''}`);
    const host0 = await apiRequests(s.host);
    const own0 = await mcdnsHostWrites(this.metricsUrl);
    const pdns0 = s.proxyA.counts();
    const pid = this.mcdns!.process.pid!;
    const cpu0 = processCost(pid).cpuS;
    const t0 = performance.now();
    await sleep(this.opts.steadyS * 1000);
    const cpuPercentOfCore = Math.round(((processCost(pid).cpuS - cpu0) / ((performance.now() - t0) / 1000)) * 1000) / 10;
    const w = writesOf(diffRecord(host0.byVerbResource, (await apiRequests(s.host)).byVerbResource));
    const own = diffRecord(own0, await mcdnsHostWrites(this.metricsUrl));
    const pdns = diffCounts(pdns0, s.proxyA.counts());
    const steady = {
      hostWrites: w.writes,
      providerWrites: pdns.writes,
      providerReads: pdns.reads,
      /** mcdns's CPU time over the window, in percent of one core. */
      cpuPercentOfCore,
      seconds: this.opts.steadyS,
      hostWritesByResource: w.byResource,
      /** What mcdns counted itself (mcdns_host_writes_total): a cross-check of hostWrites. */
      mcdnsCountedHostWrites: own,
      leaseWrites: w.leaseWrites,
      apiserverOwnWrites: w.apiserverOwnWrites,
      providerRequestsByRoute: pdns.byRoute,
    };
    this.log(`  steady: ${JSON.stringify(steady)}`);
    return steady;
  }

  private skipChanges(): ScaleRun['changes'] {
    this.notes.push('load-balancer changes skipped: mcdns had not converged');
    const none = { toPatchMs: null, patchMs: null, afterPatchMs: null, patchesPerChange: null, readInTheWay: 0 };
    return { requested: this.opts.changes, notSeen: this.opts.changes, dnsEndpointMs: null, powerdnsMs: null, floor: { answerMs: null, patchMs: null, notSeen: 0 }, parts: none };
  }

  /** The change trials, each followed by a floor trial in the same zone (scale/changes.ts). */
  private async loadBalancerChanges(s: Servers): Promise<ScaleRun['changes']> {
    const { notes, ...figures } = await changeTrials({
      fleet: this.fleet,
      tracker: this.tracker,
      pdns: s.pdnsA,
      proxy: s.proxyA,
      floorProxy: s.proxyFloor,
      changes: this.opts.changes,
      changeTimeoutS: this.opts.changeTimeoutS,
      setAddress: async (m, i, ip) => {
        const p = s.placements[m - 1]!;
        const r = s.rest[s.servers[p.server]!]!;
        if (this.fleet.source === 'route') {
          await r.mergePatch(`${GATEWAY_API}/namespaces/${p.namespace}/gateways/${this.fleet.name(i)}/status`, { status: { addresses: [{ type: 'IPAddress', value: ip }] } });
          return;
        }
        await r.mergePatch(`${INGRESSES}/namespaces/${p.namespace}/ingresses/${this.fleet.name(i)}/status`, {
          status: { loadBalancer: { ingress: [{ ip }] } },
        });
      },
      log: this.log,
    });
    this.notes.push(...notes);
    return figures;
  }

  /**
   * ExternalDNS on the N DNSEndpoints mcdns left (mcdns stopped) → PowerDNS B holding all N.
   * It writes the status of every DNSEndpoint it has not observed before it plans, so each run
   * starts from unobserved statuses and an empty zone: the same work, a cold start.
   */
  private async externalDnsRun(s: Servers, variant: 'lifted' | 'defaults', extraArgs: string[]): Promise<ExternalDnsRun> {
    const { n, fleet, opts, tracker } = this;
    if (tracker.statusesObserved > 0) {
      this.log(`  resetting ${tracker.statusesObserved} DNSEndpoint statuses`);
      await bounded(n, opts.bulkConcurrency, async (i) => {
        await s.host.mergePatch(`${DNSENDPOINTS}/namespaces/${NS}/dnsendpoints/${fleet.dnsEndpointName(i)}/status`, { status: { observedGeneration: 0 } });
      });
      const until = Date.now() + 60_000;
      while (tracker.statusesObserved > 0 && Date.now() < until) await sleep(200);
    }
    for (const z of fleet.zones()) {
      await s.pdnsB.deleteZone(z);
      await s.pdnsB.createZone(z);
    }
    const timeoutS = variant === 'defaults' ? opts.externalDnsDefaultsTimeoutS : opts.externalDnsTimeoutS;
    const h0 = await apiRequests(s.host);
    const p0 = s.proxyB.counts();
    this.log(`ExternalDNS ${versions.externalDns} (${variant}${extraArgs.length ? `: ${extraArgs.join(' ')}` : ''}) on ${n} DNSEndpoints, at most ${timeoutS} s`);
    const x0 = performance.now();
    const x = await startExternalDns({
      kubeconfig: s.bed.kubeconfigPath,
      context: s.bed.host,
      provider: { pdns: { apiUrl: s.proxyB.url, apiKey: s.pdnsB.apiKey } },
      domainFilter: fleet.zones(),
      ownerId: 'xdns-bench',
      upstreamDefaults: true,
      waitForFirstSync: false,
      extraArgs,
    });
    this.xdns = x;
    let at: number | undefined;
    let holding = 0;
    let report = x0;
    const until = x0 + timeoutS * 1000;
    while (performance.now() < until) {
      if (!x.process.running) throw new Error(`scale: ExternalDNS exited (${x.process.exitDescription}): ${x.logs().split('\n').slice(-20).join('\n')}`);
      holding = await powerdnsHolding(s.pdnsB, fleet, (i) => tracker.targets(fleet.host(i)) ?? fleet.addrs(i)).catch(() => holding);
      if (holding === n) {
        at = performance.now();
        break;
      }
      if (performance.now() - report > 15_000) {
        report = performance.now();
        this.log(`  ${secs(performance.now() - x0)} s: statuses observed ${tracker.statusesObserved}/${n}, PowerDNS ${holding}/${n}`);
      }
      // Its status writes come first and at a steady rate: once a minute of them says it cannot
      // finish within the limit, stop and project instead of waiting the limit out.
      const elapsedS = (performance.now() - x0) / 1000;
      if (elapsedS > 60 && tracker.statusesObserved > 0 && (elapsedS * n) / tracker.statusesObserved > timeoutS * 1.2) break;
      await sleep(1000);
    }
    const elapsed = performance.now() - x0;
    const cost = processCost(x.process.pid!);
    const observed = tracker.statusesObserved;
    await x.stop();
    this.xdns = undefined;
    const run: ExternalDnsRun = {
      args: x.args.filter((a) => !a.startsWith('--pdns-api-key') && !a.startsWith('--kubeconfig')),
      convergedS: at !== undefined ? secs(at - x0) : null,
      timeoutS,
      statusesObserved: observed,
      powerdnsHolding: holding,
      peakRssMiB: cost.peakRssMiB,
      cpuS: cost.cpuS,
      powerdnsRequests: diffCounts(p0, s.proxyB.counts()),
      hostRequestsByVerb: diffRecord(h0.byVerb, (await apiRequests(s.host)).byVerb),
    };
    if (at === undefined) {
      if (observed > 0) run.projectedS = Math.round((elapsed / 1000) * (n / observed));
      this.notes.push(
        `ExternalDNS (${variant}) did not converge within its ${timeoutS} s limit (stopped after ${secs(elapsed)} s: ${observed}/${n} statuses written, ${holding}/${n} names in PowerDNS${run.projectedS ? `; at that rate about ${run.projectedS} s` : ''})`,
      );
    }
    this.log(`  ExternalDNS ${variant}: ${run.convergedS ?? `not within ${timeoutS}`} s, RSS ${run.peakRssMiB} MiB, CPU ${run.cpuS} s, PowerDNS ${JSON.stringify(run.powerdnsRequests.byRoute)}`);
    return run;
  }
}
