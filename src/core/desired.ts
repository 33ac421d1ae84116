// Record + member-cluster observations → the endpoints to publish, the record's status.dns and
// its Ready verdict. Pure: no I/O, no clock, no logging; the same input gives the same output,
// so a steady state makes zero writes downstream. An optional health input (probe verdicts,
// fail-open, the endpoints published now) prunes unhealthy targets: see health.ts.
import {
  type ClusterIngressDNS,
  type ClusterServiceDNS,
  type Domain,
  type Endpoint,
  type IngressDNSRecord,
  type LoadBalancerIngress,
  type LoadBalancerStatus,
  type RecordHealthStatus,
  type ServiceDNSRecord,
} from '../api/schema.js';
import {
  addressesToPublish,
  healthPolicy,
  mergePools,
  probeProblems,
  probeTargetsOf,
  recordHealth,
  selectFor,
  targetPool,
  type ClusterHealth,
  type HealthInput,
  type HealthPolicy,
  type NameLevel,
  type ProbeTarget,
  type Selection,
  type TargetPool,
} from './health.js';
import { domainOf, fitsInDns, isDnsLabel, serviceNames, type ServiceNames } from './service-names.js';
import type { ClusterObservation, ObservedIngress, ObservedService } from './observation.js';
import {
  compareText,
  endpoint,
  endpointsForName,
  normaliseHostname,
  sortEndpoints,
  type NameEndpoints,
} from './targets.js';
import { chooseTtl } from './ttl.js';
import {
  noClustersVerdict,
  noHostsVerdict,
  nameTooLongVerdict,
  noTargetsVerdict,
  publishedVerdict,
  unavailability,
  type ReadyVerdict,
} from './verdict.js';

export type { ReadyVerdict } from './verdict.js';
export type { HealthInput, HealthView, ProbeHealth, ProbeTarget } from './health.js';

export interface DesiredIngress {
  endpoints: Endpoint[];
  dns: ClusterIngressDNS[];
  ready: ReadyVerdict;
  /**
   * Every address the record could publish, for Prober.track (when spec.healthCheck is set).
   * Present, like `health`, only when a health input was given.
   */
  probeTargets?: ProbeTarget[];
  /** status.health; only when a health input was given. */
  health?: RecordHealthStatus;
}

export interface DesiredService {
  endpoints: Endpoint[];
  dns: ClusterServiceDNS[];
  domain: string;
  ready: ReadyVerdict;
  probeTargets?: ProbeTarget[];
  health?: RecordHealthStatus;
}

function byClusterName(clusters: ClusterObservation[]): ClusterObservation[] {
  return [...clusters].sort((a, b) => compareText(a.cluster, b.cluster));
}

/** KubeFed's status shape, entries de-duplicated and sorted by ip then hostname; `{}` when empty. */
function loadBalancerStatus(entries: LoadBalancerIngress[]): LoadBalancerStatus {
  const unique = new Map<string, LoadBalancerIngress>();
  for (const e of entries) {
    const entry: LoadBalancerIngress = {
      ...(e.ip ? { ip: e.ip } : {}),
      ...(e.hostname ? { hostname: e.hostname } : {}),
    };
    if (entry.ip || entry.hostname) unique.set(`${entry.ip ?? ''}|${entry.hostname ?? ''}`, entry);
  }
  const sorted = [...unique.values()].sort(
    (a, b) => compareText(a.ip ?? '', b.ip ?? '') || compareText(a.hostname ?? '', b.hostname ?? ''),
  );
  return sorted.length > 0 ? { ingress: sorted } : {};
}

function distinctTargets(endpoints: Endpoint[]): number {
  return new Set(endpoints.flatMap((e) => e.targets)).size;
}

function union(lists: string[][]): string[] {
  return [...new Set(lists.flat())].sort(compareText);
}

/** "<cluster>: <why it contributes nothing>", in cluster order. */
function clusterProblems(views: { cluster: ClusterObservation; problem?: string }[]): string[] {
  return views.flatMap((v) => (v.problem === undefined ? [] : [`${v.cluster.cluster}: ${v.problem}`]));
}

