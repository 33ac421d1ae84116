// The provider sink: publishes the desired endpoints of every mcdns record into one configured
// DNS provider, zone by zone, as ExternalDNS's plan does, but event-driven:
//
//   - the desired record sets of every record are kept, grouped by zone;
//   - each managed zone is read whole once (which also tells what we own where), then kept
//     current from our own confirmed writes; it is read again on the drift-check schedule
//     (without holding up writes meanwhile) and after any failed or conflicting write;
//   - records published together are planned one after the other against that content (so the
//     first to claim a name keeps it) and written as ONE batch per zone (PowerDNS: one PATCH;
//     etcd: transactions up to its op limit; Azure: bounded concurrency): a change meeting an
//     idle zone goes at once, those arriving while a batch is written go in the next, and a
//     burst (the controller still has records queued) waits a short window to share one;
//   - a batch the provider rejects is split in halves until the names it cannot take are alone,
//     so the others still land and the bad ones are reported on their own records.
//
// Safety rules:
//   - nothing is planned for a zone that could not be read: a failed read throws and writes
//     nothing, so it can never look like "the records are gone" and delete what we own;
//   - a batch that fails is never counted as applied; retryable failures (429 with Retry-After,
//     5xx, timeouts, a zone changed under us) re-read the zone and re-plan before trying again,
//     so a retry never replays a stale plan;
//   - only record sets whose ownership TXT names our owner id and the record are ever changed;
//     foreign and owner-less names are never touched (src/plan/plan.ts);
//   - `beforeWrite` is called right before every write request (each PATCH, etcd transaction or
//     Azure call): the controller's leader gate refuses there.
//
// This file is the sink's face; its parts, each in its own file:
//   desired-state.ts   what each record wants, and in which zones
//   zone-reads.ts      the zone list, zone reads and drift checks
//   zone-batches.ts    gathering publications into one batch per zone
//   batch-writer.ts    planning a batch and writing it, split on reject
//   record-planner.ts  planning one record against one zone as held
//   zone-worker.ts     the per-zone state they share; sink-context.ts the per-sink state
// and src/plan/batch.ts shapes a batch's changes before they are written.
import type { Endpoint } from '../api/schema.js';
import { createLogger } from '../log.js';
import { normaliseName } from '../core/names.js';
import { recordForTxtName } from '../plan/ownership.js';
import type { Conflict, Problem, RecordPlan, ZonePlan } from '../plan/plan.js';
import type { SyncPolicy } from '../plan/records.js';
import type { Provider } from '../../providers/provider.js';
import { BatchWriter } from './batch-writer.js';
import { DesiredState } from './desired-state.js';
import { RecordPlanner } from './record-planner.js';
import type { ProviderSinkOptions, SinkContext, SinkStats, ZoneError } from './sink-context.js';
import type { ZoneContent } from './zone-content.js';
import { ZoneBatches } from './zone-batches.js';
import { ZoneReader } from './zone-reads.js';
import { ZoneWorkers } from './zone-worker.js';

// The sink's options and stats, importable from here as before; the other types are in sink-context.ts.
export type { ProviderSinkOptions, SinkStats } from './sink-context.js';

export interface SyncResult {
  resource: string;
  /** Changes the provider confirmed. */
  applied: number;
  /** The changes that were applied, per zone. */
  changes: ZonePlan[];
  conflicts: Conflict[];
  problems: Problem[];
  /** Zones where the record's changes failed; nothing of those counts as applied. */
  zoneErrors: ZoneError[];
}

export class ProviderSink {
  readonly provider: Provider;
  private readonly ctx: SinkContext;
  private readonly workers = new ZoneWorkers();
  private readonly desired: DesiredState;
  private readonly planner: RecordPlanner;
  private readonly zones: ZoneReader;
  private readonly batches: ZoneBatches;

  constructor(opts: ProviderSinkOptions) {
    this.provider = opts.provider;
    this.ctx = {
      opts,
      provider: opts.provider,
      log: (opts.log ?? createLogger('silent')).child({ provider: opts.provider.name }),
      now: opts.now ?? Date.now,
      counters: { zoneReads: 0, batches: 0, changes: 0, retries: 0, failedBatches: 0 },
      closed: false,
    };
    this.desired = new DesiredState(this.ctx, this.workers);
    this.planner = new RecordPlanner(this.ctx);
    // A drift check ends by flushing what it queued: the zone batches, made just below.
    this.zones = new ZoneReader(this.ctx, this.workers, this.desired, (w) => this.batches.flush(w));
    const writer = new BatchWriter(this.ctx, this.desired, this.zones, this.planner);
    this.batches = new ZoneBatches(this.ctx, this.desired, writer);
  }

