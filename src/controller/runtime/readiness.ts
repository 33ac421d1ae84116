// Ready: the host caches have synced, and every member has synced or been declared offline
// (members, and the sources they come from, get at most the offline grace). Workers wait for
// it, but never longer than the offline grace: a missing CRD or a forbidden list must not stop
// the records that can work. /readyz's body says what is awaited and what cannot be read.
import type { Logger } from '../../log.js';

export interface ReadinessOptions {
  hostSynced: () => boolean;
  /** The host caches still waiting, with their last error, for the log line. */
  hostWaitingFor: () => string[];
  membersDecided: () => boolean;
  /** Problems that do not hold readiness (a member source that cannot be read), for /readyz. */
  problems?: () => string[];
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

  /** What /readyz says beside its status: what is awaited (when not ready) and the problems. */
  explain(): string[] {
    const problems = this.opts.problems?.() ?? [];
    if (this.ready()) return problems;
    if (this.opts.stopping()) return ['shutting down'];
    const waiting = this.opts.hostWaitingFor();
    return [`waiting for ${waiting.length > 0 ? waiting.join(', ') : 'the member clusters to sync or be declared offline'}`, ...problems];
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
