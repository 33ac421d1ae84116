// A keyed work queue in the manner of client-go's rate-limited workqueue: a key is queued at
// most once, never processed by two workers at a time (a key added while it is being processed
// runs again afterwards), and failures come back after a per-key exponential backoff.
//
// Two lanes, as controller-runtime's priority queue has: keys queued because something changed
// go before keys queued by a sweep over every record (the start of work, the periodic resync).
// A resync of 10,000 records must not make one real change wait behind all of them.

import { backoffDelay } from '../../backoff.js';

/** `change`: something this key depends on changed. `sweep`: every record is checked again. */
export type Lane = 'change' | 'sweep';

export interface QueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue {
  private readonly lanes: Record<Lane, string[]> = { change: [], sweep: [] };
  /** The lane each queued key waits in (an entry of another lane for it is stale, skipped). */
  private readonly queued = new Map<string, Lane>();
  private readonly processing = new Set<string>();
  /** Keys added while processed, with the lane they come back in. */
  private readonly dirty = new Map<string, Lane>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly waiters: Array<() => void> = [];
  private stopped = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(opts: QueueOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 200;
    this.maxDelayMs = opts.maxDelayMs ?? 60_000;
  }

  get depth(): number {
    return this.queued.size;
  }

  /** Queues `key` (once); a key waiting in the sweep lane moves up when it changes. */
  add(key: string, lane: Lane = 'change'): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      if (this.dirty.get(key) !== 'change') this.dirty.set(key, lane);
      return;
    }
    const at = this.queued.get(key);
    if (at === 'change' || at === lane) return;
    this.queued.set(key, lane);
    this.lanes[lane].push(key);
    this.waiters.shift()?.();
  }

  /**
   * Re-adds a key after its backoff; each failure doubles the delay up to maxDelayMs. A server's
   * Retry-After comes in as `atLeastMs`: the key never returns sooner than it asked.
   */
  addRateLimited(key: string, atLeastMs = 0): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.max(backoffDelay(n, { baseMs: this.baseDelayMs, maxMs: this.maxDelayMs }), atLeastMs);
    this.addAfter(key, delay);
    return delay;
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped || this.timers.has(key)) return;
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    t.unref();
    this.timers.set(key, t);
  }

  /** A key succeeded: its next failure starts from the base delay again. */
  resetBackoff(key: string): void {
    this.failures.delete(key);
  }

  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Keys being handled by a worker right now. */
  get inFlight(): number {
    return this.processing.size;
  }

  /** A worker is handling `key` right now. */
  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  /**
   * Runs `handle` for queued keys, at most `concurrency` of them working at once, until
   * shutDown() or until `signal` aborts. A handler that only waits (for a provider batch) gives
   * its place back with `slot.release()` and takes one again with `slot.reacquire()` before it
   * works again; those waiting to come back go before new keys. Resolves when every handler
   * started has finished: a key being handled is finished first. Aborting stops only this run:
   * the queue keeps collecting keys, and a later run() picks them up (this is how a replica
   * stops working when it loses the leader lease and resumes when it regains it).
   */
  async run(concurrency: number, handle: (key: string, slot: Slot) => Promise<void>, signal?: AbortSignal): Promise<void> {
    const wake = () => {
      for (const w of this.waiters.splice(0)) w();
    };
    signal?.addEventListener('abort', wake, { once: true });
    const permits = new Permits(concurrency);
    const handling = new Set<Promise<void>>();
    try {
      for (;;) {
        await permits.acquire('new');
        const key = await this.next(signal);
        if (key === undefined) {
          permits.release();
          break;
        }
        const slot = permits.slot();
        const done = handle(key, slot)
          .catch(() => undefined) // handlers report their own failures
          .finally(() => {
            slot.release();
            this.done(key);
            handling.delete(done);
          });
        handling.add(done);
        // A reconcile that needed no I/O resolves in microtasks: without this the workers would
        // chain keys without ever letting timers and sockets run (heartbeats, Lease renewals,
        // watch events, /metrics).
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      while (handling.size > 0) await Promise.all(handling);
    } finally {
      signal?.removeEventListener('abort', wake);
    }
  }

  shutDown(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w();
  }

  private async next(signal?: AbortSignal): Promise<string | undefined> {
    while (!this.stopped && !signal?.aborted && this.queued.size === 0) await new Promise<void>((r) => this.waiters.push(r));
    if (this.stopped || signal?.aborted) {
      // Another run()'s worker may be waiting for the key this one was woken for.
      if (this.queued.size > 0) this.waiters.shift()?.();
      return undefined;
    }
    const key = this.take('change') ?? (this.take('sweep') as string);
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  /** The next key waiting in `lane`, skipping entries of keys that moved to the other lane. */
  private take(lane: Lane): string | undefined {
    const list = this.lanes[lane];
    while (list.length > 0) {
      const key = list.shift() as string;
      if (this.queued.get(key) === lane) return key;
    }
    return undefined;
  }

  private done(key: string): void {
    this.processing.delete(key);
    const lane = this.dirty.get(key);
    if (lane === undefined) return;
    this.dirty.delete(key);
    this.add(key, lane);
  }
}

/** A handler's place among the `concurrency` working at once. */
export interface Slot {
  /** Gives the place back while waiting (idempotent). */
  release(): void;
  /** Takes a place again, before those not started yet (no-op while held). */
  reacquire(): Promise<void>;
}

/** Counting places, where handlers coming back go before new keys. */
class Permits {
  private readonly returning: Array<() => void> = [];
  private readonly starting: Array<() => void> = [];

  constructor(private free: number) {}

  acquire(who: 'new' | 'returning'): Promise<void> {
    if (this.free > 0 && (who === 'returning' || this.returning.length === 0)) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => (who === 'returning' ? this.returning : this.starting).push(resolve));
  }

  release(): void {
    const next = this.returning.shift() ?? this.starting.shift();
    if (next) next();
    else this.free++;
  }

  slot(): Slot {
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.release();
      },
      reacquire: async () => {
        if (held) return;
        await this.acquire('returning');
        held = true;
      },
    };
  }
}
