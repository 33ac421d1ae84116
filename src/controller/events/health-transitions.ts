// Health verdict changes of a record's targets, batched per record. Targets behind one load
// balancer, or a whole member's, tend to fail together: 200 of them used to write 200 Events
// and queue 200 reconciles at once, enough to make the leader miss its Lease renewal. Here the
// changes of one record within a short window (100 ms from the first, which is all it adds to a failover) re-run the record once
// and write at most one Event on it, naming the targets (a bounded list), through the outbox
// (a few Events in flight at a time) and the recorder's per-record budget.
//
// A target's first verdict "healthy" (a new record, a record joining a probe) re-runs the
// record but is no news: no Event, as a member's unknown → online is none.
import type { HealthTransition } from '../../health/index.js';
import type { Logger } from '../../log.js';
import { observeHealthTransition } from '../../metrics/metrics.js';
import { EventOutbox, type OutgoingEvent } from './outbox.js';
import { EventReason, type EventRecorder } from './recorder.js';
import { parseKey, type RecordKey } from '../../core/record-key.js';

/** Changes arriving within this long of a record's first one form one batch. */
const HEALTH_BATCH_WINDOW_MS = 100;
/** Targets an Event names by address; the rest are counted. */
const LISTED = 10;

export interface HealthTransitionsOptions {
  events: EventRecorder;
  /** Re-runs the record (the work queue's add: it coalesces a key already waiting). */
  enqueue: (record: string) => void;
  uid: (key: RecordKey) => string | undefined;
  /** Only a replica that may write records Events. */
  writing: () => boolean;
  logger: Logger;
  windowMs?: number;
  /** Runs `flush` after `ms` (default: an unref'd setTimeout); tests end a window themselves. */
  schedule?: (flush: () => void, ms: number) => { cancel(): void };
  /** Events in flight at once (default 4). */
  concurrency?: number;
}

interface Change {
  cluster: string;
  healthy: boolean;
  first: boolean;
  lastError?: string;
}

export class HealthTransitions {
  /** record → target → its latest change, for the batch whose window is open. */
  private readonly open = new Map<string, Map<string, Change>>();
  private readonly windows = new Map<string, { cancel(): void }>();
  /** record → target → change not yet told in an Event (a batch whose Event waits in the outbox). */
  private readonly untold = new Map<string, Map<string, Change>>();
  private readonly outbox: EventOutbox;
  private readonly schedule: NonNullable<HealthTransitionsOptions['schedule']>;

  constructor(private readonly opts: HealthTransitionsOptions) {
    this.outbox = new EventOutbox({ events: opts.events, writing: opts.writing, concurrency: opts.concurrency });
    this.schedule =
      opts.schedule ??
      ((flush, ms) => {
        const t = setTimeout(flush, ms);
        t.unref();
        return { cancel: () => clearTimeout(t) };
      });
  }

  /** Events waiting to be sent. */
  get backlog(): number {
    return this.outbox.backlog;
  }

  /** Records with a batch still collecting changes. */
  get batching(): number {
    return this.open.size;
  }

  /** The prober's onTransition listener. */
  observe(t: HealthTransition): void {
    observeHealthTransition(t.healthy);
    let batch = this.open.get(t.record);
    if (!batch) {
      batch = new Map();
      this.open.set(t.record, batch);
      this.windows.set(t.record, this.schedule(() => this.flush(t.record), this.opts.windowMs ?? HEALTH_BATCH_WINDOW_MS));
    }
    // A target that changes twice in a window is told by its latest verdict; "first" sticks.
    const earlier = batch.get(t.target);
    batch.set(t.target, {
      cluster: t.cluster,
      healthy: t.healthy,
      first: (earlier?.first ?? true) && t.first,
      ...(t.lastError === undefined ? {} : { lastError: t.lastError }),
    });
  }

