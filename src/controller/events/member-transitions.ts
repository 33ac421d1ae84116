// Events on member cluster transitions: online → offline, never reached → offline and
// offline → online, on each record the cluster serves, once per record per transition.
// unknown → online (start-up) is not news. They go out with bounded concurrency, and a newer
// transition of the same cluster replaces one still waiting for a record, so a flapping member
// cannot pile Events up (outbox.ts).
import type { ClusterObservation, ClusterState } from '../../core/observation.js';
import type { Logger } from '../../log.js';
import { EventOutbox } from './outbox.js';
import { EventReason, type EventRecorder, type EventType } from './recorder.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';

export interface TransitionEventsOptions {
  events: EventRecorder;
  /** Records the cluster serves (ServedRecords.recordsOf). */
  served: (cluster: string) => RecordKey[];
  uid: (key: RecordKey) => string | undefined;
  /** Only a replica that may write records Events. */
  writing: () => boolean;
  logger: Logger;
  /** Events in flight at once (default 4). */
  concurrency?: number;
}

export class TransitionEvents {
  private readonly states = new Map<string, ClusterState>();
  private readonly outbox: EventOutbox;

  constructor(private readonly opts: TransitionEventsOptions) {
    this.outbox = new EventOutbox({ events: opts.events, writing: opts.writing, concurrency: opts.concurrency });
  }

  /** Events waiting to be sent. */
  get backlog(): number {
    return this.outbox.backlog;
  }

  /** Compares each member's state with the last one seen; records Events for the news. */
  observe(statuses: ClusterObservation[]): void {
    for (const name of [...this.states.keys()]) if (!statuses.some((s) => s.cluster === name)) this.states.delete(name);
    for (const s of statuses) {
      const before = this.states.get(s.cluster);
      if (s.state === 'unknown' || before === s.state) continue;
      this.states.set(s.cluster, s.state);
      const news = s.state === 'offline' || before === 'offline';
      if (!news || !this.opts.writing()) continue;
      const offline = s.state === 'offline';
      const message = offline
        ? `member cluster ${s.cluster} is offline${s.stateMessage ? ` (${s.stateMessage})` : ''}: its addresses leave this record's DNS names until it answers again`
        : `member cluster ${s.cluster} is online again: its addresses are published again`;
      const served = this.opts.served(s.cluster);
      this.opts.logger.info('member cluster transition', { cluster: s.cluster, from: before ?? 'unknown', to: s.state, records: served.length });
      const type: EventType = offline ? 'Warning' : 'Normal';
      const reason = offline ? EventReason.ClusterOffline : EventReason.ClusterOnline;
      for (const key of served) {
        this.outbox.put(`${s.cluster}|${keyOf(key)}`, () => ({ ref: { ...key, uid: this.opts.uid(key) }, type, reason, message }));
      }
    }
  }

  /** Drops Events not sent yet (stopping, or the Lease is lost). */
  clear(): void {
    this.outbox.clear();
  }
}
