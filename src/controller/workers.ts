// The workers: take record keys from the queue and reconcile them, with per-key backoff on
// failure. They run only while this replica may write (started and stopped by leader election)
// and only once the caches are ready (see readiness.ts).
//
// Taking up work (a cold start, a new term as leader) goes DNS first: every record's endpoints
// are handed to the direct providers (no host write, so the provider batches fill at once and
// their zones converge in seconds), then every DNSEndpoint is brought up to date (one host write
// per record at most), then the records whose ownership TXTs remain at a provider without a
// record are queued for removal, then every record is reconciled fully (status, finalizer, Events).
import { describeError, statusCodeOf } from '../errors.js';
import type { Logger } from '../log.js';
import { observeReconcile } from '../metrics/metrics.js';
import { NotLeaderError } from '../errors.js';
import type { Slot, WorkQueue } from './runtime/queue.js';
import type { Reconciler } from './reconcile/reconciler.js';
import { RetryLater, type ReconcileResult } from './reconcile/types.js';
import { parseKey, type RecordKey } from '../core/record-key.js';

export interface WorkersOptions {
  queue: WorkQueue;
  reconciler: Pick<Reconciler, 'reconcile'>;
  workers: number;
  logger: Logger;
  /** May this replica write now. */
  writing: () => boolean;
  /** Resolves true once the caches are ready enough to reconcile (polled). */
  mayStart: () => boolean;
  /** Every record key, queued once when work starts (level-triggered). */
  allKeys: () => string[];
  /** The DNS-first pass of one record, for the outputs named (Reconciler.publishOutputs); none: no such pass. */
  publishOutputs?: (record: RecordKey, outputs: { providers: boolean; dnsEndpoint: boolean }) => Promise<void>;
  /** Keys of records gone but still owning DNS records at a provider (read once per start). */
  orphans?: () => Promise<string[]>;
  /**
   * Whether the record caches hold every record: the sweep for orphans runs only then (workers
   * may start before, after the offline grace, and a record not yet listed is not gone).
   */
  recordsSynced?: () => boolean;
  /** After each reconcile of a key (whatever its outcome). */
  reconciled?: (key: string, result: ReconcileResult | undefined, record: RecordKey) => void;
}

export class Workers {
  private working: { ctrl: AbortController; done: Promise<void> } | undefined;
  private stopping = false;

  constructor(private readonly opts: WorkersOptions) {}

  /** Starts the workers (no-op while they run). */
  start(): void {
    if (this.working || this.stopping) return;
    const { queue, logger } = this.opts;
    const ctrl = new AbortController();
    const done = (async () => {
      while (!this.opts.mayStart() && !ctrl.signal.aborted) await new Promise((r) => setTimeout(r, 100));
      if (ctrl.signal.aborted) return;
      const keys = this.opts.allKeys();
      await this.outputsFirst(keys, ctrl.signal);
      if (ctrl.signal.aborted) return;
      logger.info('reconciling', { workers: this.opts.workers, queued: queue.depth });
      for (const k of keys) queue.add(k, 'sweep'); // whatever happened before, every record is checked once
      await queue.run(this.opts.workers, (key, slot) => this.handle(key, slot), ctrl.signal);
    })();
    this.working = { ctrl, done };
  }

  /** Stops the workers; resolves true when the busy ones finished their key, false after timeoutMs. */
  async stop(timeoutMs = Infinity, final = false): Promise<boolean> {
    if (final) this.stopping = true;
    const w = this.working;
    this.working = undefined;
    if (!w) return true;
    w.ctrl.abort();
    if (timeoutMs === Infinity) {
      await w.done;
      return true;
    }
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      w.done.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
    ]);
    clearTimeout(timer);
    return finished;
  }

  /**
   * The DNS-first pass over `keys`: the providers are handed every record's endpoints in one
   * go (CPU only, yielding between records), then the DNSEndpoints are written on `workers`
   * concurrent runners; then the sweep for orphans. A failure leaves the key to its full
   * reconcile, which reports it; losing the right to write ends the pass.
   */
  private async outputsFirst(keys: string[], signal: AbortSignal): Promise<void> {
    const { publishOutputs, orphans, logger, queue } = this.opts;
    if (publishOutputs) {
      const t0 = Date.now();
      let failed = 0;
      const pass = async (outputs: { providers: boolean; dnsEndpoint: boolean }, runners: number): Promise<number> => {
        let next = 0;
        const runner = async (): Promise<void> => {
          while (next < keys.length && !signal.aborted && this.opts.writing()) {
            const key = keys[next++] as string;
            try {
              await publishOutputs(parseKey(key), outputs);
            } catch (err) {
              failed++;
              logger.debug('DNS-first pass: left to the full reconcile', { record: key, error: describeError(err) });
            }
            await new Promise<void>((resolve) => setImmediate(resolve)); // let heartbeats and watches run
          }
        };
        await Promise.all(Array.from({ length: Math.min(runners, keys.length) }, runner));
        return next;
      };
      await pass({ providers: true, dnsEndpoint: false }, 1);
      const handed = (Date.now() - t0) / 1000;
      const records = await pass({ providers: false, dnsEndpoint: true }, this.opts.workers);
      logger.info('DNS outputs brought up to date', { records, failed, providersHandedS: handed, seconds: (Date.now() - t0) / 1000 });
    }
    if (orphans && !signal.aborted && !(this.opts.recordsSynced?.() ?? true)) {
      logger.warn('not looking for DNS records of deleted records: the record caches have not synced (the next start or term looks again)');
    } else if (orphans && !signal.aborted) {
      try {
        const gone = await orphans();
        if (gone.length > 0) logger.info('DNS records of deleted records found at the provider: removing them', { records: gone.length });
        for (const k of gone) queue.add(k);
      } catch (err) {
        // The zones could not be read: the next start or term looks again; nothing is deleted blind.
        logger.warn('could not look for DNS records of deleted records', { error: describeError(err) });
      }
    }
  }

  private async handle(key: string, slot?: Slot): Promise<void> {
    const { queue, logger, reconciler } = this.opts;
    const k = parseKey(key);
    const t0 = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - t0) / 1e9;
    let result: ReconcileResult | undefined;
    try {
      result = await reconciler.reconcile(k, slot);
      observeReconcile(k.kind, true, seconds());
      queue.resetBackoff(key);
      logger.debug('reconciled', { record: key, ...result, verdict: result.verdict?.reason });
    } catch (err) {
      // A refused write can also reach here wrapped (a provider failure message): what counts is
      // that this replica may not write now.
      if (err instanceof NotLeaderError || !this.opts.writing()) {
        // Lost the Lease (or stopping) mid-reconcile: the rest is the next leader's job. The key
        // stays queued in case this replica leads again.
        logger.info('reconcile abandoned: this replica may no longer write', { record: key });
        queue.addAfter(key, 1000);
        return;
      }
      observeReconcile(k.kind, false, seconds());
      const provider = err instanceof RetryLater;
      const retryInMs = queue.addRateLimited(key, provider ? err.delayMs : 0);
      const code = statusCodeOf(err);
      // 409: our cache was behind the API server; the retry reads the fresh object.
      const level = code === 409 ? 'info' : 'warn';
      const message = provider ? 'DNS provider failed, will retry' : 'reconcile failed, will retry';
      logger.log(level, message, { record: key, status: code, error: describeError(err), retryInMs });
    } finally {
      this.opts.reconciled?.(key, result, k);
    }
  }
}
