// The cleanup finalizer, and what goes when a record goes.
//
// When a direct DNS provider is configured (the `cleanup` option), every live record gets
// CLEANUP_FINALIZER with its first full reconcile, and deleting the record first removes its
// DNS records from the providers, then releases the finalizer. While the provider cannot be
// reached the deletion waits, the Ready condition says why (reason CleanupFailed) and the queue
// retries with backoff. A record deleted before it had the finalizer (it was published by the
// DNS-first pass only) is cleaned up from its key alone: at once when its deletion is seen, and
// by the sweep of owned records without a record when the workers start. Without a provider
// mcdns keeps no finalizer (and removes one left from an earlier configuration, so that records
// can always be deleted).
import type { DNSRecord } from '../../api/schema.js';
import { dnsEndpointName, MANAGED_BY, MANAGED_BY_LABEL } from '../../core/dnsendpoint.js';
import { readyCondition, type RecordStatus, type Verdict } from '../../core/status.js';
import { describeError } from '../../errors.js';
import { observeCleanup } from '../../metrics/metrics.js';
import { EventReason } from '../events/recorder.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';
import { writeStatus } from './status.js';
import { CleanupError, type ReconcileContext, type ReconcileResult } from './types.js';

/** Held on records while a direct provider may hold DNS records for them. */
export const CLEANUP_FINALIZER = 'multiclusterdns.kubefed.io/cleanup';

const hasFinalizer = (r: DNSRecord) => (r.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER);
const withoutFinalizer = (r: DNSRecord) => (r.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);

export class Finalizer {
  /** When a CleanupFailed status was last written, per record key. */
  private readonly cleanupStatusAt = new Map<string, number>();

  constructor(private readonly ctx: ReconcileContext) {}

  /**
   * A live record keeps no finalizer without a provider: one left from an earlier configuration
   * is removed. Returns the record as written, or undefined when there was nothing to remove.
   */
  async removeIfUnneeded(key: RecordKey, record: DNSRecord): Promise<DNSRecord | undefined> {
    if (this.ctx.options.cleanup || !hasFinalizer(record)) return undefined;
    const written = await this.ctx.writes.updateFinalizers(key.kind, record, withoutFinalizer(record));
    this.ctx.log.info('removed the cleanup finalizer: no direct DNS provider is configured', { record: keyOf(key) });
    return written;
  }

  /** With a provider, a live record holds the finalizer; returns whether it was added now. */
  async addIfNeeded(key: RecordKey, record: DNSRecord): Promise<boolean> {
    if (!this.ctx.options.cleanup || hasFinalizer(record)) return false;
    await this.ctx.writes.updateFinalizers(key.kind, record, [...(record.metadata.finalizers ?? []), CLEANUP_FINALIZER]);
    return true;
  }

  /**
   * A record being deleted: its DNSEndpoint goes at once; with the finalizer, its DNS records at
   * the providers go next, and only then the finalizer.
   */
  async finalize(key: RecordKey, record: DNSRecord): Promise<ReconcileResult> {
    if (!hasFinalizer(record)) return this.removeOutputs(key, true);
    const result = await this.removeOutputs(key, false);
    const k = keyOf(key);
    const cleanup = this.ctx.options.cleanup;
    if (cleanup) {
      await this.removeProviderRecords(key, cleanup, {
        message: (error) => `deletion waits until the record's DNS records are removed from the DNS provider: ${error} (retrying with backoff)`,
        report: (message) => this.reportCleanupFailure(key, record, message),
      });
    } else {
      this.ctx.log.warn('releasing the cleanup finalizer without cleanup: no direct DNS provider is configured', { record: k });
    }
    await this.ctx.writes.updateFinalizers(key.kind, record, withoutFinalizer(record));
    this.cleanupStatusAt.delete(k);
    this.ctx.log.info('released the cleanup finalizer of a deleted record', { record: k });
    if (cleanup) {
      await this.ctx.events.record({ ...key, uid: record.metadata.uid }, 'Normal', EventReason.CleanedUp, 'DNS records removed from the DNS provider; finalizer released');
    }
    return { ...result, finalizer: 'removed' };
  }

