// The periodic resync: every record is queued again on a cron schedule, to catch anything a
// watch missed. It only queues: the reconcile reads the caches, so a resync of a steady state
// makes no writes. Each run waits a random part of `jitterMs` first, so replicas and restarts
// do not line up on the same second.
import cron, { type ScheduledTask } from 'node-cron';
import type { Runnable } from '../runtime/manager.js';

export class Resync implements Runnable {
  readonly name = 'resync';
  private task: ScheduledTask | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly schedule: string,
    private readonly enqueueAll: () => void,
    private readonly jitterMs = 30_000,
    private readonly random: () => number = Math.random,
  ) {}

  start(): void {
    this.task = cron.schedule(
      this.schedule,
      () => {
        if (this.timer) return; // the previous run is still waiting for its jitter
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.enqueueAll();
        }, Math.floor(this.random() * this.jitterMs));
        this.timer.unref();
      },
      { noOverlap: true },
    );
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.task?.stop();
  }
}
