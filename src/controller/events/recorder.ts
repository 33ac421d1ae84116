// Kubernetes Events on records: what `kubectl describe ingressdnsrecord <name>` shows under
// Events. One recorder for the whole controller; it never throws (an Event that cannot be
// written is logged and dropped, it must not fail a reconcile) and it writes only while this
// replica may write (the recorder sits on the gated HostWrites, so a follower records nothing).
//
// For the other parts of mcdns (health probes, providers): take the controller's recorder
// (Controller.events) and call
//   events.record({ kind, namespace, name, uid }, 'Warning', EventReason.TargetUnhealthy, '...')
// on a transition, not on every probe: Events are for changes an admin should notice.
//
// Every record has a budget of Events, as client-go's EventSourceObjectSpamFilter gives each
// source and object: a burst of 25, then one more every 5 minutes. Whatever flaps (a target, a
// member, a spec edited in a loop), it cannot write more than that about one record; an Event
// over budget is dropped, logged at debug level and counted.
import type { RecordRef } from '../../core/dnsendpoint.js';
import { NotLeaderError, describeError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { observeEvent, observeEventRateLimited } from '../../metrics/metrics.js';
import { keyOf } from '../../core/record-key.js';
import type { HostWrites } from '../host/ports.js';

/** Reasons mcdns uses (CamelCase, as Kubernetes Events do). Ready transitions use the verdict's reason. */
export const EventReason = {
  /** Ready became True again after False: the record's names are published (a first publish records no Event). */
  Published: 'Published',
  /** The spec cannot be used; what it publishes stays, as far as it may still hold it. */
  InvalidSpec: 'InvalidSpec',
  /** A record that cannot be reconciled let go of published names it may no longer hold. */
  NamesReleased: 'NamesReleased',
  /** A member cluster serving this record became unreachable for longer than the offline grace. */
  ClusterOffline: 'ClusterOffline',
  /** A member cluster serving this record answers again. */
  ClusterOnline: 'ClusterOnline',
  /** An active health probe found a target unhealthy (health checks). */
  TargetUnhealthy: 'TargetUnhealthy',
  /** A target that was unhealthy passes its probes again (health checks). */
  TargetHealthy: 'TargetHealthy',
  /** A DNS name is owned by someone else at a direct provider (TXT ownership). */
  OwnershipConflict: 'OwnershipConflict',
  /** Deleting the record waits: its DNS records could not be removed from a direct provider. */
  CleanupFailed: 'CleanupFailed',
  /** The record's DNS records were removed from the direct providers; the finalizer is released. */
  CleanedUp: 'CleanedUp',
} as const;

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  /** Records an Event on the record; resolves whatever happens. */
  record(ref: RecordRef, type: EventType, reason: string, message: string): Promise<void>;
}

export interface EventBudgetOptions {
  /** Events a record may get at once (default 25, as client-go). */
  burst?: number;
  /** Then one more per this many ms (default 5 minutes, as client-go). */
  refillMs?: number;
  now?: () => number;
}

/** A token bucket per record: spent by each Event, refilled at a fixed rate up to the burst. */
export class EventBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;
  private readonly refillMs: number;
  private readonly now: () => number;
  private prunedAt = 0;

  constructor(opts: EventBudgetOptions = {}) {
    this.burst = opts.burst ?? 25;
    this.refillMs = opts.refillMs ?? 300_000;
    this.now = opts.now ?? Date.now;
  }

  /** Takes one Event from `record`'s budget; false when it has none left. */
  take(record: string): boolean {
    const now = this.now();
    this.prune(now);
    const b = this.buckets.get(record);
    const tokens = b ? this.refilled(b, now) : this.burst;
    if (tokens < 1) return false;
    this.buckets.set(record, { tokens: tokens - 1, at: now });
    return true;
  }

  private refilled(b: { tokens: number; at: number }, now: number): number {
    return Math.min(this.burst, b.tokens + (now - b.at) / this.refillMs);
  }

  /** A full bucket is the same as none: dropping those keeps the map to records with recent Events. */
  private prune(now: number): void {
    if (now - this.prunedAt < this.refillMs) return;
    this.prunedAt = now;
    for (const [record, b] of this.buckets) if (this.refilled(b, now) >= this.burst) this.buckets.delete(record);
  }
}

export function eventRecorder(writes: Pick<HostWrites, 'event'>, log: Logger, budget = new EventBudget()): EventRecorder {
  return {
    async record(ref, type, reason, message) {
      const record = keyOf(ref);
      if (!budget.take(record)) {
        log.debug('event not recorded: over the record\'s event budget', { record, reason });
        observeEventRateLimited(type, reason);
        return;
      }
      try {
        await writes.event(ref, type, reason, message);
        observeEvent(type, reason);
      } catch (err) {
        if (err instanceof NotLeaderError) log.debug('event not recorded: not the leader', { record, reason });
        else log.warn('could not record event', { record, reason, error: describeError(err) });
      }
    },
  };
}
