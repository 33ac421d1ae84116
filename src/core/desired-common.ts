// What the desired state of every record kind shares: record + member-cluster observations →
// the endpoints to publish, the record's status.dns and its Ready verdict. Pure: no I/O, no
// clock, no logging; the same input gives the same output, so a steady state makes zero writes
// downstream. An optional health input (probe verdicts, fail-open, the endpoints published now)
// prunes unhealthy targets: see target-selection.ts. The kinds themselves: desired-ingress.ts,
// desired-service.ts.
import type { Endpoint, LoadBalancerIngress, LoadBalancerStatus } from '../api/schema.js';
import type { ClusterHealth } from './health-input.js';
import type { Selection } from './target-selection.js';
import type { ClusterObservation } from './observation.js';
import { compareText } from './targets.js';
import { unavailability, type ReadyVerdict } from './verdict.js';

export function byClusterName(clusters: ClusterObservation[]): ClusterObservation[] {
  return [...clusters].sort((a, b) => compareText(a.cluster, b.cluster));
}

/** KubeFed's status shape, entries de-duplicated and sorted by ip then hostname; `{}` when empty. */
export function loadBalancerStatus(entries: LoadBalancerIngress[]): LoadBalancerStatus {
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

export function distinctTargets(endpoints: Endpoint[]): number {
  return new Set(endpoints.flatMap((e) => e.targets)).size;
}

export function union(lists: string[][]): string[] {
  return [...new Set(lists.flat())].sort(compareText);
}

/** "<cluster>: <why it contributes nothing>", in cluster order. */
export function clusterProblems(views: { cluster: ClusterObservation; problem?: string }[]): string[] {
  return views.flatMap((v) => (v.problem === undefined ? [] : [`${v.cluster.cluster}: ${v.problem}`]));
}

export function shortList(items: readonly string[], max = 3): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')}, …`;
}

/**
 * Why a proxy (an Ingress, a route's Gateways) cannot serve although it is up: every Service it
 * sends traffic to has EndpointSlices and none has a ready endpoint. Where mcdns cannot tell (a
 * backend without EndpointSlices: missing, ExternalName, another controller's), nothing is assumed.
 */
export function backendsProblem(owner: string, backends: readonly string[], endpoints: readonly { service: string; ready: number }[] | undefined): string | undefined {
  const ready = new Map((endpoints ?? []).map((b) => [b.service, b.ready] as const));
  if (backends.length === 0 || !backends.every((b) => ready.get(b) === 0)) return undefined;
  const services = backends.length === 1 ? `Service ${backends[0]}` : `Services ${shortList(backends)}`;
  return `${owner}: backend ${services} ${backends.length === 1 ? 'has' : 'have'} no ready endpoints`;
}

/** Reachability as health: an offline or not-yet-synced cluster's targets are unhealthy. */
export function reachability(cluster: ClusterObservation): ClusterHealth {
  const problem = unavailability(cluster);
  return {
    cluster: cluster.cluster,
    healthy: problem === undefined,
    ...(cluster.stateSince ? { since: cluster.stateSince } : {}),
    ...(problem === undefined ? {} : { problem }),
  };
}

/** Notes of fail-open first (they change what DNS means), then failover. */
export function selectionNotes(selections: Selection[]): string[] {
  const open = selections.filter((s) => s.outcome === 'fail-open').flatMap((s) => s.notes);
  const over = selections.filter((s) => s.outcome === 'failover').flatMap((s) => s.notes);
  return [...open, ...over];
}

/** Ready=True, reason FailOpen when some name serves unhealthy targets, so an Event marks it. */
export function withFailOpen(verdict: ReadyVerdict, failOpenNames: string[]): ReadyVerdict {
  return failOpenNames.length > 0 && verdict.status === 'True' ? { ...verdict, reason: 'FailOpen' } : verdict;
}

export function publishedSet(endpoints: Endpoint[]): Set<string> {
  return new Set(endpoints.flatMap((e) => e.targets));
}
