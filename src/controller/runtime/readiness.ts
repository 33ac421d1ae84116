// Ready: the host caches have synced, and every member has synced or been declared offline
// (members get at most the offline grace). Workers wait for it, but never longer than the
// offline grace: a missing CRD or a forbidden list must not stop the records that can work.
import type { Logger } from '../../log.js';

export interface ReadinessOptions {
  hostSynced: () => boolean;
  /** The host caches still waiting, with their last error, for the log line. */
  hostWaitingFor: () => string[];
  membersDecided: () => boolean;
  graceMs: number;
  stopping: () => boolean;
  logger: Logger;
  now?: () => number;
}

export class Readiness {
  private latched = false;
  private readonly startedAt: number;
  private readonly now: () => number;

  constructor(private readonly opts: ReadinessOptions) {
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
  }

  /** Caches ready (latched once true); false while stopping. */
  ready(): boolean {
    if (this.opts.stopping()) return false;
    if (this.latched) return true;
    this.latched = this.opts.hostSynced() && (this.opts.membersDecided() || this.graceOver());
    return this.latched;
  }

  /** Workers may start: ready, or the grace is over (then says what is still missing). */
  mayStart(): boolean {
    if (this.ready()) return true;
    if (!this.graceOver()) return false;
    this.opts.logger.warn('starting to reconcile before every cache has synced', { waitingFor: this.opts.hostWaitingFor() });
    return true;
  }

  private graceOver(): boolean {
    return this.now() - this.startedAt > this.opts.graceMs;
  }
}
