// One level-triggered reconcile of one record: read the record and the member observations,
// compute the desired endpoints with the pure core, make the DNSEndpoint say exactly that,
// and tell the admin what happened through status and Events. Writes only on change.
//
// DNS first: `publishOutputs` writes only a record's DNS outputs (provider records and/or the
// DNSEndpoint), no status, finalizer or Event. When the workers take up work (a cold start, a
// new term as leader) every record is handed to the providers, then every DNSEndpoint written
// (workers.ts); the full reconciles that follow find the outputs in place and write the status.
//
// This class puts the parts together; each lives in its own file: the decision (decide.ts), the
// DNSEndpoint write (dnsendpoint.ts), status and Events (status.ts), the cleanup finalizer and
// what goes when a record goes (finalizer.ts).
import type { DNSRecord } from '../../api/schema.js';
import { dnsEndpointFor, type RecordRef } from '../../core/dnsendpoint.js';
import type { RecordStatus, Verdict } from '../../core/status.js';
import { nextDegraded } from '../../core/degraded.js';
import type { DirectOutcome } from '../../apply/outputs.js';
import type { Logger } from 'winston';
import { eventRecorder } from '../events/recorder.js';
import type { Slot } from '../runtime/queue.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';
import type { HostView, HostWrites } from '../host/ports.js';
import { decide, withPublished } from './decide.js';
import { seedClaims } from './claim.js';
import { letGo } from './let-go.js';
import { DNSEndpointWriter } from './dnsendpoint.js';
import { Finalizer } from './finalizer.js';
import { persistStatus, whilePublishing } from './status.js';
import { RetryLater, type ReconcileContext, type ReconcileResult, type ReconcilerOptions } from './types.js';

export class Reconciler {
  private readonly ctx: ReconcileContext;
  private readonly dnsEndpoints: DNSEndpointWriter;
  private readonly finalizer: Finalizer;

  constructor(
    view: HostView,
    writes: HostWrites,
    private readonly group: string,
    log: Logger,
    now: () => Date = () => new Date(),
    options: ReconcilerOptions = {},
  ) {
    const events = options.events ?? eventRecorder(writes, log);
    if (options.direct?.configured && !options.cleanup) {
      const direct = options.direct;
      options = { ...options, cleanup: (key) => direct.cleanup(key), holds: (key) => direct.holds(key) };
    }
    this.ctx = { view, writes, log, now, options, events, confirmed: new Map() };
    this.dnsEndpoints = new DNSEndpointWriter(this.ctx);
    this.finalizer = new Finalizer(this.ctx);
  }

  /**
   * Forgets what this process confirmed at the providers (leadership lost: another replica may
   * publish meanwhile). The next term starts from the records' status, as a new process does.
   */
  forgetConfirmed(): void {
    this.ctx.confirmed.clear();
  }

  /**
   * Puts every record's names in the claims index at once (before the workers start), so that
   * the first reconciles already know every older claim.
   */
  seedClaims(keys: RecordKey[]): void {
    seedClaims(this.ctx, keys);
  }

  /**
   * `slot`: the record's place among the workers; it is given back while the record waits for
   * its provider batch, so that a slow provider does not keep every other record queued (and
   * saying an old `Published`) behind the ones waiting.
   */
  async reconcile(key: RecordKey, slot?: Slot): Promise<ReconcileResult> {
    const cached = this.ctx.view.record(key);
    if (!cached) return this.finalizer.removeOutputs(key, true);
    if (cached.metadata.deletionTimestamp) return this.finalizer.finalize(key, cached);
    let record = cached;
    let finalizer: ReconcileResult['finalizer'];
    const withoutFinalizer = await this.finalizer.removeIfUnneeded(key, record);
    if (withoutFinalizer) {
      record = withoutFinalizer;
      finalizer = 'removed';
    }
    const live = await this.reconcileLive(key, record, slot);
    // After the status: the status is what the admin waits for, and a record deleted before its
    // finalizer is cleaned up from its key (removeOutputs) or by the workers' sweep.
    if (await this.finalizer.addIfNeeded(key, live.record)) finalizer = 'added';
    if (live.retry) throw live.retry;
    return finalizer ? { ...live.result, finalizer } : live.result;
  }