  /** Drops open batches and unsent Events (stopping, or the Lease is lost). */
  clear(): void {
    for (const w of this.windows.values()) w.cancel();
    this.windows.clear();
    this.open.clear();
    this.untold.clear();
    this.outbox.clear();
  }

  /** Ends `record`'s window: one reconcile, and one Event unless nothing is news. */
  private flush(record: string): void {
    const batch = this.open.get(record);
    this.open.delete(record);
    this.windows.delete(record);
    if (!batch) return;
    this.opts.enqueue(record);
    const changes = [...batch].map(([target, c]) => ({ target, ...c }));
    const unhealthy = changes.filter((c) => !c.healthy).length;
    this.opts.logger.info('target health changed', {
      record,
      unhealthy,
      healthy: changes.length - unhealthy,
      targets: changes.slice(0, LISTED).map((c) => `${c.target}=${c.healthy ? 'healthy' : 'unhealthy'}`),
    });
    const news = changes.filter((c) => !(c.healthy && c.first));
    if (news.length === 0 || !this.opts.writing()) return;
    // Changes whose Event still waits join it: an Event is composed when it is sent.
    const untold = this.untold.get(record) ?? new Map<string, Change>();
    for (const c of news) untold.set(c.target, c);
    this.untold.set(record, untold);
    this.outbox.put(`health|${record}`, () => this.compose(record));
  }

  private compose(record: string): OutgoingEvent | undefined {
    const untold = this.untold.get(record);
    this.untold.delete(record);
    if (!untold || untold.size === 0) return undefined;
    const key = parseKey(record);
    const byAddress = (a: { target: string }, b: { target: string }) => a.target.localeCompare(b.target, 'en', { numeric: true });
    const changes = [...untold].map(([target, c]) => ({ target, ...c })).sort(byAddress);
    const failed = changes.filter((c) => !c.healthy);
    const recovered = changes.filter((c) => c.healthy);
    const parts: string[] = [];
    if (failed.length === 1) {
      const [c] = failed as [(typeof failed)[number]];
      parts.push(`target ${c.target} (cluster ${c.cluster}) failed its health check: ${c.lastError ?? 'unhealthy'}`);
    } else if (failed.length > 1) {
      parts.push(`${failed.length} targets failed their health checks (${errorsOf(failed)}): ${listed(failed)}`);
    }
    if (recovered.length === 1) {
      const [c] = recovered as [(typeof recovered)[number]];
      parts.push(`target ${c.target} (cluster ${c.cluster}) is healthy again`);
    } else if (recovered.length > 1) {
      parts.push(`${recovered.length} targets are healthy again: ${listed(recovered)}`);
    }
    return {
      ref: { ...key, uid: this.opts.uid(key) },
      type: failed.length > 0 ? 'Warning' : 'Normal',
      reason: failed.length > 0 ? EventReason.TargetUnhealthy : EventReason.TargetHealthy,
      message: parts.join('; '),
    };
  }
}

/** "connection refused", or "198 connection refused, 2 connection reset": the classified errors, most common first. */
function errorsOf(failed: Array<{ lastError?: string }>): string {
  const counts = new Map<string, number>();
  for (const c of failed) {
    const error = c.lastError ?? 'unhealthy';
    counts.set(error, (counts.get(error) ?? 0) + 1);
  }
  if (counts.size === 1) return [...counts.keys()][0] as string;
  const kinds = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = kinds.slice(0, 3).map(([error, n]) => `${n} ${error}`);
  return kinds.length > 3 ? `${shown.join(', ')}, ${kinds.length - 3} other errors` : shown.join(', ');
}

/** "a (cluster x), b (cluster y) and 190 more": at most LISTED addresses. */
function listed(changes: Array<{ target: string; cluster: string }>): string {
  const names = changes.slice(0, LISTED).map((c) => `${c.target} (cluster ${c.cluster})`);
  const more = changes.length - names.length;
  return more > 0 ? `${names.join(', ')} and ${more} more` : names.join(', ');
}
