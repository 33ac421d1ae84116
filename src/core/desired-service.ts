// ServiceDNSRecord → its endpoints (global, regional, zonal and alias names), status.dns and
// Ready verdict; pure, like everything in desired-common.ts.
import type { ClusterServiceDNS, Domain, Endpoint, RecordHealthStatus, ServiceDNSRecord } from '../api/schema.js';
import {
  byClusterName,
  clusterProblems,
  distinctTargets,
  loadBalancerStatus,
  publishedSet,
  reachability,
  selectionNotes,
  union,
  withFailOpen,
} from './desired-common.js';
import { healthPolicy, type ClusterHealth, type HealthInput, type HealthPolicy } from './health-input.js';
import { probeProblems, probeTargetsOf, recordHealth, type ProbeTarget } from './health-status.js';
import {
  addressesToPublish,
  mergePools,
  selectFor,
  targetPool,
  type NameLevel,
  type Selection,
  type TargetPool,
} from './target-selection.js';
import type { ClusterObservation, ObservedService } from './observation.js';
import { domainOf, fitsInDns, isDnsLabel, serviceNames, type ServiceNames } from './service-names.js';
import { compareText, endpoint, endpointsForName, sortEndpoints, type NameEndpoints } from './targets.js';
import { chooseTtl } from './ttl.js';
import { nameTooLongVerdict, noClustersVerdict, noTargetsVerdict, publishedVerdict, unavailability, type ReadyVerdict } from './verdict.js';

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

export interface DesiredService {
  endpoints: Endpoint[];
  dns: ClusterServiceDNS[];
  domain: string;
  ready: ReadyVerdict;
  probeTargets?: ProbeTarget[];
  health?: RecordHealthStatus;
}

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
          probeTargets: probeTargetsOf([names.global, ...(names.alias ? [names.alias] : [])].map((host) => ({ host, candidates: allPool.candidates }))),
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
