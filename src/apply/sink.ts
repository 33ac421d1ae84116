// The provider sink: publishes the desired endpoints of one record into one configured DNS
// provider. Reads the zones, plans (src/plan/plan.ts), applies one batch per zone, and
// says exactly what happened: changes applied, conflicts, problems, zones that failed.
//
// Safety rules:
//   - every zone a plan needs is read before anything is written; a read that fails (after
//     retries) throws and nothing is written, so a failed read can never look like "the records
//     are gone" and delete what we own;
//   - a batch that fails is never counted as applied; retryable failures (429 with Retry-After,
//     5xx, timeouts, a zone changed under us) re-read the zone and re-plan before trying again,
//     so a retry never replays a stale plan;
//   - writes into one zone are serialised within the process (two workers reconciling two
//     records of the same zone plan one after the other, each on a fresh read).
import type { Logger } from 'winston';
import type { Endpoint } from '../api/schema.js';
import { createLogger } from '../log.js';
import { describeError } from '../errors.js';
import type { ProviderErrorKind } from '../../providers/errors.js';
import { matchesDomainFilter, normaliseName, zoneFor, zoneMatchesDomainFilter, type DomainFilter } from '../plan/names.js';
import type { OwnershipConfig } from '../registry/ownership.js';
import { changeCount, planRecord, type Conflict, type Problem, type RecordPlan, type ZonePlan, type ZoneRecords } from '../plan/plan.js';
import { asProviderError, withRetry, withTimeout, type RetryOptions } from './retry.js';
import { ZoneRegistry } from '../registry/zone.js';
import type { DnsRecord, Policy } from '../plan/records.js';
import type { Provider } from '../../providers/provider.js';

export interface ProviderSinkOptions {
  provider: Provider;
  ownership: OwnershipConfig;
  policy: Policy;
  domainFilter?: DomainFilter;
  /** TTL for endpoints without one (default 300). */
  defaultTtl?: number;
  retry?: RetryOptions;
  /** Longest wait for one provider call before it counts as a timeout (default 30 s). */
  callTimeoutMs?: number;
  /** How long the provider's zone list is reused (default 60 s); zones rarely come and go. */
  zoneListTtlMs?: number;
  log?: Logger;
  now?: () => number;
  /**
   * Hears every provider call (each try of it), for metrics: wire it to src/metrics.ts
   * `observeProviderCall(provider.name, operation, ok, seconds)`.
   */
  onCall?: (operation: ProviderOperation, ok: boolean, seconds: number) => void;
}

export type ProviderOperation = 'zones' | 'records' | 'apply';

export interface ZoneError {
  zone: string;
  message: string;
  kind?: ProviderErrorKind;
  /** When the provider asked to wait longer than the sink retries for: re-queue after this. */
  retryAfterMs?: number;
}

export interface SyncResult {
  resource: string;
  /** Changes the provider confirmed. */
  applied: number;
  /** The batches that were applied, per zone. */
  changes: ZonePlan[];
  conflicts: Conflict[];
  problems: Problem[];
  /** Zones whose batch failed after retries; nothing of those batches counts as applied. */
  zoneErrors: ZoneError[];
}

export interface SinkStats {
  zoneReads: number;
  batches: number;
  changes: number;
  retries: number;
  failedBatches: number;
}

/** A tiny per-key async mutex. */
class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    await before;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

export class ProviderSink {
  readonly provider: Provider;
  private readonly opts: ProviderSinkOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly locks = new KeyedLock();
  /** Incremented after every batch this sink applies to a zone: a read older than that is stale. */
  private readonly generations = new Map<string, number>();
  private zoneList?: { zones: string[]; at: number };
  /** Zones where each resource (may) own records: built from one read of every zone, then kept up to date. */
  private resourceZones?: Map<string, Set<string>>;
  /** Zone reads made to build the ownership index, used once by the sync that needed them. */
  private readonly primed = new Map<string, { read: ZoneRecords; generation: number }>();
  private readonly counters: SinkStats = { zoneReads: 0, batches: 0, changes: 0, retries: 0, failedBatches: 0 };