  /**
   * Brings the record's DNS outputs up to date, and only them: the providers are handed the
   * endpoints, without waiting for their batch, and/or the DNSEndpoint is written (when it
   * differs). No status, finalizer or Event: the full reconcile that follows writes those.
   * Invalid records, and records being deleted, are left to it.
   */
  async publishOutputs(key: RecordKey, outputs: { providers: boolean; dnsEndpoint: boolean } = { providers: true, dnsEndpoint: true }): Promise<void> {
    const { options } = this.ctx;
    const providers = outputs.providers && options.direct?.configured === true;
    const dnsEndpoint = outputs.dnsEndpoint && options.dnsEndpoints !== false;
    const record = this.ctx.view.record(key);
    if ((!providers && !dnsEndpoint) || !record || record.metadata.deletionTimestamp) return;
    const decision = decide(this.ctx, key, record);
    if ('invalid' in decision) return;
    if (providers) {
      // The full reconcile publishes the same endpoints again and reads the outcome there.
      options.direct?.publish(key, decision.endpoints, { only: options.dnsEndpoints === false }).catch(() => undefined);
    }
    if (dnsEndpoint) {
      await this.dnsEndpoints.write(dnsEndpointFor({ ...key, uid: record.metadata.uid }, decision.endpoints, this.group));
    }
  }

  /** The full reconcile of a live record; returns the record as last written and, after a provider failure, what to throw. */
  private async reconcileLive(key: RecordKey, record: DNSRecord, slot?: Slot): Promise<{ result: ReconcileResult; record: DNSRecord; retry?: RetryLater }> {
    const { ctx } = this;
    const { options } = ctx;
    const ref: RecordRef = { ...key, uid: record.metadata.uid };
    const k = keyOf(key);
    const decision = decide(ctx, key, record);
    if ('invalid' in decision) {
      if (decision.healthCheck) options.prober?.untrack(k);
      // What it still holds stays as published; what it may no longer hold goes (let-go.ts).
      return letGo(ctx, key, record, decision.invalid, (endpoints) => this.dnsEndpoints.write(dnsEndpointFor(ref, endpoints, this.group)));
    }
    const { members, recorded, desired, endpoints, ready, clusters, probes, claims } = decision;
    if (options.prober) {
      if (probes) options.prober.track(k, probes.targets, probes.check, recorded);
      else options.prober.untrack(k);
    }

    // The provider's batch and the DNSEndpoint write go on at the same time.
    const attempt = options.direct?.configured ? options.direct.publish(key, endpoints, { only: options.dnsEndpoints === false }) : undefined;
    let dnsEndpoint: ReconcileResult['dnsEndpoint'];
    try {
      dnsEndpoint = options.dnsEndpoints === false ? 'skipped' : await this.dnsEndpoints.write(dnsEndpointFor(ref, endpoints, this.group));
    } catch (err) {
      await attempt?.catch(() => undefined);
      throw err;
    }
    let direct: DirectOutcome | undefined;
    if (attempt) {
      slot?.release();
      try {
        record = await whilePublishing(ctx, key, record, endpoints, ready, attempt, slot);
        direct = await attempt;
      } finally {
        await slot?.reacquire();
      }
    }
    if (direct && !direct.retry) ctx.confirmed.set(k, endpoints);
    // A provider's refusal or failure is what the admin must see first; the core's own verdict
    // (which names and targets) follows it in the message.
    const verdict: Verdict = direct?.failure
      ? { ...direct.failure, message: `${direct.failure.message}; ${ready.message}` }
      : dnsEndpoint === 'conflict'
        ? { status: 'False', reason: 'DNSEndpointConflict', message: this.dnsEndpoints.conflictMessage(ref) }
        : ready;
    const targets = [...new Set(endpoints.flatMap((e) => e.targets))].sort();
    const degraded = nextDegraded({
      before: record.status as RecordStatus | undefined,
      dns: desired.dns,
      members: members.map((m) => ({ cluster: m.cluster, online: m.state === 'online' })),
      generation: record.metadata.generation,
      now: ctx.now(),
    });
    const healthStatus = withPublished(desired.health, targets);
    const published = { dns: desired.dns, domain: desired.domain, targets, ...(claims ? { claims } : {}) };
    const written = await persistStatus(ctx, key, record, verdict, published, healthStatus, degraded, desired.conditions);
    const result: ReconcileResult = { dnsEndpoint, status: written ? 'updated' : 'unchanged', verdict, clusters };
    const retry = direct?.retry ? new RetryLater(direct.failure?.message ?? 'provider failed', direct.retryAfterMs) : undefined;
    return { result, record: written ?? record, ...(retry ? { retry } : {}) };
  }
}