function shortList(items: string[], max = 3): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, …`;
}

/** Reachability as health: an offline or not-yet-synced cluster's targets are unhealthy. */
function reachability(cluster: ClusterObservation): ClusterHealth {
  const problem = unavailability(cluster);
  return {
    cluster: cluster.cluster,
    healthy: problem === undefined,
    ...(cluster.stateSince ? { since: cluster.stateSince } : {}),
    ...(problem === undefined ? {} : { problem }),
  };
}

/** Notes of fail-open first (they change what DNS means), then failover. */
function selectionNotes(selections: Selection[]): string[] {
  const open = selections.filter((s) => s.outcome === 'fail-open').flatMap((s) => s.notes);
  const over = selections.filter((s) => s.outcome === 'failover').flatMap((s) => s.notes);
  return [...open, ...over];
}

/** Ready=True, reason FailOpen when some name serves unhealthy targets, so an Event marks it. */
function withFailOpen(verdict: ReadyVerdict, failOpenNames: string[]): ReadyVerdict {
  return failOpenNames.length > 0 && verdict.status === 'True' ? { ...verdict, reason: 'FailOpen' } : verdict;
}

function publishedSet(endpoints: Endpoint[]): Set<string> {
  return new Set(endpoints.flatMap((e) => e.targets));
}

// ---------------------------------------------------------------------------------------------
// IngressDNSRecord
//
// Which Ingress a record means, in each member cluster:
//   1. the Ingress with the record's own name and namespace (KubeFed's rule); it serves all of
//      the record's hosts, whatever its rules say;
//   2. if there is none, the Ingresses of the same namespace whose hosts intersect spec.hosts,
//      each serving only the hosts it lists. Admins expect this: the seed's FederatedIngress
//      template renames its Ingress to `helloworld-ingress` while the record is called
//      `fed-helloworld-ingress`, and under KubeFed's rule alone that record stays empty.
//
// Only online clusters contribute targets. status.dns lists every cluster where a matching
// Ingress is observed, sorted by cluster; an offline or not-yet-synced cluster appears with
// `loadBalancer: {}` so the admin sees that it is known but not published (KubeFed kept
// offline clusters the same way in ServiceDNSRecord status).
// ---------------------------------------------------------------------------------------------

interface IngressMatch {
  ingress: ObservedIngress;
  /** The record hosts this Ingress serves. */
  hosts: string[];
}

interface IngressClusterView {
  cluster: ClusterObservation;
  matches: IngressMatch[];
  problem?: string;
}

export function recordHosts(record: IngressDNSRecord): string[] {
  return [...new Set((record.spec.hosts ?? []).map(normaliseHostname).filter((h) => h !== ''))].sort(compareText);
}

function matchIngresses(record: IngressDNSRecord, hosts: string[], cluster: ClusterObservation): IngressMatch[] {
  const { name, namespace } = record.metadata;
  const named = cluster.ingresses.find((i) => i.name === name && i.namespace === namespace);
  if (named) return [{ ingress: named, hosts }];
  return cluster.ingresses
    .filter((i) => i.namespace === namespace)
    .map((ingress) => {
      const served = new Set(ingress.hosts.map(normaliseHostname));
      return { ingress, hosts: hosts.filter((h) => served.has(h)) };
    })
    .filter((m) => m.hosts.length > 0)
    .sort((a, b) => compareText(a.ingress.name, b.ingress.name));
}

/**
 * Why an Ingress's load balancer cannot serve the record although it is up: every Service it
 * routes to has EndpointSlices and none has a ready endpoint. Where mcdns cannot tell (a backend
 * without EndpointSlices: missing, ExternalName, another controller's), nothing is assumed.
 */
function backendProblem(ingress: ObservedIngress): string | undefined {
  const backends = ingress.backends ?? [];
  const ready = new Map((ingress.backendEndpoints ?? []).map((b) => [b.service, b.ready] as const));
  if (backends.length === 0 || !backends.every((b) => ready.get(b) === 0)) return undefined;
  const services = backends.length === 1 ? `Service ${backends[0]}` : `Services ${shortList(backends)}`;
  return `Ingress ${ingress.namespace}/${ingress.name}: backend ${services} ${backends.length === 1 ? 'has' : 'have'} no ready endpoints`;
}

/** Reachability, then the readiness of the Ingress's backends, as the health of its addresses. */
function ingressHealth(cluster: ClusterObservation, ingress: ObservedIngress): ClusterHealth {
  const reachable = reachability(cluster);
  const problem = reachable.healthy ? backendProblem(ingress) : undefined;
  return problem === undefined ? reachable : { cluster: cluster.cluster, healthy: false, problem };
}

function ingressProblem(record: IngressDNSRecord, hosts: string[], view: IngressClusterView): string | undefined {
  const { cluster, matches } = view;
  const namespace = record.metadata.namespace ?? '';
  if (matches.length === 0) {
    const byHost = hosts.length > 0 ? ` (nor any in ${namespace} with host ${shortList(hosts)})` : '';
    return unavailability(cluster) ?? `no Ingress ${namespace}/${record.metadata.name ?? ''}${byHost}`;
  }
  const down = unavailability(cluster);
  if (down !== undefined) return down;
  if (matches.every((m) => m.ingress.loadBalancer.length === 0)) {
    const names = matches.map((m) => `${m.ingress.namespace}/${m.ingress.name}`).join(', ');
    return `Ingress ${names} has no load-balancer address yet`;
  }
  const unready = matches.map((m) => backendProblem(m.ingress));
  if (unready.every((p) => p !== undefined)) return unready.join('; ');
  return undefined;
}

function ingressView(record: IngressDNSRecord, hosts: string[], cluster: ClusterObservation): IngressClusterView {
  const view: IngressClusterView = { cluster, matches: matchIngresses(record, hosts, cluster) };
  const problem = ingressProblem(record, hosts, view);
  return problem === undefined ? view : { ...view, problem };
}

function ingressStatus(view: IngressClusterView): ClusterIngressDNS {
  const online = view.cluster.state === 'online';
  const entries = online ? view.matches.flatMap((m) => m.ingress.loadBalancer) : [];
  return { cluster: view.cluster.cluster, loadBalancer: loadBalancerStatus(entries) };
}

/** The addresses of every cluster whose Ingress serves `host`, online or not, with their health. */
function hostPool(host: string, views: IngressClusterView[], policy: HealthPolicy): TargetPool {
  return mergePools(
    views.flatMap((v) =>
      v.matches
        .filter((m) => m.hosts.includes(host))
        .map((m) => targetPool(ingressHealth(v.cluster, m.ingress), m.ingress.loadBalancer, policy.probes)),
    ),
  );
}

interface HostResult extends NameEndpoints {
  host: string;
  pool: TargetPool;
  selection: Selection;
}

function hostEndpoints(host: string, views: IngressClusterView[], policy: HealthPolicy, ttl: number): HostResult {
  const pool = hostPool(host, views, policy);
  const selection = selectFor(host, pool, policy, 'top');
  return { host, pool, selection, ...endpointsForName(host, addressesToPublish(selection, pool), ttl) };
}

function unservedNote(h: HostResult, policy: HealthPolicy): string {
  // Without a health input the wording stays what it was before health checks existed.
  const allUnhealthy = policy.evaluated && h.pool.candidates.length > 0;
  return allUnhealthy
    ? `${h.host}: no targets (every target is unhealthy)`
    : `${h.host}: no targets (no Ingress in an online cluster serves this host)`;
}

export function desiredForIngressRecord(
  record: IngressDNSRecord,
  clusters: ClusterObservation[],
  health?: HealthInput,
): DesiredIngress {
  const hosts = recordHosts(record);
  const { ttl, note: ttlNote } = chooseTtl('IngressDNSRecord', record.spec, health?.healthCheckedTtl);
  const ttlNotes = ttlNote === undefined ? [] : [ttlNote];
  const views = byClusterName(clusters).map((c) => ingressView(record, hosts, c));
  const dns = views.filter((v) => v.matches.length > 0).map(ingressStatus);
  const policy = healthPolicy(record.spec, health);
  const none = policy.evaluated ? { probeTargets: [], health: {} } : {};
  if (hosts.length === 0) return { endpoints: [], dns, ready: noHostsVerdict(), ...none };
  if (clusters.length === 0) return { endpoints: [], dns, ready: noClustersVerdict(), ...none };

  const perHost = hosts.map((host) => hostEndpoints(host, views, policy, ttl));
  const endpoints = sortEndpoints(perHost.flatMap((h) => h.endpoints));
  const candidates = perHost.flatMap((h) => h.pool.candidates);
  const failOpenNames = perHost.filter((h) => h.selection.outcome === 'fail-open').map((h) => h.host);
  const present = views.filter((v) => v.matches.length > 0).map((v) => reachability(v.cluster));
  const healthStatus = policy.evaluated
    ? {
        probeTargets: probeTargetsOf(perHost.map((h) => ({ host: h.host, candidates: h.pool.candidates }))),
        health: recordHealth(present, candidates, publishedSet(endpoints), failOpenNames),
      }
    : {};
  const problems = [...clusterProblems(views), ...probeProblems(candidates)];
  const choices = selectionNotes(perHost.map((h) => h.selection));
  const nameNotes = perHost.flatMap((h) => h.notes);
  if (endpoints.length === 0) {
    return { endpoints, dns, ready: noTargetsVerdict([...problems, ...nameNotes, ...ttlNotes]), ...healthStatus };
  }

  const unserved = perHost.filter((h) => h.endpoints.length === 0).map((h) => unservedNote(h, policy));
  const summary = {
    names: hosts.length - unserved.length,
    targets: distinctTargets(endpoints),
    clusters: union(perHost.map((h) => h.sources)),
  };
  const ready = withFailOpen(publishedVerdict(summary, [...choices, ...problems, ...unserved, ...nameNotes, ...ttlNotes]), failOpenNames);
  return { endpoints, dns, ready, ...healthStatus };
}

// ---------------------------------------------------------------------------------------------
// ServiceDNSRecord
//
// A cluster "has the Service" when its last observation holds a Service of the record's name
// and namespace; its addresses "count" when the cluster is online, the Service is of type
// LoadBalancer with an address, and it has ready endpoints (or allowServiceWithoutEndpoints).
//
//   global   union of all counting clusters' targets
//   regional per region of any cluster having the Service (online or not, as last observed):
//            the counting clusters of that region, else a CNAME to the global name
//   zonal    per zone of such a cluster with a region: the counting clusters with that zone in
//            that region, else a CNAME to the regional name
//   alias    `<dnsPrefix>.<domain>` CNAME to the global name
//
// A cluster without a region still feeds the global name; one with a region but no zones feeds
// the regional and global names. KubeFed built `<prefix>..<domain>`-style names for such
// clusters and failed the whole record (KubeFed #1285); here they lose only the names they
// cannot have, and the Ready message says which.
//
// Where this differs from KubeFed (pkg/controller/dnsendpoint/service.go): when no cluster
// counts, KubeFed dropped the global endpoint but kept every regional/zonal CNAME (and the
// dnsPrefix CNAME) pointing up a chain that ends nowhere. Those dangling CNAMEs answer
// NXDOMAIN just as no record does, yet they cost provider writes and TXT ownership records
// and churn each time a Service loses and regains its endpoints. Here no global target means
// no endpoint at all, and Ready=False says why. KubeFed also merged per-cluster A and CNAME
// endpoints of one regional name into a single endpoint; here each name is computed once from
// the union of its clusters, so a name is either A/AAAA or CNAME, never both.
// ---------------------------------------------------------------------------------------------

interface ServiceClusterView {
  cluster: ClusterObservation;
  service?: ObservedService;
  /** Lower-cased; absent when the cluster has none or it is not a DNS label. */
  region?: string;
  zones: string[];
  counts: boolean;
  problem?: string;
  locationNotes: string[];
  /** Reachability and readiness of this cluster for the record. */
  health: ClusterHealth;
  /** The Service's load-balancer addresses with their health (empty without a LoadBalancer Service). */
  pool: TargetPool;
}

function findService(record: ServiceDNSRecord, cluster: ClusterObservation): ObservedService | undefined {
  const { name, namespace } = record.metadata;
  return cluster.services.find((s) => s.name === name && s.namespace === namespace);
}

function serviceProblem(
  record: ServiceDNSRecord,
  cluster: ClusterObservation,
  service?: ObservedService,
): string | undefined {
  const id = `${record.metadata.namespace ?? ''}/${record.metadata.name ?? ''}`;
  const down = unavailability(cluster);
  if (down !== undefined) return down;
  if (service === undefined) return `no Service ${id}`;
  if (service.type !== 'LoadBalancer') return `Service ${id} is type ${service.type}, not LoadBalancer`;
  if (service.loadBalancer.length === 0) return `Service ${id} has no load-balancer address yet`;
  if (service.readyEndpoints <= 0 && !record.spec.allowServiceWithoutEndpoints) {
    return `Service ${id} has no ready endpoints (set allowServiceWithoutEndpoints to publish anyway)`;
  }
  return undefined;
}

function clusterLocation(cluster: ClusterObservation): Pick<ServiceClusterView, 'region' | 'zones' | 'locationNotes'> {
  const name = cluster.cluster;
  const rawRegion = (cluster.region ?? '').trim().toLowerCase();
  const rawZones = union([cluster.zones.map((z) => z.trim().toLowerCase()).filter((z) => z !== '')]);
  if (rawRegion === '') {
    const note = `${name}: no region, so no regional or zonal name`;
    return { zones: [], locationNotes: [`${note} (still in the global name)`] };
  }
  if (!isDnsLabel(rawRegion)) {
    const note = `${name}: region "${rawRegion}" is not a DNS label, so no regional or zonal name`;
    return { zones: [], locationNotes: [`${note} (still in the global name)`] };
  }
  const zones = rawZones.filter(isDnsLabel);
  const notes = rawZones
    .filter((z) => !isDnsLabel(z))
    .map((z) => `${name}: zone "${z}" is not a DNS label, so no zonal name for it`);
  if (rawZones.length === 0) notes.push(`${name}: no zone, so no zonal name (still in the regional and global names)`);
  return { region: rawRegion, zones, locationNotes: notes };
}

/** Reachability, then passive readiness (ready EndpointSlice endpoints), as the cluster's health. */
function serviceClusterHealth(record: ServiceDNSRecord, cluster: ClusterObservation, service?: ObservedService): ClusterHealth {
  const reachable = reachability(cluster);
  if (!reachable.healthy || service === undefined) return reachable;
  if (service.readyEndpoints <= 0 && !record.spec.allowServiceWithoutEndpoints) {
    const id = `${record.metadata.namespace ?? ''}/${record.metadata.name ?? ''}`;
    return { cluster: cluster.cluster, healthy: false, problem: `Service ${id} has no ready endpoints` };
  }
  return reachable;
}

function serviceView(record: ServiceDNSRecord, cluster: ClusterObservation, policy: HealthPolicy): ServiceClusterView {
  const service = findService(record, cluster);
  const problem = serviceProblem(record, cluster, service);
  const location = service === undefined ? { zones: [], locationNotes: [] } : clusterLocation(cluster);
  const health = serviceClusterHealth(record, cluster, service);
  const addresses = service?.type === 'LoadBalancer' ? service.loadBalancer : [];
  return {
    cluster,
    ...(service ? { service } : {}),
    ...location,
    counts: service !== undefined && problem === undefined,
    ...(problem === undefined ? {} : { problem }),
    health,
    pool: targetPool(health, addresses, policy.probes),
  };
}

function serviceStatus(view: ServiceClusterView): ClusterServiceDNS {
  const entries = view.counts ? (view.service?.loadBalancer ?? []) : [];
  const zones = [...new Set(view.cluster.zones)].sort(compareText);
  return {
    cluster: view.cluster.cluster,
    loadBalancer: loadBalancerStatus(entries),
    ...(zones.length > 0 ? { zones } : {}),
    ...(view.cluster.region ? { region: view.cluster.region } : {}),
  };
}

interface ServiceNameResult extends NameEndpoints {
  name: string;
  selection: Selection;
}

function poolOf(views: ServiceClusterView[]): TargetPool {
  return mergePools(views.map((v) => v.pool));
}

/**
 * The name's own endpoints; else the level up's answer. When no cluster there has the Service
 * with an address (presence), that is KubeFed's CNAME to the level up. When clusters there have
 * addresses but none is healthy and fail-open keeps nothing (health, given a health input), the
 * name answers with the level up's own records instead: a name that flips between A and CNAME
 * wedges ExternalDNS's PowerDNS provider, which creates the CNAME before deleting the A and
 * then fails on the conflict at every sync (and with it every other change of that sync).
 */
function nameOrFallback(
  name: string,
  views: ServiceClusterView[],
  up: { name: string; endpoints: Endpoint[]; sources: string[] },
  ttl: number,
  policy: HealthPolicy,
  level: NameLevel,
): ServiceNameResult {
  const pool = poolOf(views);
  const selection = selectFor(name, pool, policy, level);
  const own = endpointsForName(name, addressesToPublish(selection, pool), ttl);
  if (own.endpoints.length > 0) return { ...own, name, selection };
  if (policy.evaluated && selection.outcome === 'none' && up.endpoints.length > 0) {
    const endpoints = up.endpoints.map((e) => endpoint(name, e.recordType, e.targets, ttl));
    const notes = [...own.notes, `${name}: every target is unhealthy, answering with the targets of ${up.name}`];
    return { endpoints, notes, sources: up.sources, name, selection };
  }
  return { endpoints: [endpoint(name, 'CNAME', [up.name], ttl)], notes: own.notes, sources: [], name, selection };
}

function locatedNames(
  names: ServiceNames,
  present: ServiceClusterView[],
  global: NameEndpoints,
  ttl: number,
  policy: HealthPolicy,
  level: NameLevel,
): ServiceNameResult[] {
  const regions = union(present.map((v) => (v.region === undefined ? [] : [v.region])));
  return regions.flatMap((region) => {
    const inRegion = present.filter((v) => v.region === region);
    const regional = nameOrFallback(names.regional(region), inRegion, { ...global, name: names.global }, ttl, policy, level);
    const zonal = union(inRegion.map((v) => v.zones)).map((zone) =>
      nameOrFallback(names.zonal(zone, region), inRegion.filter((v) => v.zones.includes(zone)), regional, ttl, policy, level),
    );
    return [regional, ...zonal];
  });
}

function aliasName(names: ServiceNames, ttl: number): NameEndpoints[] {
  if (names.alias === undefined) return [];
  return [{ endpoints: [endpoint(names.alias, 'CNAME', [names.global], ttl)], notes: [], sources: [] }];
}

/** Drops names longer than DNS allows (long namespaces and domainRefs add up), with a note. */
function withinDnsLimits(results: NameEndpoints[]): { endpoints: Endpoint[]; notes: string[] } {
  const endpoints: Endpoint[] = [];
  const notes: string[] = [];
  for (const r of results) {
    for (const e of r.endpoints) {
      if (fitsInDns(e.dnsName)) endpoints.push(e);
      else notes.push(`${e.dnsName}: longer than DNS allows (253 characters, 63 per label), not published`);
    }
    notes.push(...r.notes);
  }
  return { endpoints, notes };
}

export function desiredForServiceRecord(
  record: ServiceDNSRecord,
  domain: Domain,
  clusters: ClusterObservation[],
  health?: HealthInput,
): DesiredService {
  const zone = domainOf(domain);
  const names = serviceNames(record, zone);
  const { ttl, note: ttlNote } = chooseTtl('ServiceDNSRecord', record.spec, health?.healthCheckedTtl);
  const ttlNotes = ttlNote === undefined ? [] : [ttlNote];
  const policy = healthPolicy(record.spec, health);
  const views = byClusterName(clusters).map((c) => serviceView(record, c, policy));
  const present = views.filter((v) => v.service !== undefined);
  const allPool = poolOf(present);
  const healthStatus = (endpoints: Endpoint[], failOpenNames: string[]) =>
    policy.evaluated
      ? {
          probeTargets: probeTargetsOf([{ host: names.global, candidates: allPool.candidates }]),
          health: recordHealth(present.map((v) => v.health), allPool.candidates, publishedSet(endpoints), failOpenNames),
        }
      : {};
  const nothing = { endpoints: [], dns: present.map(serviceStatus), domain: zone };
  if (clusters.length === 0) return { ...nothing, ready: noClustersVerdict(), ...healthStatus([], []) };
  if (!fitsInDns(names.global)) return { ...nothing, ready: nameTooLongVerdict(names.global), ...healthStatus([], []) };

  const problems = [...clusterProblems(views), ...probeProblems(allPool.candidates)];
  const locationNotes = present.flatMap((v) => v.locationNotes);
  const globalSelection = selectFor(names.global, allPool, policy, 'top');
  const global = endpointsForName(names.global, addressesToPublish(globalSelection, allPool), ttl);
  if (global.endpoints.length === 0) {
    return { ...nothing, ready: noTargetsVerdict([...problems, ...global.notes, ...locationNotes, ...ttlNotes]), ...healthStatus([], []) };
  }

  // Fail-open only while no level has a healthy target; the global name holds every target.
  const anyHealthy = globalSelection.outcome === 'healthy' || globalSelection.outcome === 'failover';
  const located = locatedNames(names, present, global, ttl, policy, anyHealthy ? 'below-healthy' : 'located');
  const published = withinDnsLimits([global, ...located, ...aliasName(names, ttl)]);
  const endpoints = sortEndpoints(published.endpoints);
  const selections = [{ name: names.global, selection: globalSelection }, ...located];
  const failOpenNames = selections.filter((s) => s.selection.outcome === 'fail-open').map((s) => s.name);
  const summary = {
    names: new Set(endpoints.map((e) => e.dnsName)).size,
    targets: distinctTargets(global.endpoints),
    clusters: global.sources,
  };
  const choices = selectionNotes(selections.map((s) => s.selection));
  const ready = withFailOpen(publishedVerdict(summary, [...choices, ...problems, ...locationNotes, ...published.notes, ...ttlNotes]), failOpenNames);
  return { ...nothing, endpoints, ready, ...healthStatus(endpoints, failOpenNames) };
}
