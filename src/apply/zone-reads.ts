// Reading the provider's zones for the provider sink: the zone list (cached), each zone's content
// (read whole once, again when it may be stale), and the drift checks that read every zone again
// on a schedule. A re-read that finds names changed at the provider queues the records concerned
// for the zone's next batch, so what someone deleted or edited is repaired.
import { describeError } from '../errors.js';
import { zoneMatchesDomainFilter } from '../plan/names.js';
import { normaliseName } from '../core/names.js';
import { recordNamesForTxtName } from '../plan/ownership.js';
import type { Change, DnsRecord } from '../plan/records.js';
import type { DesiredState } from './desired-state.js';
import { callProvider } from './provider-call.js';
import { withRetry } from './retry.js';
import type { SinkContext, ZoneReadReason } from './sink-context.js';
import { ZoneContent } from './zone-content.js';
import type { ZoneWorker, ZoneWorkers } from './zone-worker.js';

export class ZoneReader {
  private zoneList?: { zones: string[]; at: number };
  /** The zone list being read: concurrent callers share one request. */
  private zoneListing?: Promise<string[]>;
  private driftTimer?: NodeJS.Timeout;

  /** `flush` writes what a zone has waiting (the zone's batches): a drift check ends with it. */
  constructor(
    private readonly ctx: SinkContext,
    private readonly workers: ZoneWorkers,
    private readonly desired: DesiredState,
    private readonly flush: (w: ZoneWorker) => Promise<void>,
  ) {}

  /** The provider's zones within the domain filter (cached for zoneListTtlMs). */
  async managedZones(): Promise<string[]> {
    const { ctx } = this;
    const ttl = ctx.opts.zoneListTtlMs ?? 60_000;
    if (this.zoneList && ctx.now() - this.zoneList.at < ttl) return this.zoneList.zones;
    this.zoneListing ??= (async () => {
      try {
        const all = await withRetry(`${ctx.provider.name} zones`, () => callProvider(ctx, 'zones', 'list zones', () => ctx.provider.zones()), ctx.opts.retry, () => ctx.counters.retries++);
        const zones = [...new Set(all.map(normaliseName))].filter((z) => zoneMatchesDomainFilter(z, ctx.opts.domainFilter)).sort();
        this.zoneList = { zones, at: ctx.now() };
        return zones;
      } finally {
        this.zoneListing = undefined;
      }
    })();
    return this.zoneListing;
  }

  /** Drops the cached zone list: the next managedZones() asks the provider again. */
  forgetZoneList(): void {
    this.zoneList = undefined;
  }

  /** Every managed zone, read once: what we own anywhere is known before anything is planned. */
  async loadAll(): Promise<string[]> {
    const zones = await this.managedZones();
    const missing = zones.filter((z) => !this.workers.getOrCreate(z).content);
    if (missing.length > 0) {
      const results = await Promise.allSettled(
        missing.map((z) => {
          const w = this.workers.getOrCreate(z);
          w.loading ??= w.serial(() => this.ensureRead(w, 'start')).finally(() => (w.loading = undefined));
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
  async ensureRead(w: ZoneWorker, reason: ZoneReadReason): Promise<ZoneContent> {
    if (w.content && !w.stale) return w.content;
    return this.read(w, w.content ? 'after-failure' : reason);
  }

  /**
   * Reads the zone. Batches may be written meanwhile (a drift check does not hold them up): what
   * they wrote is laid over what was read, which may have been read before or after them.
   */
  private async read(w: ZoneWorker, reason: ZoneReadReason): Promise<ZoneContent> {
    const { ctx } = this;
    const marks = w.staleMarks;
    const during: Change[][] = [];
    w.writesDuringReads.add(during);
    let records: DnsRecord[];
    try {
      records = await withRetry(
        `${ctx.provider.name} records of ${w.zone}`,
        () => callProvider(ctx, 'records', `read zone ${w.zone}`, () => ctx.provider.records(w.zone)),
        ctx.opts.retry,
        (err, attempt, delayMs) => {
          ctx.counters.retries++;
          ctx.log.warn('zone read failed, retrying', { zone: w.zone, attempt, delayMs: Math.round(delayMs), error: err.message });
        },
      );
    } finally {
      w.writesDuringReads.delete(during);
    }
    ctx.counters.zoneReads++;
    ctx.opts.onZoneRead?.(w.zone, reason);
    const before = w.content;
    const content = new ZoneContent(w.zone, records, ctx.opts.ownership, before);
    for (const changes of during) content.apply(changes);
    w.content = content;
    // A write that failed while the zone was being read may have left it half-changed.
    w.stale = w.staleMarks !== marks;
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
      for (const n of recordNamesForTxtName(name, this.ctx.opts.ownership)) for (const r of w.wanted.get(n)) concerned.add(r);
    }
    let queued = 0;
    for (const resource of concerned) {
      const desired = this.desired.get(resource);
      if (!desired) continue;
      desired.settled = false;
      if (w.pending.has(resource)) continue;
      w.pending.set(resource, { resource, policy: this.ctx.opts.policy, waiters: [] });
      queued++;
    }
    if (queued > 0) this.ctx.log.info('zone differs from what mcdns wrote; re-planning the records concerned', { zone: w.zone, records: queued });
  }

  private startDriftChecks(): void {
    const every = this.ctx.opts.driftIntervalMs ?? 60_000;
    if (this.driftTimer || this.ctx.closed || every <= 0) return;
    let checking = false;
    this.driftTimer = setInterval(() => {
      if (checking) return; // a slow check is not overlapped by the next
      checking = true;
      void this.checkDrift().finally(() => (checking = false));
    }, every);
    this.driftTimer.unref();
  }

  /**
   * Reads every known zone again and repairs what differs from what we published (resolves when
   * done). Changes published meanwhile are written without waiting for it: a whole zone takes
   * long to read (PowerDNS, 10,000 names × 10 addresses: about 8 MB).
   */
  async checkDrift(): Promise<void> {
    const known = [...this.workers.values()].filter((w) => w.content && !w.loading);
    await Promise.all(
      known.map(async (w) => {
        try {
          await this.read(w, 'drift');
        } catch (err) {
          // Keep what we know: a failed read never deletes. The next check tries again.
          w.markStale();
          this.ctx.log.warn('drift check could not read the zone', { zone: w.zone, error: describeError(err) });
        }
      }),
    );
    await Promise.all(known.filter((w) => w.pending.size > 0).map((w) => this.flush(w)));
  }

  /** Stops the drift checks (the sink is closing). */
  stopDriftChecks(): void {
    if (this.driftTimer) clearInterval(this.driftTimer);
  }
}
