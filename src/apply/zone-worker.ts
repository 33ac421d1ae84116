// The provider sink's state for one zone (its content as read, the records waiting for its next
// batch, who wants which of its names) and the registry of those, one per zone.
import { identityMultiMap } from '../core/multimap.js';
import type { Conflict } from '../plan/plan.js';
import type { Change, SyncPolicy } from '../plan/records.js';
import type { ZoneError } from './sink-context.js';
import type { ZoneContent } from './zone-content.js';

/** What one zone's batch did for one record. */
export interface ZoneOutcome {
  changes: Change[];
  conflicts: Conflict[];
  error?: ZoneError;
}

interface Waiter {
  resolve: (o: ZoneOutcome) => void;
  reject: (err: unknown) => void;
}

/** A record waiting to be planned and written into one zone. */
export interface Pending {
  resource: string;
  policy: SyncPolicy;
  waiters: Waiter[];
}

export class ZoneWorker {
  content?: ZoneContent;
  /** The content may differ from the provider (a write failed): read again before planning. */
  stale = true;
  /** Times the content was marked stale: a read during which it was keeps the zone stale. */
  staleMarks = 0;
  /**
   * Our writes confirmed while a read of the zone was in flight, one list per read: laid over
   * what that read brings, which may or may not hold them (reads do not wait for writes).
   */
  readonly writesDuringReads = new Set<Change[][]>();
  readonly pending = new Map<string, Pending>();
  /** Desired names in this zone → records wanting them (to find who a drifted name concerns). */
  readonly wanted = identityMultiMap<string>();
  firstAt = 0;
  timer?: NodeJS.Timeout;
  /** A flush is due in this turn of the event loop (ZoneBatches.schedule). */
  flushQueued = false;
  running = false;
  /** The first read in flight: every publication waiting for it shares it (and its failure). */
  loading?: Promise<ZoneContent>;
  /** Serialises reads and batches of this zone. */
  tail: Promise<void> = Promise.resolve();
  /** [zone], shared by the records whose names all lie in this zone (most do). */
  readonly alone: readonly string[];
  constructor(readonly zone: string) {
    this.alone = [zone];
  }

  /** The content may differ from the provider now (a write failed, another leader may have written). */
  markStale(): void {
    this.stale = true;
    this.staleMarks++;
  }

  /** Our write was confirmed: the content holds it, and so will what the reads in flight bring. */
  wrote(changes: Change[]): void {
    this.content?.apply(changes);
    for (const during of this.writesDuringReads) during.push(changes);
  }

  /**
   * Runs `fn` after everything queued for the zone: batches never overlap each other, nor the
   * reads that must come before a plan (the first, after a failure). Drift checks do not wait.
   */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }
}

/** The worker of every zone the sink has met, made on first need. */
export class ZoneWorkers {
  private readonly byZone = new Map<string, ZoneWorker>();

  get(zone: string): ZoneWorker | undefined {
    return this.byZone.get(zone);
  }

  getOrCreate(zone: string): ZoneWorker {
    let w = this.byZone.get(zone);
    if (!w) this.byZone.set(zone, (w = new ZoneWorker(zone)));
    return w;
  }

  values(): IterableIterator<ZoneWorker> {
    return this.byZone.values();
  }
}
