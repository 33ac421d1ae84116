// The provider sink: publishes the desired endpoints of every mcdns record into one configured
// DNS provider, zone by zone, as ExternalDNS's plan does, but event-driven:
//
//   - the desired record sets of every record are kept, grouped by zone;
//   - each managed zone is read whole once (which also tells what we own where), then kept
//     current from our own confirmed writes; it is read again on the drift-check schedule and
//     after any failed or conflicting write;
//   - records published within a short window are planned one after the other against that
//     content (so the first to claim a name keeps it) and written as ONE batch per zone
//     (PowerDNS: one PATCH; etcd: transactions up to its op limit; Azure: bounded concurrency);
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
import type { Logger } from 'winston';
import type { Endpoint } from '../api/schema.js';
import { describeError } from '../errors.js';
import { createLogger } from '../log.js';
import { matchesDomainFilter, normaliseName, zoneFor, zoneMatchesDomainFilter, type DomainFilter } from '../plan/names.js';
import { namesAbove, planRecord, type Conflict, type Problem, type RecordPlan, type ZonePlan } from '../plan/plan.js';
import { recordKey, type Change, type DnsRecord, type Policy } from '../plan/records.js';
import { oldFormatTxtNameFor, recordNamesForTxtName, txtNameFor, type OwnershipConfig } from '../plan/ownership.js';
import { asOwnershipTxt } from '../plan/zone-ownership.js';
import type { ProviderErrorKind } from '../../providers/errors.js';
import type { Provider } from '../../providers/provider.js';
import { asProviderError, withRetry, withTimeout, type RetryOptions } from './retry.js';
import { identityMultiMap } from '../core/multimap.js';
import { ZoneContent, type ZoneView } from './zone-content.js';

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
  /** Longest a change waits for others to share its batch (default 50 ms). */
  batchWindowMs?: number;
  /**
   * Most records planned into one batch (default 500): a cold start queues thousands at once,
   * and one request must stay far below the provider's body limit (PowerDNS: 2 MB by default).
   */
  maxBatchRecords?: number;
  /** How often every zone is read again to find and repair drift (default 60 s; 0 = never). */
  driftIntervalMs?: number;
  /**
   * Called immediately before each write request; throws to refuse it (the controller's leader
   * gate). A refusal rejects the publications of that batch with the thrown error.
   */
  beforeWrite?: () => void;
  log?: Logger;
  now?: () => number;
  /**
   * Hears every provider call (each try of it), for metrics: wire it to src/metrics.ts
   * `observeProviderCall(provider.name, operation, ok, seconds)`.
   */
  onCall?: (operation: ProviderOperation, ok: boolean, seconds: number) => void;
  /** Hears every batch sent (its number of changes) and every zone read (why), for metrics. */
  onBatch?: (zone: string, changes: number) => void;
  onZoneRead?: (zone: string, reason: ZoneReadReason) => void;
}

export type ProviderOperation = 'zones' | 'records' | 'apply';
export type ZoneReadReason = 'start' | 'drift' | 'after-failure';

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
  /** The changes that were applied, per zone. */
  changes: ZonePlan[];
  conflicts: Conflict[];
  problems: Problem[];
  /** Zones where the record's changes failed; nothing of those counts as applied. */
  zoneErrors: ZoneError[];
}

export interface SinkStats {
  zoneReads: number;
  batches: number;
  changes: number;
  retries: number;
  failedBatches: number;
}

/** What one zone's batch did for one record. */
interface ZoneOutcome {
  changes: Change[];
  conflicts: Conflict[];
  error?: ZoneError;
}

interface Waiter {
  resolve: (o: ZoneOutcome) => void;
  reject: (err: unknown) => void;
}

/** A record waiting to be planned and written into one zone. */
interface Pending {
  resource: string;
  policy: Policy;
  waiters: Waiter[];
}

/** The desired state of one record. */
interface Desired {
  endpoints: readonly Endpoint[];
  /**
   * The zones holding at least one of the endpoints; which endpoints each holds is found again
   * when needed (endpointsIn): keeping that split as well cost a Map and arrays per record.
   */
  zones: readonly string[];
  /**
   * The last publication of exactly these endpoints is fully in place (no conflict, problem or
   * error) and nothing at its names changed since: publishing them again has nothing to do.
   */
  settled: boolean;
}

