// The direct DNS providers as the reconciler sees them: publish one record's endpoints to every
// configured provider and say, as a Ready verdict, what kept any of it from being written.
// Ownership conflicts write nothing for the names concerned; provider failures are retried by
// the queue (after the provider's Retry-After when it gave one), never reported as applied.
import type { Logger } from 'winston';
import type { Endpoint } from '../api/schema.js';
import type { Verdict } from '../core/status.js';
import { observeProviderBatch, observeProviderCall, observeProviderZoneRead } from '../metrics/metrics.js';
import { sinkFromConfig, type ProviderSettings } from './config.js';
import { parseResourceId, resourceId } from '../plan/ownership.js';
import type { ProviderSink, SyncResult } from './sink.js';
import { NotLeaderError } from '../errors.js';
import type { RecordKey } from '../core/record-key.js';
import { normaliseName } from '../core/names.js';

/**
 * One sink per configured provider, its calls, batches and zone reads counted in the metrics.
 * `beforeWrite` runs right before every write request to a provider and throws to refuse it:
 * the controller's leader gate. `othersWaiting`: whether the controller has records queued that
 * may publish soon (a lone change is written at once, a burst shares a batch). `holder`: the
 * resource holding a name by the claims (a name handed over is taken in one write).
 */
export interface SinkHooks {
  beforeWrite?: () => void;
  othersWaiting?: () => boolean;
  holder?: (name: string) => string | undefined;
}

export function sinksFrom(settings: ProviderSettings, log: Logger, hooks: SinkHooks = {}): NamedSink[] {
  const { beforeWrite, othersWaiting, holder } = hooks;
  return settings.providers.map((p) => ({
    name: p.provider,
    sink: sinkFromConfig(p, settings.sink, log, {}, {
      onCall: (operation, ok, seconds) => observeProviderCall(p.provider, operation, ok, seconds),
      onBatch: (_zone, changes) => observeProviderBatch(p.provider, changes),
      onZoneRead: (_zone, reason) => observeProviderZoneRead(p.provider, reason),
      ...(beforeWrite ? { beforeWrite } : {}),
      ...(othersWaiting ? { othersWaiting } : {}),
      ...(holder ? { holder } : {}),
    }),
  }));
}

/** The hook that refuses a provider write request (NotLeaderError) while `allowed()` is false. */
export function leaderGate(allowed: () => boolean): () => void {
  return () => {
    if (!allowed()) throw new NotLeaderError('a write request to a DNS provider');
  };
}

export interface NamedSink {
  name: string;
  sink: ProviderSink;
}

export interface DirectOutcome {
  applied: number;
  /** Set when something was not published: the Ready verdict the record should carry. */
  failure?: Verdict;
  /** A provider failed: the queue should retry, after `retryAfterMs` when the provider asked. */
  retry: boolean;
  retryAfterMs?: number;
}

/** Problems that mean "this name is not for this provider", not that something went wrong. */
const informational = new Set(['filtered', 'no-zone']);

export class DirectOutputs {
  /**
   * Resource ids (what the sinks know records by) published and not cleaned up since. The key
   * is parsed back from the id when needed: the same string is the sinks' key, a RecordKey per
   * record is not kept as well.
   */
  private readonly published = new Set<string>();

  constructor(private readonly sinks: NamedSink[]) {}

  /**
   * Hears a record whose DNS a provider sink changed in the background (drift repaired, a name
   * taken over once its holder let go): queue it, so its status says so.
   */
  onRepublished(listener: (key: RecordKey) => void): void {
    for (const { sink } of this.sinks) {
      sink.onRepublished((resource) => {
        const key = this.published.has(resource) ? parseResourceId(resource) : undefined;
        if (key) listener(key);
      });
    }
  }

  get configured(): boolean {
    return this.sinks.length > 0;
  }

  /** Some provider answers a name with every record below it (CoreDNS etcd). */
  get answersSubtree(): boolean {
    return this.sinks.some(({ sink }) => sink.provider.answersSubtree === true);
  }