  constructor(opts: ProviderSinkOptions) {
    this.opts = opts;
    this.provider = opts.provider;
    this.log = (opts.log ?? createLogger('silent')).child({ provider: opts.provider.name });
    this.now = opts.now ?? Date.now;
  }

  stats(): SinkStats {
    return { ...this.counters };
  }

  /** Dry run: what syncRecord would do now, without writing. */
  async planRecord(resource: string, endpoints: readonly Endpoint[]): Promise<RecordPlan> {
    const zones = await this.managedZones();
    const needed = await this.zonesToRead(resource, endpoints, zones);
    const current = await this.readZones(needed);
    return planRecord(this.planInput(resource, endpoints, zones, current.map((c) => c.read)));
  }

  /** Makes the provider publish exactly `endpoints` for `resource` (within the policy). */
  async syncRecord(resource: string, endpoints: readonly Endpoint[]): Promise<SyncResult> {
    return this.sync(resource, endpoints, this.opts.policy);
  }

  /**
   * Removes every record set `resource` owns, with its ownership TXTs, whatever the policy:
   * for the record's finalizer. (A controller running upsert-only or create-only that wants to
   * keep records of deleted resources simply does not call it.)
   */
  async deleteRecord(resource: string): Promise<SyncResult> {
    return this.sync(resource, [], 'sync');
  }

  private async sync(resource: string, endpoints: readonly Endpoint[], policy: Policy): Promise<SyncResult> {
    const zones = await this.managedZones();
    const needed = await this.zonesToRead(resource, endpoints, zones);
    // Every zone is read before anything is written: a failed read throws here.
    const reads = await this.readZones(needed);
    const full = planRecord(this.planInput(resource, endpoints, zones, reads.map((r) => r.read), policy));
    const result: SyncResult = { resource, applied: 0, changes: [], conflicts: [], problems: full.problems, zoneErrors: [] };
    for (const { read, generation } of reads) {
      const outcome = await this.applyZone(resource, endpoints, zones, read, generation, policy, full);
      result.conflicts.push(...outcome.conflicts);
      if (outcome.applied) {
        result.changes.push(outcome.applied);
        result.applied += outcome.applied.changes.length;
      }
      if (outcome.error) result.zoneErrors.push(outcome.error);
      if (!outcome.error) this.rememberZone(resource, read.zone, endpoints, zones, outcome.keepsRecords);
    }
    if (result.applied > 0 || result.conflicts.length > 0 || result.zoneErrors.length > 0) {
      this.log.info('provider sync', {
        resource,
        applied: result.applied,
        conflicts: result.conflicts.length,
        problems: result.problems.length,
        zoneErrors: result.zoneErrors.map((e) => `${e.zone}: ${e.message}`),
      });
    }
    return result;
  }