  /**
   * A record that is gone (or going without our finalizer): its DNSEndpoint goes, and with
   * `providers`, whatever the providers hold for it, so that a record deleted before its first
   * full reconcile leaves nothing behind. What this process keeps for it (probes, claims, what
   * the providers confirmed) goes too. A failed removal throws, and the queue retries the key.
   */
  async removeOutputs(key: RecordKey, providers: boolean): Promise<ReconcileResult> {
    const { options } = this.ctx;
    options.prober?.untrack(keyOf(key));
    options.claims?.release(keyOf(key));
    this.ctx.confirmed.delete(keyOf(key));
    if (providers && options.cleanup && options.holds?.(key)) {
      await this.removeProviderRecords(key, options.cleanup, {
        message: (error) => `could not remove the DNS records of deleted record ${keyOf(key)}: ${error}`,
      });
      this.ctx.log.info('removed the DNS records of a deleted record', { record: keyOf(key) });
    }
    // The garbage collector removes DNSEndpoints by ownerReference; doing it here too covers
    // clusters without one and makes a deletion reach ExternalDNS without waiting for it.
    const name = dnsEndpointName(key.kind, key.name);
    const live = this.ctx.view.dnsEndpoint(key.namespace, name);
    if (!live || live.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) return { dnsEndpoint: 'unchanged', status: 'none' };
    await this.ctx.writes.deleteDNSEndpoint(key.namespace, name);
    this.ctx.log.info('deleted DNSEndpoint of a deleted record', { record: keyOf(key), dnsEndpoint: name });
    return { dnsEndpoint: 'deleted', status: 'none' };
  }

  /**
   * Removes the record's DNS records at the providers and counts the outcome. A failure is
   * logged, reported (`report`, given the message) and thrown as a CleanupError whose message
   * `message` makes from the provider's error.
   */
  private async removeProviderRecords(
    key: RecordKey,
    cleanup: (key: RecordKey) => Promise<void>,
    failure: { message: (error: string) => string; report?: (message: string) => Promise<void> },
  ): Promise<void> {
    try {
      await cleanup(key);
      observeCleanup(true);
    } catch (err) {
      observeCleanup(false);
      const message = failure.message(describeError(err));
      this.ctx.log.warn('could not remove DNS records of a deleted record, will retry', { record: keyOf(key), error: describeError(err) });
      await failure.report?.(message);
      throw new CleanupError(message);
    }
  }

  /**
   * Ready=False/CleanupFailed on the record being deleted. The status (and its watch event,
   * which requeues the record at once) is written on the transition, and afterwards only when
   * the message changed and cleanupStatusIntervalMs has passed: a provider error that varies
   * from attempt to attempt must not turn the backoff into a tight loop.
   */
  private async reportCleanupFailure(key: RecordKey, record: DNSRecord, message: string): Promise<void> {
    const k = keyOf(key);
    const previous = readyCondition(record.status as RecordStatus | undefined);
    const now = this.ctx.now().getTime();
    const interval = this.ctx.options.cleanupStatusIntervalMs ?? 60_000;
    const transition = previous?.reason !== EventReason.CleanupFailed;
    if (!transition && (previous?.message === message || now - (this.cleanupStatusAt.get(k) ?? 0) < interval)) return;
    const verdict: Verdict = { status: 'False', reason: EventReason.CleanupFailed, message };
    try {
      await writeStatus(this.ctx, key, record, verdict, {});
      this.cleanupStatusAt.set(k, now);
    } catch (err) {
      this.ctx.log.warn('could not write the CleanupFailed status', { record: k, error: describeError(err) });
    }
  }
}
