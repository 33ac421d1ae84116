// A keyed work queue in the manner of client-go's rate-limited workqueue: a key is queued at
// most once, never processed by two workers at a time (a key added while it is being processed
// runs again afterwards), and failures come back after a per-key exponential backoff.

import { backoffDelay } from '../backoff.js';

export interface QueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
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
    return this.queue.length;
  }

  add(key: string): void {
    if (this.stopped) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
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
  forget(key: string): void {
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
   * Runs `handle` on `concurrency` workers until shutDown() or until `signal` aborts. Resolves
   * when they have all stopped; a worker busy with a key finishes it first. Aborting stops only
   * these workers: the queue keeps collecting keys, and a later run() picks them up (this is how
   * a replica stops working when it loses the leader lease and resumes when it regains it).
   */
  async run(concurrency: number, handle: (key: string) => Promise<void>, signal?: AbortSignal): Promise<void> {
    const wake = () => {
      for (const w of this.waiters.splice(0)) w();
    };
    signal?.addEventListener('abort', wake, { once: true });
    const worker = async (): Promise<void> => {
      for (;;) {
        const key = await this.next(signal);
        if (key === undefined) return;
        try {
          await handle(key);
        } finally {
          this.done(key);
        }
        // A reconcile that needed no I/O resolves in microtasks: without this the workers would
        // chain keys without ever letting timers and sockets run (heartbeats, Lease renewals,
        // watch events, /metrics).
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    try {
      await Promise.all(Array.from({ length: concurrency }, worker));
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
    while (!this.stopped && !signal?.aborted && this.queue.length === 0) await new Promise<void>((r) => this.waiters.push(r));
    if (this.stopped || signal?.aborted) {
      // Another run()'s worker may be waiting for the key this one was woken for.
      if (this.queue.length > 0) this.waiters.shift()?.();
      return undefined;
    }
    const key = this.queue.shift() as string;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  private done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }
}