  /** Plans and applies one zone under its lock, re-reading and re-planning on retryable failures. */
  private async applyZone(
    resource: string,
    endpoints: readonly Endpoint[],
    zones: string[],
    firstRead: ZoneRecords,
    readGeneration: number,
    policy: Policy,
    full: RecordPlan,
  ): Promise<{ applied?: ZonePlan; conflicts: Conflict[]; error?: ZoneError; keepsRecords: boolean }> {
    const zone = firstRead.zone;
    return this.locks.run(zone, async () => {
      let read: ZoneRecords | undefined = this.generation(zone) === readGeneration ? firstRead : undefined;
      let plan: RecordPlan | undefined = read ? full : undefined;
      try {
        return await withRetry(
          `${this.provider.name} zone ${zone}`,
          async () => {
            if (!read || !plan) {
              read = (await this.readZone(zone)).read;
              plan = planRecord({ ...this.planInput(resource, endpoints, zones, [read], policy), partial: true });
            }
            const zonePlan = plan.zones.find((z) => z.zone === zone);
            const conflicts = plan.conflicts.filter((c) => c.zone === zone);
            const keepsRecords = this.keepsRecords(resource, read, zonePlan);
            if (!zonePlan) return { conflicts, keepsRecords };
            try {
              await this.call('apply', `apply ${zonePlan.changes.length} changes to ${zone}`, () => this.provider.apply(zone, zonePlan.changes));
            } catch (err) {
              read = undefined; // whatever happened, the next try starts from a fresh read
              plan = undefined;
              throw err;
            } finally {
              this.generations.set(zone, this.generation(zone) + 1);
            }
            this.counters.batches++;
            this.counters.changes += zonePlan.changes.length;
            this.log.info('applied batch', { resource, zone, changes: summarise(zonePlan) });
            return { applied: zonePlan, conflicts, keepsRecords };
          },
          this.opts.retry,
          (err, attempt, delayMs) => {
            this.counters.retries++;
            this.log.warn('provider call failed, retrying', { resource, zone, attempt, delayMs: Math.round(delayMs), error: err.message, kind: err.kind });
          },
        );
      } catch (err) {
        this.counters.failedBatches++;
        const pe = asProviderError(err, zone);
        const error: ZoneError = {
          zone,
          message: describeError(err),
          ...(pe ? { kind: pe.kind } : {}),
          ...(pe?.retryAfterMs !== undefined ? { retryAfterMs: pe.retryAfterMs } : {}),
        };
        this.log.error('provider batch failed', { resource, zone, error: error.message, kind: error.kind });
        return { conflicts: full.conflicts.filter((c) => c.zone === zone), error, keepsRecords: true };
      }
    });
  }

  private planInput(
    resource: string,
    endpoints: readonly Endpoint[],
    zones: string[],
    current: ZoneRecords[],
    policy: Policy = this.opts.policy,
  ) {
    const maxTargets = this.provider.maxTargets?.bind(this.provider);
    return {
      resource,
      endpoints,
      zones,
      current,
      ownership: this.opts.ownership,
      policy,
      ...(this.opts.domainFilter ? { domainFilter: this.opts.domainFilter } : {}),
      ...(this.opts.defaultTtl !== undefined ? { defaultTtl: this.opts.defaultTtl } : {}),
      ...(maxTargets ? { maxTargets } : {}),
    };
  }

  private generation(zone: string): number {
    return this.generations.get(zone) ?? 0;
  }