/** The changes of one record for one name (with its ownership TXTs): what a split keeps together. */
interface Unit {
  resource: string;
  changes: Change[];
}

const DEFAULT_MAX_BATCH_RECORDS = 500;

class ZoneWorker {
  content?: ZoneContent;
  /** The content may differ from the provider (a write failed): read again before planning. */
  stale = true;
  readonly pending = new Map<string, Pending>();
  /** Desired names in this zone → records wanting them (to find who a drifted name concerns). */
  readonly wanted = identityMultiMap<string>();
  firstAt = 0;
  timer?: NodeJS.Timeout;
  running = false;
  /** The first read in flight: every publication waiting for it shares it (and its failure). */
  loading?: Promise<ZoneContent>;
  /** Serialises reads and batches of this zone. */
  tail: Promise<void> = Promise.resolve();
  /** [zone], shared by the records whose names all lie in this zone (most do). */
  readonly alone: readonly string[];
  constructor(readonly zone: string) {
    this.alone = [zone];
  }
}

/** Thrown by the gate hook: passes through untouched to the publishers. */
class Refused {
  constructor(readonly error: unknown) {}
}

export class ProviderSink {
  readonly provider: Provider;
  private readonly opts: ProviderSinkOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  private zoneList?: { zones: string[]; at: number };
  /** The zone list being read: concurrent callers share one request. */
  private zoneListing?: Promise<string[]>;
  private readonly workers = new Map<string, ZoneWorker>();
  private readonly desired = new Map<string, Desired>();
  private readonly counters: SinkStats = { zoneReads: 0, batches: 0, changes: 0, retries: 0, failedBatches: 0 };
  private driftTimer?: NodeJS.Timeout;
  private closed = false;
  /**
   * One write at a time per provider, across zones: a database-backed server (PowerDNS on
   * SQLite) fails concurrent write transactions, and batches already carry the parallelism.
   */
  private writing: Promise<void> = Promise.resolve();
  private readonly republishedListeners: Array<(resource: string) => void> = [];

  constructor(opts: ProviderSinkOptions) {
    this.opts = opts;
    this.provider = opts.provider;
    this.log = (opts.log ?? createLogger('silent')).child({ provider: opts.provider.name });
    this.now = opts.now ?? Date.now;
  }

  stats(): SinkStats {
    return { ...this.counters };
  }

  /** Resolves once no zone has a batch waiting or being written (follow-up batches included). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.workers.values()].filter((w) => w.running || w.pending.size > 0);
      if (busy.length === 0) return;
      await Promise.all(busy.map((w) => (w.running ? w.tail : this.flush(w))));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Hears a record whose DNS changed without a publication of its own: drift repaired, or a
   * name it was denied taken once its holder let go. Its status is worth a fresh look.
   */
  onRepublished(listener: (resource: string) => void): void {
    this.republishedListeners.push(listener);
  }

  /**
   * Forgets what this process knows of the zones: the zone list, their content and which of our
   * records are in place. Called when this replica becomes leader: another leader may have
   * written meanwhile, so nothing read during an earlier term may guide a write in this one.
   * The next publication of each zone reads it again first.
   */
  forgetZones(): void {
    this.zoneList = undefined;
    for (const w of this.workers.values()) w.stale = true;
    for (const d of this.desired.values()) d.settled = false;
  }

  /** Makes the provider publish exactly `endpoints` for `resource` (within the policy). */
  async syncRecord(resource: string, endpoints: readonly Endpoint[]): Promise<SyncResult> {
    return this.publish(resource, endpoints, this.opts.policy);
  }

  /**
   * Removes every record set `resource` owns, with its ownership TXTs, whatever the policy:
   * for the record's finalizer. (A controller running upsert-only or create-only that wants to
   * keep records of deleted resources simply does not call it.)
   */
  async deleteRecord(resource: string): Promise<SyncResult> {
    const result = await this.publish(resource, [], 'sync');
    if (result.zoneErrors.length === 0 && this.desired.get(resource)?.endpoints.length === 0) this.forget(resource);
    return result;
  }

