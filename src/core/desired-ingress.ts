// IngressDNSRecord → its endpoints (one name per host), status.dns and Ready verdict; pure, like
// everything in desired-common.ts.
import type { ClusterIngressDNS, Endpoint, IngressDNSRecord, RecordHealthStatus } from '../api/schema.js';
import { backendsProblem, byClusterName, clusterProblems, loadBalancerStatus, reachability, shortList } from './desired-common.js';
import { hostEndpoints, publishHosts, type HostResult } from './desired-hosts.js';
import { healthPolicy, type ClusterHealth, type HealthInput, type HealthPolicy } from './health-input.js';
import type { ProbeTarget } from './health-status.js';
import { mergePools, targetPool, type TargetPool } from './target-selection.js';
import type { ClusterObservation, ObservedIngress } from './observation.js';
import { compareText } from './targets.js';
import { normaliseName } from './names.js';
import { chooseTtl } from './ttl.js';
import { noClustersVerdict, noHostsVerdict, unavailability, type ReadyVerdict } from './verdict.js';

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
  return [...new Set((record.spec.hosts ?? []).map(normaliseName).filter((h) => h !== ''))].sort(compareText);
}

function matchIngresses(record: IngressDNSRecord, hosts: string[], cluster: ClusterObservation): IngressMatch[] {
  const { name, namespace } = record.metadata;
  const named = cluster.ingresses.find((i) => i.name === name && i.namespace === namespace);
  if (named) return [{ ingress: named, hosts }];
  return cluster.ingresses
    .filter((i) => i.namespace === namespace)
    .map((ingress) => {
      const served = new Set(ingress.hosts.map(normaliseName));
      return { ingress, hosts: hosts.filter((h) => served.has(h)) };
    })
    .filter((m) => m.hosts.length > 0)
    .sort((a, b) => compareText(a.ingress.name, b.ingress.name));
}

/**
 * Why an Ingress's load balancer cannot serve the record although it is up: every Service it
 * routes to has EndpointSlices and none has a ready endpoint (see backendsProblem).
 */
function backendProblem(ingress: ObservedIngress): string | undefined {
  return backendsProblem(`Ingress ${ingress.namespace}/${ingress.name}`, ingress.backends ?? [], ingress.backendEndpoints);
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
  const views = byClusterName(clusters).map((c) => ingressView(record, hosts, c));
  const dns = views.filter((v) => v.matches.length > 0).map(ingressStatus);
  const policy = healthPolicy(record.spec, health);
  const none = policy.evaluated ? { probeTargets: [], health: {} } : {};
  if (hosts.length === 0) return { endpoints: [], dns, ready: noHostsVerdict(), ...none };
  if (clusters.length === 0) return { endpoints: [], dns, ready: noClustersVerdict(), ...none };

  const outcome = publishHosts({
    perHost: hosts.map((host) => hostEndpoints(host, hostPool(host, views, policy), policy, ttl)),
    present: views.filter((v) => v.matches.length > 0).map((v) => reachability(v.cluster)),
    problems: clusterProblems(views),
    notes: ttlNote === undefined ? [] : [ttlNote],
    policy,
    unserved: (h) => unservedNote(h, policy),
  });
  return { ...outcome, dns };
}
