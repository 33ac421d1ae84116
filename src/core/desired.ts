// Record + member-cluster observations → the endpoints to publish, the record's status.dns and
// its Ready verdict. Pure: no I/O, no clock, no logging; the same input gives the same output,
// so a steady state makes zero writes downstream.
import {
  DEFAULT_TTL,
  MAX_TTL,
  type ClusterIngressDNS,
  type ClusterServiceDNS,
  type Domain,
  type Endpoint,
  type IngressDNSRecord,
  type LoadBalancerIngress,
  type LoadBalancerStatus,
  type ServiceDNSRecord,
} from '../api/schema.js';
import { domainOf, fitsInDns, isDnsLabel, serviceNames, type ServiceNames } from './names.js';
import type { ClusterObservation, ObservedIngress, ObservedService } from './observation.js';
import {
  compareText,
  endpoint,
  endpointsForName,
  normaliseHostname,
  sortEndpoints,
  type LoadBalancerAddress,
  type NameEndpoints,
} from './targets.js';
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

export interface DesiredIngress {
  endpoints: Endpoint[];
  dns: ClusterIngressDNS[];
  ready: ReadyVerdict;
}

export interface DesiredService {
  endpoints: Endpoint[];
  dns: ClusterServiceDNS[];
  domain: string;
  ready: ReadyVerdict;
}

/** recordTTL, or KubeFed's 180 s when it is 0 or absent. */
export function ttlOf(spec: { recordTTL?: number }): number {
  const ttl = spec.recordTTL;
  return ttl !== undefined && Number.isInteger(ttl) && ttl > 0 ? Math.min(ttl, MAX_TTL) : DEFAULT_TTL;
}

function byClusterName(clusters: ClusterObservation[]): ClusterObservation[] {
  return [...clusters].sort((a, b) => compareText(a.cluster, b.cluster));
}

function addressesOf(cluster: string, loadBalancer: LoadBalancerIngress[]): LoadBalancerAddress[] {
  return loadBalancer.map((entry) => ({ cluster, ...entry }));
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

function hostAddresses(host: string, views: IngressClusterView[]): LoadBalancerAddress[] {
  return views
    .filter((v) => v.cluster.state === 'online')
    .flatMap((v) =>
      v.matches
        .filter((m) => m.hosts.includes(host))
        .flatMap((m) => addressesOf(v.cluster.cluster, m.ingress.loadBalancer)),
    );
}

export function desiredForIngressRecord(record: IngressDNSRecord, clusters: ClusterObservation[]): DesiredIngress {
  const hosts = recordHosts(record);
  const ttl = ttlOf(record.spec);
  const views = byClusterName(clusters).map((c) => ingressView(record, hosts, c));
  const dns = views.filter((v) => v.matches.length > 0).map(ingressStatus);
  if (hosts.length === 0) return { endpoints: [], dns, ready: noHostsVerdict() };
  if (clusters.length === 0) return { endpoints: [], dns, ready: noClustersVerdict() };

  const perHost = hosts.map((host) => ({ host, ...endpointsForName(host, hostAddresses(host, views), ttl) }));
  const endpoints = sortEndpoints(perHost.flatMap((h) => h.endpoints));
  const problems = clusterProblems(views);
  const nameNotes = perHost.flatMap((h) => h.notes);
  if (endpoints.length === 0) return { endpoints, dns, ready: noTargetsVerdict([...problems, ...nameNotes]) };

  const unserved = perHost
    .filter((h) => h.endpoints.length === 0)
    .map((h) => `${h.host}: no targets (no Ingress in an online cluster serves this host)`);
  const summary = {
    names: hosts.length - unserved.length,
    targets: distinctTargets(endpoints),
    clusters: union(perHost.map((h) => h.sources)),
  };
  return { endpoints, dns, ready: publishedVerdict(summary, [...problems, ...unserved, ...nameNotes]) };
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

function serviceView(record: ServiceDNSRecord, cluster: ClusterObservation): ServiceClusterView {
  const service = findService(record, cluster);
  const problem = serviceProblem(record, cluster, service);
  const location = service === undefined ? { zones: [], locationNotes: [] } : clusterLocation(cluster);
  return {
    cluster,
    ...(service ? { service } : {}),
    ...location,
    counts: service !== undefined && problem === undefined,
    ...(problem === undefined ? {} : { problem }),
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

function countingAddresses(views: ServiceClusterView[]): LoadBalancerAddress[] {
  return views
    .filter((v) => v.counts)
    .flatMap((v) => addressesOf(v.cluster.cluster, v.service?.loadBalancer ?? []));
}

/** The name's own endpoints, or a CNAME one level up when no counting cluster serves it. */
function nameOrFallback(name: string, views: ServiceClusterView[], upLevel: string, ttl: number): NameEndpoints {
  const own = endpointsForName(name, countingAddresses(views), ttl);
  if (own.endpoints.length > 0) return own;
  return { endpoints: [endpoint(name, 'CNAME', [upLevel], ttl)], notes: own.notes, sources: [] };
}

function locatedNames(names: ServiceNames, present: ServiceClusterView[], ttl: number): NameEndpoints[] {
  const regions = union(present.map((v) => (v.region === undefined ? [] : [v.region])));
  return regions.flatMap((region) => {
    const inRegion = present.filter((v) => v.region === region);
    const regional = names.regional(region);
    const zonal = union(inRegion.map((v) => v.zones)).map((zone) =>
      nameOrFallback(names.zonal(zone, region), inRegion.filter((v) => v.zones.includes(zone)), regional, ttl),
    );
    return [nameOrFallback(regional, inRegion, names.global, ttl), ...zonal];
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
): DesiredService {
  const zone = domainOf(domain);
  const names = serviceNames(record, zone);
  const ttl = ttlOf(record.spec);
  const views = byClusterName(clusters).map((c) => serviceView(record, c));
  const present = views.filter((v) => v.service !== undefined);
  const nothing = { endpoints: [], dns: present.map(serviceStatus), domain: zone };
  if (clusters.length === 0) return { ...nothing, ready: noClustersVerdict() };
  if (!fitsInDns(names.global)) return { ...nothing, ready: nameTooLongVerdict(names.global) };

  const problems = clusterProblems(views);
  const locationNotes = present.flatMap((v) => v.locationNotes);
  const global = endpointsForName(names.global, countingAddresses(views), ttl);
  if (global.endpoints.length === 0) {
    return { ...nothing, ready: noTargetsVerdict([...problems, ...global.notes, ...locationNotes]) };
  }

  const published = withinDnsLimits([global, ...locatedNames(names, present, ttl), ...aliasName(names, ttl)]);
  const endpoints = sortEndpoints(published.endpoints);
  const summary = {
    names: new Set(endpoints.map((e) => e.dnsName)).size,
    targets: distinctTargets(global.endpoints),
    clusters: global.sources,
  };
  const ready = publishedVerdict(summary, [...problems, ...locationNotes, ...published.notes]);
  return { ...nothing, endpoints, ready };
}
