// Events waiting to be written, sent a few at a time. A burst of news (a member going offline
// for thousands of records, hundreds of targets failing together) must not open thousands of
// requests to the API server at once: it used to exhaust file descriptors and starve the Lease
// renewal. Each waiting Event has an id; a newer one under the same id replaces it, and an
// Event is composed only when its turn comes, so it says what is true then.
import type { RecordRef } from '../../core/dnsendpoint.js';
import type { EventRecorder, EventType } from './recorder.js';

export interface OutgoingEvent {
  ref: RecordRef;
  type: EventType;
  reason: string;
  message: string;
}

export interface EventOutboxOptions {
  events: EventRecorder;
  /** Only a replica that may write sends; the others drop what waits. */
  writing: () => boolean;
  /** Events in flight at once (default 4). */
  concurrency?: number;
}

export class EventOutbox {
  private readonly pending = new Map<string, () => OutgoingEvent | undefined>();
  private readonly concurrency: number;
  private pumping = 0;

  constructor(private readonly opts: EventOutboxOptions) {
    this.concurrency = opts.concurrency ?? 4;
  }

  /** Events waiting to be sent. */
  get backlog(): number {
    return this.pending.size;
  }

  /**
   * Queues the Event `compose` returns when its turn comes (undefined: nothing to say any
   * more), replacing one still waiting under `id`.
   */
  put(id: string, compose: () => OutgoingEvent | undefined): void {
    this.pending.set(id, compose); // a replacement keeps the waiting one's place in line
    this.pump();
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
      const [id, compose] = next.value;
      this.pending.delete(id);
      if (!this.opts.writing()) continue;
      const e = compose();
      if (e) await this.opts.events.record(e.ref, e.type, e.reason, e.message);
    }
  }
}