  stats(): SinkStats {
    return { ...this.ctx.counters };
  }

  /** Resolves once no zone has a batch waiting or being written (follow-up batches included). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.workers.values()].filter((w) => w.running || w.pending.size > 0);
      if (busy.length === 0) return;
      await Promise.all(busy.map((w) => (w.running ? w.tail : this.batches.flush(w))));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Hears a record whose DNS changed without a publication of its own: drift repaired, or a
   * name it was denied taken once its holder let go. Its status is worth a fresh look.
   */
  onRepublished(listener: (resource: string) => void): void {
    this.batches.republishedListeners.push(listener);
  }

  /**
   * Forgets what this process knows of the zones: the zone list, their content and which of our
   * records are in place. Called when this replica becomes leader: another leader may have
   * written meanwhile, so nothing read during an earlier term may guide a write in this one.
   * The next publication of each zone reads it again first.
   */
  forgetZones(): void {
    this.zones.forgetZoneList();
    for (const w of this.workers.values()) w.markStale();
    for (const d of this.desired.values()) d.settled = false;
  }

  /** Makes the provider publish exactly `endpoints` for `resource` (within the policy). */
  async syncRecord(resource: string, endpoints: readonly Endpoint[]): Promise<SyncResult> {
    return this.publishToZones(resource, endpoints, this.ctx.opts.policy);
  }

  /**
   * Removes every record set `resource` owns, with its ownership TXTs, whatever the policy:
   * for the record's finalizer. (A controller running upsert-only or create-only that wants to
   * keep records of deleted resources simply does not call it.)
   */
  async deleteRecord(resource: string): Promise<SyncResult> {
    const result = await this.publishToZones(resource, [], 'sync');
    if (result.zoneErrors.length === 0 && this.desired.get(resource)?.endpoints.length === 0) this.desired.dropDesired(resource);
    return result;
  }

  /**
   * The resources (ours, by their ownership TXTs) holding records in any managed zone, after
   * every zone was read once; throws when a zone cannot be read. What the controller compares
   * with the records that exist, to remove what a deleted record left behind.
   */
  async ownedResources(): Promise<Set<string>> {
    const zones = await this.zones.loadAll();
    const owners = new Set<string>();
    for (const zone of zones) for (const r of this.workers.get(zone)?.content?.owners() ?? []) owners.add(r);
    return owners;
  }

  /** Whether this process published for `resource`, or a zone as read holds records it owns. */
  holds(resource: string): boolean {
    if ((this.desired.get(resource)?.endpoints.length ?? 0) > 0) return true;
    for (const w of this.workers.values()) if ((w.content?.ownedBy(resource).size ?? 0) > 0) return true;
    return false;
  }

  /**
   * The names `resource` publishes here: what it was last asked to publish, else (this process
   * never published for it) what the zones hold under its ownership TXTs. Reads every zone once.
   */
  async publishedNames(resource: string): Promise<string[]> {
    const zones = await this.zones.loadAll();
    const endpoints = this.desired.get(resource)?.endpoints ?? this.ownedEndpoints(resource, zones);
    return [...new Set(endpoints.map((e) => normaliseName(e.dnsName)))].sort();
  }

  /**
   * Takes `names` out of what `resource` publishes, leaving its other names as they are (a record
   * that cannot be reconciled lets go of names it may no longer hold). Undefined when it
   * publishes none of them here.
   */
  async withdrawNames(resource: string, names: readonly string[]): Promise<SyncResult | undefined> {
    const zones = await this.zones.loadAll();
    const current = this.desired.get(resource)?.endpoints ?? this.ownedEndpoints(resource, zones);
    const drop = new Set(names.map(normaliseName));
    const kept = current.filter((e) => !drop.has(normaliseName(e.dnsName)));
    if (kept.length === current.length) return undefined;
    return this.publishToZones(resource, kept, this.ctx.opts.policy);
  }

