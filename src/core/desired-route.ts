// RouteDNSRecord → its endpoints (one name per host), status.dns, the Ready verdict and the
// HostsDropped condition; pure, like desired-ingress.ts, whose per-host rules it shares
// (desired-hosts.ts).
//
// Which route: in every member, the route of spec.routeRef.kind named spec.routeRef.name (default:
// the record's own name) in the record's namespace.
// Which names: spec.hosts where given, of them only those the route's spec.hostnames cover (the
// others are dropped and HostsDropped names them; TCPRoute and UDPRoute have no hostnames, so every
// host of the record); else the route's spec.hostnames, in every member that holds it.
// Which addresses: of each parent Gateway that accepted the route (its status.parents[] entry says
// Accepted=True), when a listener the route attaches to admits the name (gateway-hostnames.ts),
// from the Gateway's status.addresses: IPAddress as A/AAAA, Hostname as CNAME, by the rules of
// Ingress addresses (targets.ts). A route attached to several Gateways serves all their addresses.
// Health: the member's reachability, then the readiness of the route's backends (weight > 0): a
// member whose every backend Service has EndpointSlices and no ready endpoint is unhealthy; probes
// (spec.healthCheck) as for every record.
import type { ClusterRouteDNS, Endpoint, LoadBalancerIngress, RecordHealthStatus, RouteDNSRecord } from '../api/schema.js';
import { backendsProblem, byClusterName, clusterProblems, loadBalancerStatus, reachability, shortList } from './desired-common.js';
import { hostEndpoints, publishHosts, type HostResult } from './desired-hosts.js';
import { attachedListeners, listenersAdmit, routeServes } from './gateway-hostnames.js';
import { healthPolicy, type ClusterHealth, type HealthInput, type HealthPolicy } from './health-input.js';
import type { ProbeTarget } from './health-status.js';
import { normaliseName } from './names.js';
import type { ClusterObservation, ObservedGateway, ObservedRoute } from './observation.js';
import { mergePools, targetPool, type TargetPool } from './target-selection.js';
import type { RecordCondition } from './status.js';
import { compareText } from './targets.js';
import { chooseTtl } from './ttl.js';
import { noClustersVerdict, noTargetsVerdict, unavailability, type ReadyVerdict } from './verdict.js';

/** The condition that names the hosts a route record does not publish because the route does not serve them. */
export const HOSTS_DROPPED = 'HostsDropped';

export interface DesiredRoute {
  endpoints: Endpoint[];
  dns: ClusterRouteDNS[];
  ready: ReadyVerdict;
  /** The names the record claims whatever their targets: spec.hosts, else the route's hostnames. */
  names: string[];
  /** HostsDropped: which of the record's hosts (or the route's hostnames) are left out, and why. */
  conditions: RecordCondition[];
  probeTargets?: ProbeTarget[];
  health?: RecordHealthStatus;
}

interface GatewayMatch {
  gateway: ObservedGateway;
  /** The names this Gateway serves for the route. */
  hosts: string[];
}

interface RouteClusterView {
  cluster: ClusterObservation;
  route?: ObservedRoute;
  matches: GatewayMatch[];
  problem?: string;
  /** Names the route serves that no listener of an accepting Gateway admits. */
  notes: string[];
}

function routeName(record: RouteDNSRecord): string {
  return record.spec.routeRef.name ?? record.metadata.name ?? '';
}

/** The route a RouteDNSRecord names (kind, namespace, name); undefined when its spec names none (invalid). */
export function namedRoute(record: RouteDNSRecord): { kind: string; namespace: string; name: string } | undefined {
  const ref = record.spec?.routeRef as { kind?: unknown; name?: unknown } | undefined;
  if (typeof ref?.kind !== 'string') return undefined;
  return { kind: ref.kind, namespace: record.metadata.namespace ?? '', name: typeof ref.name === 'string' ? ref.name : (record.metadata.name ?? '') };
}

const describeRoute = (record: RouteDNSRecord): string => `${record.spec.routeRef.kind} ${record.metadata.namespace ?? ''}/${routeName(record)}`;
const gatewayKey = (g: { namespace: string; name: string }): string => `${g.namespace}/${g.name}`;

function routeIn(record: RouteDNSRecord, cluster: ClusterObservation): ObservedRoute | undefined {
  const name = routeName(record);
  return cluster.routes?.find((r) => r.kind === record.spec.routeRef.kind && r.namespace === record.metadata.namespace && r.name === name);
}

/** The record's hosts, normalised, sorted, once each. */
function routeRecordHosts(record: RouteDNSRecord): string[] {
  return [...new Set((record.spec.hosts ?? []).map(normaliseName).filter((h) => h !== ''))].sort(compareText);
}

/**
 * A route hostname that cannot be published under mcdns's limits (schema.ts): its ownership TXT
 * "cname-<first label>" must fit in 63 characters and the whole TXT name in 253.
 */