  /**
   * `only`: the providers are the record's only output (no DNSEndpoints), so a name no provider
   * manages is published nowhere, and the verdict must say so rather than Published.
   */
  async publish(key: RecordKey, endpoints: Endpoint[], opts: { only?: boolean } = {}): Promise<DirectOutcome> {
    const resource = resourceId(key.kind, key.namespace, key.name);
    this.published.add(resource);
    const names = new Set(endpoints.map((e) => normaliseName(e.dnsName)));
    /** Names some provider took (manages a zone for, and did not filter out). */
    const taken = new Set<string>();
    const conflicts: string[] = [];
    const rejected: string[] = [];
    const errors: string[] = [];
    const refused: string[] = [];
    let applied = 0;
    let retryAfterMs: number | undefined;
    for (const { name, sink } of this.sinks) {
      let result: SyncResult;
      try {
        result = await sink.syncRecord(resource, endpoints);
      } catch (err) {
        // A failed read writes nothing (and deletes nothing): retry from scratch.
        errors.push(`${name}: ${(err as Error).message}`);
        continue;
      }
      applied += result.applied;
      const notHere = new Set(result.problems.filter((p) => informational.has(p.reason)).map((p) => normaliseName(p.name)));
      for (const n of names) if (!notHere.has(n)) taken.add(n);
      conflicts.push(...result.conflicts.map((c) => `${name}: ${c.message}`));
      rejected.push(...result.problems.filter((p) => !informational.has(p.reason)).map((p) => `${name}: ${p.message}`));
      for (const e of result.zoneErrors) {
        // The provider refused this record's own changes: the same request would fail again, so
        // it is not retried until the record changes (or the next resync).
        if (e.kind === 'rejected') {
          refused.push(`${name}: zone ${e.zone}: ${e.message}`);
          continue;
        }
        errors.push(`${name}: zone ${e.zone}: ${e.message}`);
        if (e.retryAfterMs !== undefined) retryAfterMs = Math.max(retryAfterMs ?? 0, e.retryAfterMs);
      }
    }
    if (errors.length > 0) {
      return { applied, retry: true, retryAfterMs, failure: { status: 'False', reason: 'ProviderError', message: [...errors, ...refused].join('; ') } };
    }
    if (refused.length > 0) {
      return { applied, retry: false, failure: { status: 'False', reason: 'ProviderError', message: [...refused, ...conflicts, ...rejected].join('; ') } };
    }
    if (conflicts.length > 0) {
      return { applied, retry: false, failure: { status: 'False', reason: 'OwnershipConflict', message: conflicts.join('; ') } };
    }
    if (rejected.length > 0) {
      return { applied, retry: false, failure: { status: 'False', reason: 'ProviderRejected', message: rejected.join('; ') } };
    }
    const nowhere = [...names].filter((n) => !taken.has(n)).sort();
    if (opts.only && nowhere.length > 0) {
      const message = `${nowhere.join(', ')}: in no zone of any configured DNS provider, and DNSEndpoints are off: published nowhere`;
      return { applied, retry: false, failure: { status: 'False', reason: 'NoZone', message } };
    }
    return { applied, retry: false };
  }

  /** The names the record publishes at any provider (what it was last asked for, else what the zones hold for it). */
  async publishedNames(key: RecordKey): Promise<string[]> {
    const resource = resourceId(key.kind, key.namespace, key.name);
    const names = new Set<string>();
    for (const { sink } of this.sinks) for (const n of await sink.publishedNames(resource)) names.add(n);
    return [...names].sort();
  }

  /**
   * Takes `names` out of what the record publishes at every provider, its other names left as
   * they are: a record that cannot be reconciled letting go of names it may no longer hold.
   */
  async withdraw(key: RecordKey, names: readonly string[]): Promise<DirectOutcome> {
    const resource = resourceId(key.kind, key.namespace, key.name);
    this.published.add(resource);
    let applied = 0;
    const errors: string[] = [];
    for (const { name, sink } of this.sinks) {
      try {
        const result = await sink.withdrawNames(resource, names);
        applied += result?.applied ?? 0;
        errors.push(...(result?.zoneErrors ?? []).map((e) => `${name}: zone ${e.zone}: ${e.message}`));
      } catch (err) {
        errors.push(`${name}: ${(err as Error).message}`);
      }
    }
    if (errors.length === 0) return { applied, retry: false };
    return { applied, retry: true, failure: { status: 'False', reason: 'ProviderError', message: errors.join('; ') } };
  }

  /** Whether any provider holds (or this process published) DNS records of the record. */
  holds(key: RecordKey): boolean {
    const resource = resourceId(key.kind, key.namespace, key.name);
    return this.sinks.some(({ sink }) => sink.holds(resource));
  }

  /**
   * The records that own DNS records at some provider (by their ownership TXTs) but for which
   * `exists` says no record exists: what a record deleted without its finalizer having run left
   * behind (deleted while mcdns was down, before its first full reconcile). Reads every zone once.
   */
  async orphans(exists: (key: RecordKey) => boolean): Promise<RecordKey[]> {
    const found = new Map<string, RecordKey>();
    for (const { sink } of this.sinks) {
      for (const resource of await sink.ownedResources()) {
        const key = parseResourceId(resource);
        if (key && !exists(key)) found.set(resource, key);
      }
    }
    return [...found.values()];
  }

  /** Removes everything the record owns at every provider; throws (to retry) if any part failed. */
  async cleanup(key: RecordKey): Promise<void> {
    const resource = resourceId(key.kind, key.namespace, key.name);
    this.published.delete(resource);
    const failures: string[] = [];
    for (const { name, sink } of this.sinks) {
      try {
        const result = await sink.deleteRecord(resource);
        failures.push(...result.zoneErrors.map((e) => `${name}: zone ${e.zone}: ${e.message}`));
      } catch (err) {
        failures.push(`${name}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) throw new Error(failures.join('; '));
  }

  /** A new term as leader: every provider's zones are read again before the next write. */
  forgetZones(): void {
    for (const { sink } of this.sinks) sink.forgetZones();
  }

  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.sink.close()));
  }
}
