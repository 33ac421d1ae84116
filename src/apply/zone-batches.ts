// Gathering publications into one batch per zone for the provider sink: records published
// together share a batch (batch-writer.ts writes it), and each publication hears what its record
// got. While one batch is being written, the next gathers; a burst waits a short window.
import { recordNamesForTxtName } from '../plan/ownership.js';
import type { SyncPolicy } from '../plan/records.js';
import type { BatchWriter } from './batch-writer.js';
import type { DesiredState } from './desired-state.js';
import { Refused } from './provider-call.js';
import type { SinkContext } from './sink-context.js';
import type { Pending, ZoneOutcome, ZoneWorker } from './zone-worker.js';

const DEFAULT_MAX_BATCH_RECORDS = 500;

export class ZoneBatches {
  /** Hear records whose DNS changed without a publication of their own (ProviderSink.onRepublished). */
  readonly republishedListeners: Array<(resource: string) => void> = [];

  constructor(
    private readonly ctx: SinkContext,
    private readonly desired: DesiredState,
    private readonly writer: BatchWriter,
  ) {}

  /** Queues the record for the zone's next batch; resolves with what that batch did for it. */
  enqueue(w: ZoneWorker, resource: string, policy: SyncPolicy): Promise<ZoneOutcome> {
    return new Promise<ZoneOutcome>((resolve, reject) => {
      const pending = w.pending.get(resource);
      if (pending) {
        pending.policy = policy; // the latest call's desired state is the one planned
        pending.waiters.push({ resolve, reject });
      } else {
        if (w.pending.size === 0) w.firstAt = this.ctx.now();
        w.pending.set(resource, { resource, policy, waiters: [{ resolve, reject }] });
      }
      this.schedule(w);
    });
  }

  /**
   * When to write what the zone has waiting. While a batch is being written, changes gather for
   * the next one, which goes as soon as it is done: they have waited a whole write already. A
   * change meeting an idle zone goes at once, in this turn of the event loop (after the
   * publications already on their way in it, which share it), unless others are about to come
   * (`othersWaiting`: the controller's queue holds records not taken up yet): then the zone
   * waits while they keep coming, in quiet gaps of 5 ms, at most `batchWindowMs` after the
   * first waiting change, so that a burst shares one write. A provider that rewrites the whole
   * zone on every write (PowerDNS with API-RECTIFY) costs as much for one change as for five
   * hundred; waiting costs a lone change its latency.
   */
  private schedule(w: ZoneWorker, after: 'publication' | 'batch' = 'publication'): void {
    if (w.running || this.ctx.closed) return;
    if (w.timer) clearTimeout(w.timer);
    w.timer = undefined;
    const gap = after === 'batch' ? 0 : this.quietGap(w);
    if (gap > 0) {
      w.timer = setTimeout(() => this.gathered(w), gap);
    } else if (!w.flushQueued) {
      w.flushQueued = true;
      queueMicrotask(() => {
        w.flushQueued = false;
        void this.flush(w);
      });
    }
  }

  /** 0 when nothing else is about to come; else the next quiet gap, within the window. */
  private quietGap(w: ZoneWorker): number {
    if (!(this.ctx.opts.othersWaiting?.() ?? false)) return 0;
    const window = this.ctx.opts.batchWindowMs ?? 50;
    return Math.max(0, Math.min(window, 5, w.firstAt + window - this.ctx.now()));
  }

  /** A quiet gap ended: wait another if others are still about to come (within the window), else write. */
  private gathered(w: ZoneWorker): void {
    w.timer = undefined;
    const gap = this.quietGap(w);
    if (gap > 0 && w.pending.size > 0) w.timer = setTimeout(() => this.gathered(w), gap);
    else void this.flush(w);
  }

  /** Writes the zone's oldest waiting records now, as one batch, and tells their publishers. */
  async flush(w: ZoneWorker): Promise<void> {
    if (w.timer) clearTimeout(w.timer);
    w.timer = undefined;
    if (w.running || w.pending.size === 0) return;
    w.running = true;
    // The oldest waiting records, without copying all of them (a cold start queues thousands).
    const batch: Pending[] = [];
    for (const p of w.pending.values()) {
      if (batch.length === (this.ctx.opts.maxBatchRecords ?? DEFAULT_MAX_BATCH_RECORDS)) break;
      batch.push(p);
    }
    for (const p of batch) w.pending.delete(p.resource);
    try {
      const outcomes = await w.serial(() => this.writer.writeBatch(w, batch));
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
        w.firstAt = this.ctx.now();
        this.schedule(w, 'batch');
      }
    }
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
        for (const n of recordNamesForTxtName(c.record.name, this.ctx.opts.ownership)) freed.add(n);
      }
    }
    if (freed.size === 0) return;
    // Records of this batch that got everything they asked for need no second plan.
    const placed = new Set(batch.filter((p) => (outcomes.get(p.resource)?.conflicts.length ?? 0) === 0).map((p) => p.resource));
    for (const name of freed) {
      for (const resource of w.wanted.get(name)) {
        const desired = this.desired.get(resource);
        if (!desired || desired.settled || w.pending.has(resource) || placed.has(resource)) continue;
        if (w.pending.size === 0) w.firstAt = this.ctx.now();
        w.pending.set(resource, { resource, policy: this.ctx.opts.policy, waiters: [] });
      }
    }
  }
}
