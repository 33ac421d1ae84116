// The Degraded condition: a record that serves fewer clusters than it did because a cluster lost
// its Ingress / Service or its load-balancer address. Ready stays True while any cluster serves,
// so without this such a loss would go unnoticed. Offline clusters are not counted here (they
// have their own ClusterOffline Events), nor are targets pruned by health checks (status.health).
//
// "Serves" is read from status.dns (KubeFed's per-cluster load-balancer addresses): a cluster
// serves when its entry has an address. Which clusters were lost is remembered in the condition's
// message ("clusters no longer serving: a, b (...)"), so the condition stays True until they
// serve again, across restarts, and a record that never lost a cluster gets no condition at all.
import type { Condition } from '../api/schema.js';
import { boundedMessage } from './verdict.js';

export const DEGRADED = 'Degraded';
/** Reasons of the Degraded condition, also the reasons of its Events. */
const DegradedReason = { ClustersLost: 'ClustersLost', ClustersRecovered: 'ClustersRecovered' } as const;

const LIST_PREFIX = 'clusters no longer serving: ';

interface DnsEntry {
  cluster?: unknown;
  loadBalancer?: { ingress?: unknown[] };
}

/** Clusters with at least one address in status.dns, and clusters listed there at all. */
export function servingClusters(dns: unknown[] | undefined): { serving: Set<string>; listed: Set<string> } {
  const serving = new Set<string>();
  const listed = new Set<string>();
  for (const e of (dns ?? []) as DnsEntry[]) {
    if (typeof e?.cluster !== 'string') continue;
    listed.add(e.cluster);
    if ((e.loadBalancer?.ingress ?? []).length > 0) serving.add(e.cluster);
  }
  return { serving, listed };
}

/** The clusters a Degraded=True condition lists (its message starts with them). */
export function lostClusters(condition: Condition | undefined): string[] {
  if (condition?.status !== 'True' || !condition.message.startsWith(LIST_PREFIX)) return [];
  const list = condition.message.slice(LIST_PREFIX.length).split(' (')[0] ?? '';
  return list.split(', ').filter((c) => c !== '');
}

export interface DegradedInput {
  /** The record's conditions and status.dns before this reconcile. */
  before: { conditions?: Condition[]; dns?: unknown[] } | undefined;
  /** status.dns as this reconcile computed it. */
  dns: unknown[];
  /** Member clusters now, with whether they answer. */
  members: ReadonlyArray<{ cluster: string; online: boolean }>;
  generation: number | undefined;
  now: Date;
}

export interface DegradedChange {
  condition: Condition;
  /** On a transition, or when more clusters are lost; not when only the reasons' text changed. */
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

/**
 * The next Degraded condition and the Event to record, or undefined when nothing changes
 * (including: the record never lost a cluster).
 */
export function nextDegraded(input: DegradedInput): DegradedChange | undefined {
  const previous = input.before?.conditions?.find((c) => c.type === DEGRADED);
  const remembered = lostClusters(previous);
  const before = servingClusters(input.before?.dns).serving;
  const now = servingClusters(input.dns);
  const member = new Map(input.members.map((m) => [m.cluster, m.online]));
  // Lost: served before (or already lost) and not now; a cluster that left the federation is
  // not lost, and one that merely went offline is reported as offline, not here.
  const lost = [...new Set([...before, ...remembered])]
    .filter((c) => !now.serving.has(c) && member.has(c) && (member.get(c) === true || remembered.includes(c)))
    .sort();
  const condition = (status: 'True' | 'False', reason: string, message: string): Condition => ({
    type: DEGRADED,
    status,
    reason,
    message,
    lastTransitionTime: previous?.status === status ? previous.lastTransitionTime : input.now.toISOString(),
    ...(input.generation !== undefined ? { observedGeneration: input.generation } : {}),
  });
  if (lost.length > 0) {
    const why = lost.map((c) => `${c}: ${now.listed.has(c) ? 'no load-balancer address to publish' : 'no Ingress, Service or route for this record'}`);
    const message = `${LIST_PREFIX}${lost.join(', ')} (${boundedMessage(why, 600)})`;
    if (previous?.status === 'True' && previous.message === message) return undefined;
    const next = condition('True', DegradedReason.ClustersLost, message);
    const added = lost.some((c) => !remembered.includes(c));
    return added ? { condition: next, event: { type: 'Warning', reason: DegradedReason.ClustersLost, message } } : { condition: next };
  }
  if (previous?.status !== 'True') return undefined;
  const message = `no cluster is missing any more: ${remembered.join(', ')} (serving again, or no longer a member)`;
  return { condition: condition('False', DegradedReason.ClustersRecovered, message), event: { type: 'Normal', reason: DegradedReason.ClustersRecovered, message } };
}
