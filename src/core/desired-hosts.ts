// What the records whose names are hosts share (IngressDNSRecord, RouteDNSRecord): per host, the
// addresses of every cluster that serves it become one pool; the health-aware choice picks from
// it; the endpoints, the health status and the Ready verdict follow over all hosts. Pure. Which
// cluster serves which host, and with what health, is each kind's own business
// (desired-ingress.ts, desired-route.ts).
import type { Endpoint, RecordHealthStatus } from '../api/schema.js';
import { distinctTargets, publishedSet, selectionNotes, union, withFailOpen } from './desired-common.js';
import type { ClusterHealth, HealthPolicy } from './health-input.js';
import { probeProblems, probeTargetsOf, recordHealth, type ProbeTarget } from './health-status.js';
import { addressesToPublish, selectFor, type Selection, type TargetPool } from './target-selection.js';
import { endpointsForName, sortEndpoints, type NameEndpoints } from './targets.js';
import { noTargetsVerdict, publishedVerdict, type ReadyVerdict } from './verdict.js';

export interface HostResult extends NameEndpoints {
  host: string;
  pool: TargetPool;
  selection: Selection;
}

/** The endpoints of one host from the pool of every cluster serving it. */
export function hostEndpoints(host: string, pool: TargetPool, policy: HealthPolicy, ttl: number): HostResult {
  const selection = selectFor(host, pool, policy, 'top');
  return { host, pool, selection, ...endpointsForName(host, addressesToPublish(selection, pool), ttl) };
}

export interface HostsOutcome {
  endpoints: Endpoint[];
  ready: ReadyVerdict;
  /** Present, like `health`, only when a health input was given. */
  probeTargets?: ProbeTarget[];
  health?: RecordHealthStatus;
}

export interface HostsInput {
  perHost: HostResult[];
  /** The clusters where the record's object is seen, with their health (status.health.clusters). */
  present: ClusterHealth[];
  /** "<cluster>: <why it contributes nothing>". */
  problems: string[];
  /** Further notes of the kind (left-out names, a slow TTL), after every other note. */
  notes: string[];
  policy: HealthPolicy;
  /** Why a host has no endpoint while others do. */
  unserved: (h: HostResult) => string;
}

/** The endpoints of every host, the health status and the Ready verdict over them. */
export function publishHosts({ perHost, present, problems: clusterProblems, notes, policy, unserved: unservedNote }: HostsInput): HostsOutcome {
  const endpoints = sortEndpoints(perHost.flatMap((h) => h.endpoints));
  const candidates = perHost.flatMap((h) => h.pool.candidates);
  const failOpenNames = perHost.filter((h) => h.selection.outcome === 'fail-open').map((h) => h.host);
  const healthStatus = policy.evaluated
    ? {
        probeTargets: probeTargetsOf(perHost.map((h) => ({ host: h.host, candidates: h.pool.candidates }))),
        health: recordHealth(present, candidates, publishedSet(endpoints), failOpenNames),
      }
    : {};
  const problems = [...clusterProblems, ...probeProblems(candidates)];
  const choices = selectionNotes(perHost.map((h) => h.selection));
  const nameNotes = perHost.flatMap((h) => h.notes);
  if (endpoints.length === 0) return { endpoints, ready: noTargetsVerdict([...problems, ...nameNotes, ...notes]), ...healthStatus };

  const unserved = perHost.filter((h) => h.endpoints.length === 0).map(unservedNote);
  const summary = {
    names: perHost.length - unserved.length,
    targets: distinctTargets(endpoints),
    clusters: union(perHost.map((h) => h.sources)),
  };
  const ready = withFailOpen(publishedVerdict(summary, [...choices, ...problems, ...unserved, ...nameNotes, ...notes]), failOpenNames);
  return { endpoints, ready, ...healthStatus };
}
