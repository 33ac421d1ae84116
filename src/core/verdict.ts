// The Ready condition of a record, worded so that an empty DNSEndpoint explains itself:
// KubeFed published empty endpoints without a word (KubeFed #1217, #1316, #1345).
// Messages are single-line, deterministic (same input, same text) and bounded in length,
// because they land in status.conditions[].message and in Events.
import type { ClusterObservation } from './observation.js';
import { plural } from './targets.js';

export interface ReadyVerdict {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

const MESSAGE_LIMIT = 1000;

export interface PublishedSummary {
  names: number;
  targets: number;
  clusters: string[];
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function moreSuffix(count: number): string {
  return `; …and ${count} more`;
}

/** Joins parts with "; ", dropping repeats; past the limit the tail becomes "…and N more". */
export function boundedMessage(parts: string[], limit = MESSAGE_LIMIT): string {
  const clean = [...new Set(parts.map(oneLine).filter((p) => p !== ''))];
  let message = '';
  for (let i = 0; i < clean.length; i++) {
    const part = clean[i]!;
    const next = message === '' ? part : `${message}; ${part}`;
    const remaining = clean.length - i - 1;
    const reserve = remaining > 0 ? moreSuffix(remaining).length : 0;
    if (next.length + reserve <= limit) {
      message = next;
      continue;
    }
    if (message !== '') return message + moreSuffix(clean.length - i);
    // Even the first part is too long: cut it, keeping room for the suffix.
    const suffix = remaining > 0 ? moreSuffix(remaining) : '';
    return `${part.slice(0, Math.max(0, limit - suffix.length - 1))}…${suffix}`;
  }
  return message;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

export function publishedVerdict(summary: PublishedSummary, notes: string[]): ReadyVerdict {
  const head =
    `published ${count(summary.names, 'name')}, ${count(summary.targets, 'target')} ` +
    `from ${plural(summary.clusters, 'cluster')}`;
  return { status: 'True', reason: 'Published', message: boundedMessage([head, ...notes]) };
}

/** Why nothing is published, cluster by cluster. */
export function noTargetsVerdict(problems: string[]): ReadyVerdict {
  return { status: 'False', reason: 'NoTargets', message: boundedMessage(['no targets to publish', ...problems]) };
}

export function noClustersVerdict(): ReadyVerdict {
  return {
    status: 'False',
    reason: 'NoTargets',
    message: 'no targets to publish: no member clusters are registered',
  };
}

export function nameTooLongVerdict(name: string): ReadyVerdict {
  return {
    status: 'False',
    reason: 'NameTooLong',
    message:
      `${name} is longer than DNS allows (253 characters, 63 per label): ` +
      'shorten the Service name or externalName, the namespace, domainRef or the domain',
  };
}

export function noHostsVerdict(): ReadyVerdict {
  return {
    status: 'False',
    reason: 'NoHosts',
    message: 'spec.hosts is empty: list the host names to publish',
  };
}

/** "offline since <time>: <why>" for a cluster that is not online; undefined when online. */
export function unavailability(cluster: ClusterObservation): string | undefined {
  if (cluster.state === 'online') return undefined;
  const state = cluster.state === 'offline' ? 'offline' : 'not synced yet (state unknown)';
  const since = cluster.stateSince ? ` since ${cluster.stateSince}` : '';
  const why = cluster.stateMessage ? `: ${oneLine(cluster.stateMessage)}` : '';
  return `${state}${since}${why}`;
}