function unpublishable(name: string): string | undefined {
  const labels = name.split('.');
  if ((labels[0] ?? '').length > 57) return `${name}: its first label is longer than 57 characters (its ownership TXT would not fit)`;
  if (name.length > 247 || labels.some((l) => l.length > 63 || l === '')) return `${name}: longer than a published name may be (247 characters, 63 per label)`;
  return undefined;
}

interface Names {
  /** Published, if some member serves them. */
  hosts: string[];
  /** Claimed (spec.hosts, else the route's publishable hostnames). */
  claimed: string[];
  dropped: RecordCondition;
}

function names(record: RouteDNSRecord, routes: { cluster: string; route: ObservedRoute }[]): Names {
  const given = routeRecordHosts(record);
  const what = describeRoute(record);
  if (routes.length === 0) {
    const dropped: RecordCondition = { type: HOSTS_DROPPED, status: 'Unknown', reason: 'NoRoute', message: `no member holds ${what}` };
    return { hosts: given, claimed: given, dropped };
  }
  if (given.length > 0) {
    const notServed = given.filter((h) => routes.every(({ route }) => !routeServes(route, h)));
    const hostnames = routes.map(({ cluster, route }) => `${cluster}: ${route.hostnames.length > 0 ? shortList(route.hostnames) : 'none'}`);
    const dropped: RecordCondition =
      notServed.length > 0
        ? { type: HOSTS_DROPPED, status: 'True', reason: 'NotInRoute', message: `${shortList(notServed, 10)}: in spec.hosts but not in the spec.hostnames of ${what} (${hostnames.join('; ')}): not published` }
        : { type: HOSTS_DROPPED, status: 'False', reason: 'NoneDropped', message: `every host of spec.hosts is served by ${what}` };
    return { hosts: given.filter((h) => !notServed.includes(h)), claimed: given, dropped };
  }
  const all = [...new Set(routes.flatMap(({ route }) => route.hostnames.map(normaliseName)))].sort(compareText);
  const problems = all.map((h) => unpublishable(h)).filter((p): p is string => p !== undefined);
  const hosts = all.filter((h) => unpublishable(h) === undefined);
  const dropped: RecordCondition =
    problems.length > 0
      ? { type: HOSTS_DROPPED, status: 'True', reason: 'NotPublishable', message: `hostnames of ${what} not published: ${problems.join('; ')}` }
      : { type: HOSTS_DROPPED, status: 'False', reason: 'NoneDropped', message: `every hostname of ${what} is published` };
  return { hosts, claimed: hosts, dropped };
}

/** Why the route's accepted parents serve none of the names in this member; undefined when some do. */
function parentsProblem(route: ObservedRoute, what: string): string | undefined {
  if (route.parents.length === 0) return `${what} names no parent Gateway (spec.parentRefs)`;
  if (route.parents.some((p) => p.accepted)) return undefined;
  const why = route.parents.map((p) => `${gatewayKey(p)}: ${p.notAccepted ?? 'no status from its Gateway controller yet'}`);
  return `${what} is not accepted by any parent Gateway (${shortList(why)})`;
}

/** The Gateways serving some of `hosts` for the route, and why the others serve none. */
function gatewayMatches(route: ObservedRoute, hosts: string[]): { matches: GatewayMatch[]; gaps: string[]; notes: string[] } {
  const byGateway = new Map<string, GatewayMatch>();
  const gaps: string[] = [];
  const notes: string[] = [];
  const served = hosts.filter((h) => routeServes(route, h));
  for (const parent of route.parents.filter((p) => p.accepted)) {
    const gateway = parent.gateway;
    if (!gateway) {
      gaps.push(`Gateway ${gatewayKey(parent)} is not in this member`);
      continue;
    }
    const listeners = attachedListeners(parent, gateway);
    const admitted = served.filter((h) => listenersAdmit(route.kind, listeners, h));
    const section = parent.sectionName === undefined ? '' : ` (listener ${parent.sectionName})`;
    const refused = served.filter((h) => !admitted.includes(h));
    if (refused.length > 0) notes.push(`no listener of Gateway ${gatewayKey(gateway)}${section} admits ${shortList(refused)}`);
    if (admitted.length === 0) {
      if (served.length > 0) gaps.push(`no listener of Gateway ${gatewayKey(gateway)}${section} admits ${shortList(served)}`);
      continue;
    }
    const match = byGateway.get(gatewayKey(gateway)) ?? { gateway, hosts: [] };
    match.hosts = [...new Set([...match.hosts, ...admitted])].sort(compareText);
    byGateway.set(gatewayKey(gateway), match);
  }
  const matches = [...byGateway.values()].sort((a, b) => compareText(gatewayKey(a.gateway), gatewayKey(b.gateway)));
  return { matches, gaps, notes: matches.length > 0 ? notes : [] };
}

function kindProblem(record: RouteDNSRecord, cluster: ClusterObservation): string | undefined {
  const state = cluster.routeKind;
  if (state === undefined || (state.served && state.synced)) return undefined;
  return state.problem ?? (state.served ? `${record.spec.routeRef.kind}s not listed yet` : `serves no ${record.spec.routeRef.kind}`);
}

