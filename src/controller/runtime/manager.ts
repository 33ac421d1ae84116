// Starts the parts of a running controller in order and stops them in reverse order.
import type { Logger } from '../../log.js';

/** One long-running part of the controller (watching, working, electing, resyncing...). */
export interface Runnable {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}

export class Manager {
  private readonly started: Runnable[] = [];

  constructor(private readonly logger: Logger) {}

  /** Starts `r` now; it will be stopped before everything started earlier. */
  run<T extends Runnable>(r: T): T {
    r.start();
    this.started.push(r);
    return r;
  }

  /** Stops everything, last started first; a part that fails to stop does not keep the rest running. */
  async stop(): Promise<void> {
    for (const r of this.started.splice(0).reverse()) {
      try {
        await r.stop();
      } catch (err) {
        this.logger.warn('stopping failed', { part: r.name, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }
}

/** A Runnable from two functions. */
export function runnable(name: string, start: () => void, stop: () => Promise<void> | void = () => undefined): Runnable {
  return { name, start, stop: async () => stop() };
}