  private async call<T>(operation: ProviderOperation, what: string, fn: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const value = await withTimeout(fn(), this.opts.callTimeoutMs ?? 30_000, `${this.provider.name}: ${what}`);
      this.opts.onCall?.(operation, true, seconds());
      return value;
    } catch (err) {
      this.opts.onCall?.(operation, false, seconds());
      throw err;
    }
  }

  /** The provider's zones within the domain filter (cached for zoneListTtlMs). */
  async managedZones(): Promise<string[]> {
    const ttl = this.opts.zoneListTtlMs ?? 60_000;
    if (this.zoneList && this.now() - this.zoneList.at < ttl) return this.zoneList.zones;
    const all = await withRetry(`${this.provider.name} zones`, () => this.call('zones', 'list zones', () => this.provider.zones()), this.opts.retry, () => this.counters.retries++);
    const zones = [...new Set(all.map(normaliseName))].filter((z) => zoneMatchesDomainFilter(z, this.opts.domainFilter)).sort();
    this.zoneList = { zones, at: this.now() };
    return zones;
  }

  private async readZone(zone: string): Promise<{ read: ZoneRecords; generation: number }> {
    const generation = this.generation(zone);
    const records = await withRetry(
      `${this.provider.name} records of ${zone}`,
      () => this.call('records', `read zone ${zone}`, () => this.provider.records(zone)),
      this.opts.retry,
      (err, attempt, delayMs) => {
        this.counters.retries++;
        this.log.warn('zone read failed, retrying', { zone, attempt, delayMs: Math.round(delayMs), error: err.message });
      },
    );
    this.counters.zoneReads++;
    return { read: { zone, records }, generation };
  }

  private async readZones(zones: Iterable<string>): Promise<{ read: ZoneRecords; generation: number }[]> {
    const reads: { read: ZoneRecords; generation: number }[] = [];
    for (const zone of [...zones].sort()) {
      // The read that built the ownership index serves the first sync too (if nothing was written since).
      const primed = this.primed.get(zone);
      this.primed.delete(zone);
      reads.push(primed && primed.generation === this.generation(zone) ? primed : await this.readZone(zone));
    }
    return reads;
  }

  /** Zones of the desired names plus every zone where the resource may own something. */
  private async zonesToRead(resource: string, endpoints: readonly Endpoint[], zones: string[]): Promise<Set<string>> {
    const index = await this.ownershipIndex(zones);
    const needed = new Set<string>();
    for (const e of endpoints) {
      const name = normaliseName(e.dnsName);
      const zone = matchesDomainFilter(name, this.opts.domainFilter) ? zoneFor(name, zones) : undefined;
      if (zone !== undefined) needed.add(zone);
    }
    for (const zone of index.get(resource) ?? []) if (zones.includes(zone)) needed.add(zone);
    return needed;
  }

  /**
   * resource → zones where it owns records. Built once from a read of every managed zone (a
   * restarted controller finds records it published before, wherever they are), then kept up
   * to date by every sync, so later syncs read only the zones that matter.
   */
  private async ownershipIndex(zones: string[]): Promise<Map<string, Set<string>>> {
    if (this.resourceZones) return this.resourceZones;
    const index = new Map<string, Set<string>>();
    const reads = await this.readZones(zones);
    for (const r of reads) this.primed.set(r.read.zone, r);
    for (const { read } of reads) {
      const registry = new ZoneRegistry(read.zone, read.records, this.opts.ownership);
      for (const txt of registry.ownershipTxts.values()) {
        const resource = txt.labels['resource'];
        if (txt.labels['owner'] !== this.opts.ownership.ownerId || resource === undefined) continue;
        index.set(resource, (index.get(resource) ?? new Set()).add(read.zone));
      }
    }
    this.resourceZones = index;
    return index;
  }

  private keepsRecords(resource: string, read: ZoneRecords, plan: ZonePlan | undefined): boolean {
    const registry = new ZoneRegistry(read.zone, read.records, this.opts.ownership);
    const deleted = new Set((plan?.changes ?? []).filter((c) => c.action === 'delete').map((c) => c.record.name));
    const created = (plan?.changes ?? []).some((c) => c.action !== 'delete');
    const remaining = [...registry.ownershipTxts.values()].some(
      (t) => t.labels['owner'] === this.opts.ownership.ownerId && t.labels['resource'] === resource && !deleted.has(t.record.name),
    );
    return created || remaining;
  }

  private rememberZone(resource: string, zone: string, endpoints: readonly Endpoint[], zones: string[], keepsRecords: boolean): void {
    if (!this.resourceZones) return;
    const desiredHere = endpoints.some((e) => zoneFor(normaliseName(e.dnsName), zones) === zone);
    const set = this.resourceZones.get(resource) ?? new Set<string>();
    if (desiredHere || keepsRecords) set.add(zone);
    else set.delete(zone);
    if (set.size > 0) this.resourceZones.set(resource, set);
    else this.resourceZones.delete(resource);
  }

  async close(): Promise<void> {
    await this.provider.close?.();
  }
}

/** "create A www.example.org" lines for logs (targets left out: logs stay short). */
export function summarise(plan: ZonePlan): string[] {
  return plan.changes.map((c) => `${c.action} ${c.record.type} ${c.record.name}`);
}

/** Record sets as "TYPE name ttl targets" lines, for messages and tests. */
export function describeRecord(r: DnsRecord): string {
  return `${r.type} ${r.name} ${r.ttl} ${r.targets.join(',')}`;
}

export { changeCount };