function routeView(record: RouteDNSRecord, hosts: string[], cluster: ClusterObservation): RouteClusterView {
  const route = routeIn(record, cluster);
  const what = describeRoute(record);
  if (!route) return { cluster, matches: [], notes: [], problem: unavailability(cluster) ?? kindProblem(record, cluster) ?? `no ${what}` };
  const base = { cluster, route, notes: [] as string[] };
  const down = unavailability(cluster);
  const parents = parentsProblem(route, what);
  if (parents !== undefined) return { ...base, matches: [], problem: down ?? parents };
  const { matches, gaps, notes } = gatewayMatches(route, hosts);
  const view: RouteClusterView = { ...base, matches, notes: notes.map((n) => `${cluster.cluster}: ${n}`) };
  if (down !== undefined) return { ...view, problem: down };
  if (matches.length === 0) return { ...view, problem: gaps.length > 0 ? gaps.join('; ') : `${what} serves none of the names` };
  if (matches.every((m) => m.gateway.addresses.length === 0)) {
    const others = matches.flatMap((m) => m.gateway.otherAddresses ?? []);
    const unusable = others.length > 0 ? ` (only addresses of types mcdns cannot publish: ${shortList(others)})` : '';
    return { ...view, problem: `Gateway ${matches.map((m) => gatewayKey(m.gateway)).join(', ')} has no addresses yet${unusable}` };
  }
  const backends = backendsProblem(what, route.backends, route.backendEndpoints);
  return backends === undefined ? view : { ...view, problem: backends };
}

/** Reachability, then the readiness of the route's backends, as the health of its Gateways' addresses. */
function routeHealth(record: RouteDNSRecord, view: RouteClusterView): ClusterHealth {
  const reachable = reachability(view.cluster);
  const route = view.route;
  const problem = reachable.healthy && route ? backendsProblem(describeRoute(record), route.backends, route.backendEndpoints) : undefined;
  return problem === undefined ? reachable : { cluster: view.cluster.cluster, healthy: false, problem };
}

function routeStatus(view: RouteClusterView): ClusterRouteDNS {
  const online = view.cluster.state === 'online';
  const entries: LoadBalancerIngress[] = online ? view.matches.flatMap((m) => m.gateway.addresses) : [];
  const gateways = view.matches.map((m) => gatewayKey(m.gateway));
  return { cluster: view.cluster.cluster, loadBalancer: loadBalancerStatus(entries), ...(gateways.length > 0 ? { gateways } : {}) };
}

function hostPool(record: RouteDNSRecord, host: string, views: RouteClusterView[], policy: HealthPolicy): TargetPool {
  return mergePools(
    views.flatMap((v) => v.matches.filter((m) => m.hosts.includes(host)).map((m) => targetPool(routeHealth(record, v), m.gateway.addresses, policy.probes))),
  );
}

function unservedNote(h: HostResult, policy: HealthPolicy): string {
  const allUnhealthy = policy.evaluated && h.pool.candidates.length > 0;
  return allUnhealthy ? `${h.host}: no targets (every target is unhealthy)` : `${h.host}: no targets (no Gateway in an online cluster serves this host)`;
}

export function desiredForRouteRecord(record: RouteDNSRecord, clusters: ClusterObservation[], health?: HealthInput): DesiredRoute {
  const sorted = byClusterName(clusters);
  const seen = sorted.flatMap((c) => {
    const route = routeIn(record, c);
    return route ? [{ cluster: c.cluster, route }] : [];
  });
  const { hosts, claimed, dropped } = names(record, seen);
  const { ttl, note: ttlNote } = chooseTtl('RouteDNSRecord', record.spec, health?.healthCheckedTtl);
  const views = sorted.map((c) => routeView(record, hosts, c));
  const dns = views.filter((v) => v.route !== undefined).map(routeStatus);
  const policy = healthPolicy(record.spec, health);
  const none = policy.evaluated ? { probeTargets: [], health: {} } : {};
  const base = { dns, names: claimed, conditions: [dropped] };
  if (clusters.length === 0) return { ...base, endpoints: [], ready: noClustersVerdict(), ...none };
  if (hosts.length === 0) {
    const why = seen.length > 0 ? [dropped.status === 'True' ? dropped.message : `${describeRoute(record)} lists no spec.hostnames: list the names to publish in spec.hosts`] : [];
    return { ...base, endpoints: [], ready: noTargetsVerdict([...why, ...clusterProblems(views)]), ...none };
  }
  const outcome = publishHosts({
    perHost: hosts.map((host) => hostEndpoints(host, hostPool(record, host, views, policy), policy, ttl)),
    present: views.filter((v) => v.route !== undefined).map((v) => reachability(v.cluster)),
    problems: clusterProblems(views),
    notes: [...views.flatMap((v) => v.notes), ...(dropped.status === 'True' ? [dropped.message] : []), ...(ttlNote === undefined ? [] : [ttlNote])],
    policy,
    unserved: (h) => unservedNote(h, policy),
  });
  return { ...base, ...outcome };
}
