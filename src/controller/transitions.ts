// Events on member cluster transitions: online → offline, never reached → offline and
// offline → online, on each record the cluster serves, once per record per transition.
// unknown → online (start-up) is not news. They go out with bounded concurrency, and a newer
// transition of the same cluster replaces one still waiting for a record, so a flapping member
// cannot pile Events up (thousands at once used to exhaust file descriptors).
import type { ClusterObservation, ClusterState } from '../core/observation.js';
import type { Logger } from '../log.js';
import { EventReason, type EventRecorder, type EventType } from './events.js';
import { keyOf, type RecordKey } from './reconcile.js';

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

interface Pending {
  key: RecordKey;
  type: EventType;
  reason: string;
  message: string;
}

export class TransitionEvents {
  private readonly states = new Map<string, ClusterState>();
  private readonly pending = new Map<string, Pending>();
  private readonly concurrency: number;
  private pumping = 0;

  constructor(private readonly opts: TransitionEventsOptions) {
    this.concurrency = opts.concurrency ?? 4;
  }

  /** Events waiting to be sent. */
  get backlog(): number {
    return this.pending.size;
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
      for (const key of served) {
        this.pending.set(`${s.cluster}|${keyOf(key)}`, {
          key,
          type: offline ? 'Warning' : 'Normal',
          reason: offline ? EventReason.ClusterOffline : EventReason.ClusterOnline,
          message,
        });
      }
      this.pump();
    }
  }

  /** Drops Events not sent yet (stopping, or the Lease is lost). */
  clear(): void {
    this.pending.clear();
  }

  /** At most `concurrency` drains run, each sending one Event at a time. */
  private pump(): void {
    while (this.pumping < this.concurrency && this.pending.size > 0) {
      this.pumping++;
      void this.drain().finally(() => this.pumping--);
    }
  }

  private async drain(): Promise<void> {
    for (;;) {
      const next = this.pending.entries().next();
      if (next.done) return;
      const [id, e] = next.value;
      this.pending.delete(id);
      if (!this.opts.writing()) continue;
      await this.opts.events.record({ ...e.key, uid: this.opts.uid(e.key) }, e.type, e.reason, e.message);
    }
  }
}