  /**
   * The resources (ours, by their ownership TXTs) holding records in any managed zone, after
   * every zone was read once; throws when a zone cannot be read. What the controller compares
   * with the records that exist, to remove what a deleted record left behind.
   */
  async ownedResources(): Promise<Set<string>> {
    const zones = await this.loadAll();
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

  /** Dry run: what syncRecord would do now, against the zones as read, without writing. */
  async planRecord(resource: string, endpoints: readonly Endpoint[]): Promise<RecordPlan> {
    const zones = await this.loadAll();
    const desired = this.split(endpoints, zones);
    const plan: RecordPlan = { resource, zones: [], conflicts: [], problems: this.problems(resource, endpoints, zones) };
    for (const zone of this.zonesOf(resource, desired, zones)) {
      const w = this.worker(zone);
      const one = this.planOne(w.content as ZoneContent, resource, this.endpointsIn(desired, zone), zones, this.opts.policy);
      if (one.changes.length > 0) plan.zones.push({ zone, changes: one.changes });
      plan.conflicts.push(...one.conflicts);
    }
    return plan;
  }

  private async publish(resource: string, endpoints: readonly Endpoint[], policy: Policy): Promise<SyncResult> {
    if (this.closed) throw new Error(`${this.provider.name}: the provider sink is closed`);
    // A resync publishes every record again: one already in place costs no plan at all.
    const known = this.desired.get(resource);
    if (known?.settled && policy === this.opts.policy && endpoints.length > 0 && sameEndpoints(known.endpoints, endpoints)) {
      // The caller keeps the endpoints it last published (reconcile's lastPublished): holding
      // the same equal array, not the first one, spares a copy of every record's endpoints.
      known.endpoints = endpoints;
      return { resource, applied: 0, changes: [], conflicts: [], problems: [], zoneErrors: [] };
    }
    // Every managed zone is read (once) before anything is planned: a failed read throws here.
    const zones = await this.loadAll();
    const desired = this.split(endpoints, zones);
    const touched = this.zonesOf(resource, desired, zones);
    this.remember(resource, desired);
    const result: SyncResult = { resource, applied: 0, changes: [], conflicts: [], problems: this.problems(resource, endpoints, zones), zoneErrors: [] };
    const outcomes = await Promise.allSettled(
      touched.map(async (zone) => ({ zone, outcome: await this.enqueue(this.worker(zone), resource, policy) })),
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

  // ---- desired state ----

  /** The desired state of `endpoints`, each in the zone of its name (if any, within the filter). */
  private split(endpoints: readonly Endpoint[], zones: readonly string[]): Desired {
    const holding: string[] = [];
    for (const e of endpoints) {
      const zone = this.zoneOf(e, zones);
      if (zone !== undefined && !holding.includes(zone)) holding.push(zone);
    }
    // Most records lie in one zone: they share its worker's [zone], not an array each.
    const only = holding.length === 1 ? holding[0] : undefined;
    return { endpoints, zones: only === undefined ? holding : this.worker(only).alone, settled: false };
  }

  /** The zone of the endpoint's name; undefined outside the domain filter or every zone. */
  private zoneOf(e: Endpoint, zones: readonly string[]): string | undefined {
    const name = normaliseName(e.dnsName);
    return matchesDomainFilter(name, this.opts.domainFilter) ? zoneFor(name, zones) : undefined;
  }

  /**
   * The desired endpoints in `zone`. Looking among the record's own zones finds each endpoint
   * the zone it had among all: the most specific zone holding a name is among those.
   */
  private endpointsIn(desired: Desired, zone: string): Endpoint[] {
    if (!desired.zones.includes(zone)) return [];
    return desired.endpoints.filter((e) => this.zoneOf(e, desired.zones) === zone);
  }

  /** Problems of the desired endpoints (no zone, filtered, invalid, limits), planned against nothing. */
  private problems(resource: string, endpoints: readonly Endpoint[], zones: string[]): Problem[] {
    if (endpoints.length === 0) return [];
    return planRecord({ ...this.planInput(resource, endpoints, zones, this.opts.policy), current: [], partial: true }).problems;
  }

  /** Zones the record wants names in, wanted before, or owns something in. */
  private zonesOf(resource: string, desired: Desired, zones: string[]): string[] {
    const touched = new Set(desired.zones);
    for (const zone of this.desired.get(resource)?.zones ?? []) touched.add(zone);
    for (const zone of zones) if ((this.workers.get(zone)?.content?.ownedBy(resource).size ?? 0) > 0) touched.add(zone);
    return [...touched].filter((z) => zones.includes(z)).sort();
  }

  private remember(resource: string, desired: Desired): void {
    const before = this.desired.get(resource);
    for (const e of before?.endpoints ?? []) {
      const zone = before && this.zoneOf(e, before.zones);
      if (zone !== undefined) this.workers.get(zone)?.wanted.remove(normaliseName(e.dnsName), resource);
    }
    this.desired.set(resource, desired);
    for (const e of desired.endpoints) {
      const zone = this.zoneOf(e, desired.zones);
      if (zone !== undefined) this.worker(zone).wanted.add(normaliseName(e.dnsName), resource);
    }
  }

  private forget(resource: string): void {
    this.remember(resource, { endpoints: [], zones: [], settled: false });
    this.desired.delete(resource);
  }

  // ---- zones ----

  /** The provider's zones within the domain filter (cached for zoneListTtlMs). */
  async managedZones(): Promise<string[]> {
    const ttl = this.opts.zoneListTtlMs ?? 60_000;
    if (this.zoneList && this.now() - this.zoneList.at < ttl) return this.zoneList.zones;
    this.zoneListing ??= (async () => {
      try {
        const all = await withRetry(`${this.provider.name} zones`, () => this.call('zones', 'list zones', () => this.provider.zones()), this.opts.retry, () => this.counters.retries++);
        const zones = [...new Set(all.map(normaliseName))].filter((z) => zoneMatchesDomainFilter(z, this.opts.domainFilter)).sort();
        this.zoneList = { zones, at: this.now() };
        return zones;
      } finally {
        this.zoneListing = undefined;
      }
    })();
    return this.zoneListing;
  }

  private worker(zone: string): ZoneWorker {
    let w = this.workers.get(zone);
    if (!w) this.workers.set(zone, (w = new ZoneWorker(zone)));
    return w;
  }

  /** Every managed zone, read once: what we own anywhere is known before anything is planned. */
  private async loadAll(): Promise<string[]> {
    const zones = await this.managedZones();
    const missing = zones.filter((z) => !this.worker(z).content);
    if (missing.length > 0) {
      const results = await Promise.allSettled(
        missing.map((z) => {
          const w = this.worker(z);
          w.loading ??= this.serial(w, () => this.ensureRead(w, 'start')).finally(() => (w.loading = undefined));
          return w.loading;
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      this.startDriftChecks();
    }
    return zones;
  }

  /** Reads the zone if it was never read or may be stale. */
  private async ensureRead(w: ZoneWorker, reason: ZoneReadReason): Promise<ZoneContent> {
    if (w.content && !w.stale) return w.content;
    return this.read(w, w.content ? 'after-failure' : reason);
  }

  private async read(w: ZoneWorker, reason: ZoneReadReason): Promise<ZoneContent> {
    const records = await withRetry(
      `${this.provider.name} records of ${w.zone}`,
      () => this.call('records', `read zone ${w.zone}`, () => this.provider.records(w.zone)),
      this.opts.retry,
      (err, attempt, delayMs) => {
        this.counters.retries++;
        this.log.warn('zone read failed, retrying', { zone: w.zone, attempt, delayMs: Math.round(delayMs), error: err.message });
      },
    );
    this.counters.zoneReads++;
    this.opts.onZoneRead?.(w.zone, reason);
    const before = w.content;
    const content = new ZoneContent(w.zone, records, this.opts.ownership, before);
    w.content = content;
    w.stale = false;
    if (before && reason !== 'start') this.requeueChanged(w, before, content);
    return content;
  }

  /**
   * After a re-read: the records whose names changed at the provider (drift, or a write that
   * failed half-way) are planned again, so what someone deleted or edited is repaired.
   */
  private requeueChanged(w: ZoneWorker, before: ZoneContent, after: ZoneContent): void {
    const concerned = new Set<string>();
    for (const name of before.changedNames(after)) {
      for (const r of w.wanted.get(name)) concerned.add(r);
      for (const r of before.ownersAround(name)) concerned.add(r);
      for (const r of after.ownersAround(name)) concerned.add(r);
      for (const n of recordNamesForTxtName(name, this.opts.ownership)) for (const r of w.wanted.get(n)) concerned.add(r);
    }
    let queued = 0;
    for (const resource of concerned) {
      const desired = this.desired.get(resource);
      if (!desired) continue;
      desired.settled = false;
      if (w.pending.has(resource)) continue;
      w.pending.set(resource, { resource, policy: this.opts.policy, waiters: [] });
      queued++;
    }
    if (queued > 0) this.log.info('zone differs from what mcdns wrote; re-planning the records concerned', { zone: w.zone, records: queued });
  }

  private startDriftChecks(): void {
    const every = this.opts.driftIntervalMs ?? 60_000;
    if (this.driftTimer || this.closed || every <= 0) return;
    let checking = false;
    this.driftTimer = setInterval(() => {
      if (checking) return; // a slow check is not overlapped by the next
      checking = true;
      void this.checkDrift().finally(() => (checking = false));
    }, every);
    this.driftTimer.unref();
  }

  /** Reads every known zone again and repairs what differs from what we published (resolves when done). */
  async checkDrift(): Promise<void> {
    const known = [...this.workers.values()].filter((w) => w.content);
    await Promise.all(
      known.map((w) =>
        this.serial(w, async () => {
          try {
            await this.read(w, 'drift');
          } catch (err) {
            // Keep what we know: a failed read never deletes. The next check tries again.
            w.stale = true;
            this.log.warn('drift check could not read the zone', { zone: w.zone, error: describeError(err) });
          }
        }),
      ),
    );
    await Promise.all(known.filter((w) => w.pending.size > 0).map((w) => this.flush(w)));
  }

  /** Runs `fn` after everything queued for the zone (reads and batches never overlap). */
  private serial<T>(w: ZoneWorker, fn: () => Promise<T>): Promise<T> {
    const run = w.tail.then(fn);
    w.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  // ---- batching ----

  private enqueue(w: ZoneWorker, resource: string, policy: Policy): Promise<ZoneOutcome> {
    return new Promise<ZoneOutcome>((resolve, reject) => {
      const pending = w.pending.get(resource);
      if (pending) {
        pending.policy = policy; // the latest call's desired state is the one planned
        pending.waiters.push({ resolve, reject });
      } else {
        if (w.pending.size === 0) w.firstAt = this.now();
        w.pending.set(resource, { resource, policy, waiters: [{ resolve, reject }] });
      }
      this.schedule(w);
    });
  }

  /**
   * Flushes after a short quiet gap, at the latest `batchWindowMs` after the first waiting
   * change; while a batch is being written, changes gather for the next one.
   */
  private schedule(w: ZoneWorker, delayMs?: number): void {
    if (w.running || this.closed) return;
    const window = this.opts.batchWindowMs ?? 50;
    const quiet = Math.min(window, 5);
    const delay = delayMs ?? Math.max(0, Math.min(quiet, w.firstAt + window - this.now()));
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      w.timer = undefined;
      void this.flush(w);
    }, delay);
  }

  private async flush(w: ZoneWorker): Promise<void> {
    if (w.timer) clearTimeout(w.timer);
    w.timer = undefined;
    if (w.running || w.pending.size === 0) return;
    w.running = true;
    // The oldest waiting records, without copying all of them (a cold start queues thousands).
    const batch: Pending[] = [];
    for (const p of w.pending.values()) {
      if (batch.length === (this.opts.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS)) break;
      batch.push(p);
    }
    for (const p of batch) w.pending.delete(p.resource);
    try {
      const outcomes = await this.serial(w, () => this.writeBatch(w, batch));
      for (const p of batch) {
        const outcome = outcomes.get(p.resource) ?? { changes: [], conflicts: [] };
        const desired = this.desired.get(p.resource);
        if (desired && (outcome.error || outcome.conflicts.length > 0)) desired.settled = false;
        for (const waiter of p.waiters) waiter.resolve(outcome);
        if (p.waiters.length === 0 && outcome.changes.length > 0) for (const l of this.republishedListeners) l(p.resource);
      }
      this.requeueFreed(w, batch, outcomes);
    } catch (err) {
      const error = err instanceof Refused ? err.error : err;
      for (const p of batch) for (const waiter of p.waiters) waiter.reject(error);
    } finally {
      w.running = false;
      if (w.pending.size > 0) {
        w.firstAt = this.now();
        this.schedule(w);
      }
    }
  }

  private wantsIn(resource: string, zone: string): boolean {
    return this.desired.get(resource)?.zones.includes(zone) ?? false;
  }

  /**
   * After a batch: records that were denied a name this batch let go (another record deleted
   * its records there) are planned again, so the name is taken over without waiting for them
   * to be published anew.
   */
  private requeueFreed(w: ZoneWorker, batch: Pending[], outcomes: Map<string, ZoneOutcome>): void {
    const freed = new Set<string>();
    for (const p of batch) {
      for (const c of outcomes.get(p.resource)?.changes ?? []) {
        if (c.action !== 'delete') continue;
        freed.add(c.record.name);
        for (const n of recordNamesForTxtName(c.record.name, this.opts.ownership)) freed.add(n);
      }
    }
    if (freed.size === 0) return;
    // Records of this batch that got everything they asked for need no second plan.
    const placed = new Set(batch.filter((p) => (outcomes.get(p.resource)?.conflicts.length ?? 0) === 0).map((p) => p.resource));
    for (const name of freed) {
      for (const resource of w.wanted.get(name)) {
        const desired = this.desired.get(resource);
        if (!desired || desired.settled || w.pending.has(resource) || placed.has(resource)) continue;
        if (w.pending.size === 0) w.firstAt = this.now();
        w.pending.set(resource, { resource, policy: this.opts.policy, waiters: [] });
      }
    }
  }

  /** Plans the batch's records one after the other and writes their changes as one batch. */
  private async writeBatch(w: ZoneWorker, batch: Pending[]): Promise<Map<string, ZoneOutcome>> {
    const zone = w.zone;
    const outcomes = new Map<string, ZoneOutcome>();
    const zones = await this.managedZones();
    // Records with changes in the last try: a failure of the whole batch is theirs, not the others'.
    let involved: Set<string> | undefined;
    try {
      await withRetry(
        `${this.provider.name} zone ${zone}`,
        async () => {
          const content = await this.ensureRead(w, 'after-failure');
          outcomes.clear();
          involved = new Set();
          const view = content.fork();
          const units: Unit[] = [];
          // Records letting names go are planned first: a record taking over a name in the
          // same batch then finds it free.
          const ordered = [...batch].sort((a, b) => Number(this.wantsIn(a.resource, zone)) - Number(this.wantsIn(b.resource, zone)));
          for (const p of ordered) {
            const desired = this.desired.get(p.resource);
            const eps = desired ? this.endpointsIn(desired, zone) : [];
            const planned = this.planOne(view, p.resource, eps, zones, p.policy, content);
            view.apply(planned.changes);
            outcomes.set(p.resource, { changes: [], conflicts: planned.conflicts });
            units.push(...unitsOf(p.resource, planned.changes, this.opts.ownership));
            if (planned.changes.length > 0) involved.add(p.resource);
          }
          if (units.length > 0) await this.writeUnits(w, units, outcomes, true);
        },
        this.opts.retry,
        (err, attempt, delayMs) => {
          this.counters.retries++;
          this.log.warn('provider call failed, retrying', { zone, attempt, delayMs: Math.round(delayMs), error: err.message, kind: err.kind });
        },
      );
    } catch (err) {
      if (err instanceof Refused) throw err;
      const error = zoneError(zone, err);
      this.log.error('provider batch failed', { zone, records: batch.length, error: error.message, kind: error.kind });
      for (const p of batch) {
        const o = outcomes.get(p.resource) ?? { changes: [], conflicts: [] };
        if (involved && !involved.has(p.resource)) continue;
        outcomes.set(p.resource, { changes: [], conflicts: o.conflicts, error });
      }
    }
    return outcomes;
  }

  /**
   * Writes units as one batch. A rejected batch (one bad name fails it whole) is split in halves
   * until the bad units are alone; a retryable failure of the whole batch is thrown (the caller
   * re-reads and re-plans), of a part is reported on that part's records.
   */
  private async writeUnits(w: ZoneWorker, units: Unit[], outcomes: Map<string, ZoneOutcome>, whole: boolean): Promise<void> {
    const changes = orderForWriting(netChanges(units.flatMap((u) => u.changes)));
    try {
      await this.apply(w.zone, changes);
    } catch (err) {
      if (err instanceof Refused) throw err;
      w.stale = true; // whatever happened, the next plan starts from a fresh read
      this.counters.failedBatches++;
      const pe = asProviderError(err, w.zone);
      if (pe?.kind === 'rejected' && units.length > 1) {
        this.log.warn('provider rejected a batch; splitting it to find the names it refuses', { zone: w.zone, changes: changes.length, error: pe.message });
        const half = Math.ceil(units.length / 2);
        await this.writeUnits(w, units.slice(0, half), outcomes, false);
        await this.writeUnits(w, units.slice(half), outcomes, false);
        return;
      }
      if (whole) throw err;
      const error = zoneError(w.zone, err);
      this.log.error('provider refused changes of a record', { zone: w.zone, records: [...new Set(units.map((u) => u.resource))], error: error.message, kind: error.kind });
      for (const u of units) {
        const o = outcomes.get(u.resource);
        if (o) o.error = error;
      }
      return;
    }
    w.content?.apply(changes);
    this.counters.batches++;
    this.counters.changes += changes.length;
    this.opts.onBatch?.(w.zone, changes.length);
    this.log.info('applied batch', { zone: w.zone, records: new Set(units.map((u) => u.resource)).size, changes: changes.length });
    for (const u of units) outcomes.get(u.resource)?.changes.push(...u.changes);
  }

  /** One provider write (which may be several requests), gated and timed. */
  private async apply(zone: string, changes: Change[]): Promise<void> {
    const beforeWrite = (): void => {
      try {
        this.opts.beforeWrite?.();
      } catch (err) {
        throw new Refused(err);
      }
    };
    const previous = this.writing;
    let release!: () => void;
    this.writing = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      await this.applyNow(zone, changes, beforeWrite);
    } finally {
      release();
    }
  }

  private async applyNow(zone: string, changes: Change[], beforeWrite: () => void): Promise<void> {
    beforeWrite();
    // A big batch is several requests (each under the provider's own request timeout): the
    // sink's safety net grows with it.
    const timeoutMs = (this.opts.callTimeoutMs ?? 30_000) * Math.max(1, Math.ceil(changes.length / 1000));
    await this.call('apply', `apply ${changes.length} changes to ${zone}`, () => this.provider.apply(zone, changes, { beforeWrite }), timeoutMs);
  }

  private planOne(view: ZoneView, resource: string, endpoints: readonly Endpoint[], zones: string[], policy: Policy, index?: ZoneContent) {
    const content = index ?? (view as ZoneContent);
    const wanted = endpoints.map((e) => normaliseName(e.dnsName));
    // A provider answering subtrees needs the names above each one too, with their ownership TXTs.
    const above = this.provider.answersSubtree ? wanted.flatMap((n) => namesAbove(n, view.zone)) : [];
    const names = content.namesFor(resource, [...wanted, ...above]);
    const records: DnsRecord[] = [];
    for (const n of names) records.push(...view.at(n));
    const plan = planRecord({ ...this.planInput(resource, endpoints, zones, policy), current: [{ zone: view.zone, records }], partial: true });
    return { changes: plan.zones[0]?.changes ?? [], conflicts: plan.conflicts };
  }

  private planInput(resource: string, endpoints: readonly Endpoint[], zones: string[], policy: Policy) {
    const maxTargets = this.provider.maxTargets?.bind(this.provider);
    return {
      resource,
      endpoints,
      zones,
      ownership: this.opts.ownership,
      policy,
      ...(this.opts.domainFilter ? { domainFilter: this.opts.domainFilter } : {}),
      ...(this.opts.defaultTtl !== undefined ? { defaultTtl: this.opts.defaultTtl } : {}),
      ...(maxTargets ? { maxTargets } : {}),
      ...(this.provider.answersSubtree ? { answersSubtree: true } : {}),
    };
  }

  private async call<T>(operation: ProviderOperation, what: string, fn: () => Promise<T>, timeoutMs = this.opts.callTimeoutMs ?? 30_000): Promise<T> {
    const started = process.hrtime.bigint();
    const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const value = await withTimeout(fn(), timeoutMs, `${this.provider.name}: ${what}`);
      this.opts.onCall?.(operation, true, seconds());
      return value;
    } catch (err) {
      if (!(err instanceof Refused)) this.opts.onCall?.(operation, false, seconds());
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.driftTimer) clearInterval(this.driftTimer);
    for (const w of this.workers.values()) if (w.timer) clearTimeout(w.timer);
    await this.provider.close?.();
  }
}

/** Equal endpoints: the same array, or the same JSON text. */
function sameEndpoints(a: readonly Endpoint[], b: readonly Endpoint[]): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function zoneError(zone: string, err: unknown): ZoneError {
  const pe = asProviderError(err, zone);
  return {
    zone,
    message: describeError(err),
    ...(pe ? { kind: pe.kind } : {}),
    ...(pe?.retryAfterMs !== undefined ? { retryAfterMs: pe.retryAfterMs } : {}),
  };
}

/**
 * The changes of one record grouped by the name they are for: a record set with its ownership
 * TXTs stays in one unit, so a split never writes a record without its owner.
 */
function unitsOf(resource: string, changes: Change[], cfg: OwnershipConfig): Unit[] {
  const units = new Map<string, Unit>();
  const txtOf = new Map<string, string>();
  for (const c of changes) {
    if (isOwnershipTxt(c.record)) continue;
    txtOf.set(txtNameFor(c.record.name, c.record.type, cfg), c.record.name);
    txtOf.set(oldFormatTxtNameFor(c.record.name, cfg), c.record.name);
  }
  for (const c of changes) {
    const name = isOwnershipTxt(c.record)
      ? (txtOf.get(c.record.name) ?? recordNamesForTxtName(c.record.name, cfg)[0] ?? c.record.name)
      : c.record.name;
    let unit = units.get(name);
    if (!unit) units.set(name, (unit = { resource, changes: [] }));
    unit.changes.push(c);
  }
  return [...units.values()];
}

function isOwnershipTxt(r: DnsRecord): boolean {
  return r.type === 'TXT' && asOwnershipTxt(r) !== undefined;
}

/**
 * Several records' changes to one record set in one batch become the one change they add up to,
 * taken in the order they were planned. A name handed over within one batch window is the case:
 * the old holder's deletes and the new holder's creates of the same record set and ownership TXT,
 * which ordered by phase alone would undo each other (the new TXT written, then the old holder's
 * delete of that TXT name removing it).
 */
export function netChanges(changes: Change[]): Change[] {
  const byKey = new Map<string, Change>();
  for (const c of changes) {
    const key = recordKey(c.record.name, c.record.type);
    const prev = byKey.get(key);
    if (!prev) {
      byKey.set(key, c);
      continue;
    }
    // What the provider holds before the batch: nothing after a create, else what was read.
    const before = prev.action === 'create' ? undefined : (prev.previous ?? prev.record);
    byKey.delete(key); // re-inserted at the later change's place in the order
    if (c.action === 'delete') {
      if (before) byKey.set(key, { action: 'delete', record: before, previous: before });
    } else {
      byKey.set(key, before ? { action: 'update', record: c.record, previous: before } : { action: 'create', record: c.record });
    }
  }
  return [...byKey.values()];
}

/**
 * Ownership TXTs written first, then record sets deleted, then written, then TXTs deleted: a
 * provider that writes in several requests and stops half-way leaves at worst an orphan TXT of
 * ours (repaired by the next plan), never a record without its owner.
 */
function orderForWriting(changes: Change[]): Change[] {
  const phase = (c: Change): number => {
    const txt = isOwnershipTxt(c.record);
    if (c.action === 'delete') return txt ? 3 : 1;
    return txt ? 0 : 2;
  };
  return changes.map((c, i) => ({ c, i, p: phase(c) })).sort((a, b) => a.p - b.p || a.i - b.i).map((x) => x.c);
}

/** "create A www.example.org" lines for logs (targets left out: logs stay short). */
export function summarise(plan: ZonePlan): string[] {
  return plan.changes.map((c) => `${c.action} ${c.record.type} ${c.record.name}`);
}

/** Record sets as "TYPE name ttl targets" lines, for messages and tests. */
export function describeRecord(r: DnsRecord): string {
  return `${r.type} ${r.name} ${r.ttl} ${r.targets.join(',')}`;
}