  /** The record sets the zones hold under `resource`'s ownership TXTs, as endpoints. */
  private ownedEndpoints(resource: string, zones: readonly string[]): Endpoint[] {
    const endpoints: Endpoint[] = [];
    for (const zone of zones) {
      const content = this.workers.get(zone)?.content;
      for (const txt of content?.ownedBy(resource) ?? []) {
        const owned = recordForTxtName(txt, this.ctx.opts.ownership);
        const record = owned?.type === undefined ? undefined : content?.at(owned.name).find((r) => r.type === owned.type);
        if (record) endpoints.push({ dnsName: record.name, recordType: record.type, targets: [...record.targets], recordTTL: record.ttl });
      }
    }
    return endpoints;
  }

  /** Dry run: what syncRecord would do now, against the zones as read, without writing. */
  async planRecord(resource: string, endpoints: readonly Endpoint[]): Promise<RecordPlan> {
    const zones = await this.zones.loadAll();
    const desired = this.desired.split(endpoints, zones);
    const plan: RecordPlan = { resource, zones: [], conflicts: [], problems: this.planner.problems(resource, endpoints, zones) };
    for (const zone of this.desired.zonesOf(resource, desired, zones)) {
      const w = this.workers.getOrCreate(zone);
      const one = this.planner.planOne(w.content as ZoneContent, resource, this.desired.endpointsIn(desired, zone), zones, this.ctx.opts.policy);
      if (one.changes.length > 0) plan.zones.push({ zone, changes: one.changes });
      plan.conflicts.push(...one.conflicts);
    }
    return plan;
  }

  /** The provider's zones within the domain filter (cached for zoneListTtlMs). */
  managedZones(): Promise<string[]> {
    return this.zones.managedZones();
  }

  /** Reads every known zone again and repairs what differs from what we published (resolves when done). */
  checkDrift(): Promise<void> {
    return this.zones.checkDrift();
  }

  /**
   * Publishes the record's endpoints: remembers them as its desired state, queues the record for
   * the next batch of every zone it touches, and adds up what those batches did for it.
   */
  private async publishToZones(resource: string, endpoints: readonly Endpoint[], policy: SyncPolicy): Promise<SyncResult> {
    const { ctx } = this;
    if (ctx.closed) throw new Error(`${this.provider.name}: the provider sink is closed`);
    // A resync publishes every record again: one already in place costs no plan at all.
    const known = this.desired.get(resource);
    if (known?.settled && policy === ctx.opts.policy && endpoints.length > 0 && sameEndpoints(known.endpoints, endpoints)) {
      // The caller keeps the endpoints it last published (reconcile's lastPublished): holding
      // the same equal array, not the first one, spares a copy of every record's endpoints.
      known.endpoints = endpoints;
      return { resource, applied: 0, changes: [], conflicts: [], problems: [], zoneErrors: [] };
    }
    // Every managed zone is read (once) before anything is planned: a failed read throws here.
    const zones = await this.zones.loadAll();
    const desired = this.desired.split(endpoints, zones);
    const touched = this.desired.zonesOf(resource, desired, zones);
    this.desired.remember(resource, desired);
    const result: SyncResult = { resource, applied: 0, changes: [], conflicts: [], problems: this.planner.problems(resource, endpoints, zones), zoneErrors: [] };
    const outcomes = await Promise.allSettled(
      touched.map(async (zone) => ({ zone, outcome: await this.batches.enqueue(this.workers.getOrCreate(zone), resource, policy) })),
    );
    let failure: unknown;
    for (const settled of outcomes) {
      if (settled.status === 'rejected') {
        failure ??= settled.reason;
        continue;
      }
      const { zone, outcome } = settled.value;
      result.conflicts.push(...outcome.conflicts);
      if (outcome.changes.length > 0) {
        result.changes.push({ zone, changes: outcome.changes });
        result.applied += outcome.changes.length;
      }
      if (outcome.error) result.zoneErrors.push(outcome.error);
    }
    if (failure !== undefined) throw failure;
    const now = this.desired.get(resource);
    if (now && sameEndpoints(now.endpoints, endpoints) && result.conflicts.length + result.problems.length + result.zoneErrors.length === 0) now.settled = true;
    return result;
  }

  async close(): Promise<void> {
    this.ctx.closed = true;
    this.zones.stopDriftChecks();
    for (const w of this.workers.values()) if (w.timer) clearTimeout(w.timer);
    await this.provider.close?.();
  }
}

/** Equal endpoints: the same array, or the same JSON text. */
function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
