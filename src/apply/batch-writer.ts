// Writing one zone batch for the provider sink: its records planned one after the other against
// the zone as read, their changes written as one provider write, a rejected write split in halves
// until the names the provider refuses are alone (the others still land). Retryable failures
// re-read the zone and re-plan before trying again, so a retry never replays a stale plan.
// One write at a time per provider, each behind the write gate (`beforeWrite`).
import { describeError } from '../errors.js';
import { netChanges, orderForWriting, unitsOf, type Unit } from '../plan/batch.js';
import type { Change } from '../plan/records.js';
import type { DesiredState } from './desired-state.js';
import { callProvider, Refused } from './provider-call.js';
import type { RecordPlanner } from './record-planner.js';
import { asProviderError, withRetry } from './retry.js';
import type { SinkContext, ZoneError } from './sink-context.js';
import type { ZoneReader } from './zone-reads.js';
import type { Pending, ZoneOutcome, ZoneWorker } from './zone-worker.js';

export class BatchWriter {
  /**
   * One write at a time per provider, across zones: a database-backed server (PowerDNS on
   * SQLite) fails concurrent write transactions, and batches already carry the parallelism.
   */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: SinkContext,
    private readonly desired: DesiredState,
    private readonly zones: ZoneReader,
    private readonly planner: RecordPlanner,
  ) {}

  /** Plans the batch's records one after the other and writes their changes as one batch. */
  async writeBatch(w: ZoneWorker, batch: Pending[]): Promise<Map<string, ZoneOutcome>> {
    const { ctx } = this;
    const zone = w.zone;
    const outcomes = new Map<string, ZoneOutcome>();
    const zones = await this.zones.managedZones();
    // Records with changes in the last try: a failure of the whole batch is theirs, not the others'.
    let involved: Set<string> | undefined;
    try {
      await withRetry(
        `${ctx.provider.name} zone ${zone}`,
        async () => {
          const content = await this.zones.ensureRead(w, 'after-failure');
          outcomes.clear();
          involved = new Set();
          const view = content.fork();
          const units: Unit[] = [];
          // Records letting names go are planned first: a record taking over a name in the
          // same batch then finds it free.
          const ordered = [...batch].sort((a, b) => Number(this.desired.wantsIn(a.resource, zone)) - Number(this.desired.wantsIn(b.resource, zone)));
          for (const p of ordered) {
            const desired = this.desired.get(p.resource);
            const eps = desired ? this.desired.endpointsIn(desired, zone) : [];
            const planned = this.planner.planOne(view, p.resource, eps, zones, p.policy, content);
            view.apply(planned.changes);
            outcomes.set(p.resource, { changes: [], conflicts: planned.conflicts });
            units.push(...unitsOf(p.resource, planned.changes, ctx.opts.ownership));
            if (planned.changes.length > 0) involved.add(p.resource);
          }
          if (units.length > 0) await this.writeUnits(w, units, outcomes, true);
        },
        ctx.opts.retry,
        (err, attempt, delayMs) => {
          ctx.counters.retries++;
          ctx.log.warn('provider call failed, retrying', { zone, attempt, delayMs: Math.round(delayMs), error: err.message, kind: err.kind });
        },
      );
    } catch (err) {
      if (err instanceof Refused) throw err;
      const error = zoneError(zone, err);
      ctx.log.error('provider batch failed', { zone, records: batch.length, error: error.message, kind: error.kind });
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
    const { ctx } = this;
    const changes = orderForWriting(netChanges(units.flatMap((u) => u.changes)));
    try {
      await this.apply(w.zone, changes);
    } catch (err) {
      if (err instanceof Refused) throw err;
      w.markStale(); // whatever happened, the next plan starts from a fresh read
      ctx.counters.failedBatches++;
      const pe = asProviderError(err, w.zone);
      if (pe?.kind === 'rejected' && units.length > 1) {
        ctx.log.warn('provider rejected a batch; splitting it to find the names it refuses', { zone: w.zone, changes: changes.length, error: pe.message });
        const half = Math.ceil(units.length / 2);
        await this.writeUnits(w, units.slice(0, half), outcomes, false);
        await this.writeUnits(w, units.slice(half), outcomes, false);
        return;
      }
      if (whole) throw err;
      const error = zoneError(w.zone, err);
      ctx.log.error('provider refused changes of a record', { zone: w.zone, records: [...new Set(units.map((u) => u.resource))], error: error.message, kind: error.kind });
      for (const u of units) {
        const o = outcomes.get(u.resource);
        if (o) o.error = error;
      }
      return;
    }
    w.wrote(changes);
    ctx.counters.batches++;
    ctx.counters.changes += changes.length;
    ctx.opts.onBatch?.(w.zone, changes.length);
    ctx.log.info('applied batch', { zone: w.zone, records: new Set(units.map((u) => u.resource)).size, changes: changes.length });
    for (const u of units) outcomes.get(u.resource)?.changes.push(...u.changes);
  }

  /** One provider write (which may be several requests), gated and timed. */
  private async apply(zone: string, changes: Change[]): Promise<void> {
    const beforeWrite = (): void => {
      try {
        this.ctx.opts.beforeWrite?.();
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
    const { ctx } = this;
    beforeWrite();
    // A big batch is several requests (each under the provider's own request timeout): the
    // sink's safety net grows with it.
    const timeoutMs = (ctx.opts.callTimeoutMs ?? 30_000) * Math.max(1, Math.ceil(changes.length / 1000));
    await callProvider(ctx, 'apply', `apply ${changes.length} changes to ${zone}`, () => ctx.provider.apply(zone, changes, { beforeWrite }), timeoutMs);
  }
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
