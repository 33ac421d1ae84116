// Bounded, fair concurrency for probes, shared between groups (namespaces: one per tenant).
// Probes queue here rather than skip, so under load they slow down instead of vanishing.
//
// `limit` probes run at once. A group's fair share is the limit divided among the groups with
// probes running or waiting (at least one). A group below its share starts at once even when
// `limit` are running, up to twice the limit: a probe cannot be taken back, so this is what keeps
// one group's stalled or hanging probes (each holding its place up to its timeout) from keeping
// another group's probes waiting. A group at or above its share waits, and a freed place goes to
// the waiting group running fewest, in turn.
interface Group {
  running: number;
  waiting: Array<() => void>;
}

export class Limiter {
  private running = 0;
  private readonly groups = new Map<string, Group>();
  /** Groups in the order they last got a place: ties go to the one served longest ago. */
  private turn: string[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`concurrency must be a positive integer, got ${limit}`);
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.waiting.length;
    return n;
  }

  /** Runs `task` when `group` may start one (default: one group for everything). */
  async run<T>(task: () => Promise<T>, group = ''): Promise<T> {
    const g = this.groups.get(group) ?? { running: 0, waiting: [] };
    this.groups.set(group, g);
    // A place is taken here, or handed over by a finishing task (start()), never both.
    if (this.mayStart(g)) this.start(group, g);
    else await new Promise<void>((resolve) => g.waiting.push(resolve));
    try {
      return await task();
    } finally {
      this.running--;
      g.running--;
      if (g.running === 0 && g.waiting.length === 0) {
        this.groups.delete(group);
        this.turn = this.turn.filter((n) => n !== group);
      }
      this.dispatch();
    }
  }

  private share(): number {
    return Math.max(1, Math.floor(this.limit / Math.max(1, this.groups.size)));
  }

  private mayStart(g: Group): boolean {
    return this.running < this.limit || (g.running < this.share() && this.running < 2 * this.limit);
  }

  private start(name: string, g: Group): void {
    this.running++;
    g.running++;
    this.turn = [...this.turn.filter((n) => n !== name), name];
  }

  /** Hands free places to waiting groups, fewest running first, then the one served longest ago. */
  private dispatch(): void {
    for (;;) {
      let best: [string, Group] | undefined;
      for (const entry of this.groups) {
        const [name, g] = entry;
        if (g.waiting.length === 0) continue;
        if (!best || g.running < best[1].running || (g.running === best[1].running && this.servedBefore(name, best[0]))) best = entry;
      }
      if (!best || !this.mayStart(best[1])) return;
      const [name, g] = best;
      this.start(name, g);
      g.waiting.shift()?.();
    }
  }

  private servedBefore(a: string, b: string): boolean {
    return this.turn.indexOf(a) < this.turn.indexOf(b);
  }
}
