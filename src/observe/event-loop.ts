// How long mcdns's own event loop was stalled, so that a timeout measured while mcdns itself
// was too busy to read the answer is not taken as evidence against a member cluster. Node runs
// expired timers before it reads sockets, so after a long synchronous stretch a heartbeat's
// timeout fires even though its answer has been waiting in the socket all along.
//
// A timer every `intervalMs` measures how late it fires; lateness beyond `thresholdMs` is a stall.

export interface LoopStalls {
  /** Milliseconds the loop was stalled between `since` (epoch ms) and now. */
  stalledMs(since: number): number;
}

interface Stall {
  /** When the stall ended (the late tick ran). */
  at: number;
  ms: number;
}

export class EventLoopWatch implements LoopStalls {
  private readonly stalls: Stall[] = [];
  private timer: NodeJS.Timeout | undefined;
  private expected = 0;

  constructor(
    private readonly intervalMs = 100,
    private readonly thresholdMs = 50,
    /** Stalls older than this are forgotten. */
    private readonly keepMs = 120_000,
  ) {}

  start(): void {
    if (this.timer) return;
    this.expected = Date.now() + this.intervalMs;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  stalledMs(since: number): number {
    const now = Date.now();
    // The stall going on right now, which no tick has measured yet, counts too.
    let total = this.timer ? Math.max(0, now - this.expected - this.thresholdMs) : 0;
    for (let i = this.stalls.length - 1; i >= 0; i--) {
      const s = this.stalls[i]!;
      if (s.at < since) break;
      // Only the part of a stall after `since`.
      total += Math.min(s.ms, s.at - since);
    }
    return total;
  }

  private tick(): void {
    const now = Date.now();
    const late = now - this.expected;
    this.expected = now + this.intervalMs;
    if (late > this.thresholdMs) this.stalls.push({ at: now, ms: late });
    while (this.stalls.length > 0 && this.stalls[0]!.at < now - this.keepMs) this.stalls.shift();
  }
}

/** The process-wide watch, started on first use. */
let shared: EventLoopWatch | undefined;
export function eventLoopStalls(): LoopStalls {
  if (!shared) {
    shared = new EventLoopWatch();
    shared.start();
  }
  return shared;
}
