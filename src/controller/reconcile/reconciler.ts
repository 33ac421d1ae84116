// One level-triggered reconcile of one record: read the record and the member observations,
// compute the desired endpoints with the pure core, make the DNSEndpoint say exactly that,
// and tell the admin what happened through status and Events. Writes only on change.
//
// DNS first: `publishOutputs` writes only a record's DNS outputs (provider records and/or the
// DNSEndpoint), no status, finalizer or Event. When the workers take up work (a cold start, a
// new term as leader) every record is handed to the providers, then every DNSEndpoint written
// (workers.ts); the full reconciles that follow find the outputs in place and write the status.
//
// Finalizer: when a direct DNS provider is configured (the `cleanup` option), every live record
// gets CLEANUP_FINALIZER with its first full reconcile, and deleting the record first removes
// its DNS records from the providers, then releases the finalizer. While the provider cannot be
// reached the deletion waits, the Ready condition says why (reason CleanupFailed) and the queue
// retries with backoff. A record deleted before it had the finalizer (it was published by the
// DNS-first pass only) is cleaned up from its key alone: at once when its deletion is seen, and
// by the sweep of owned records without a record when the workers start. Without a provider
// mcdns keeps no finalizer (and removes one left from an earlier configuration, so that records
// can always be deleted).
import {
  RECORD_API_VERSION,
  type DNSEndpoint,
  type DNSRecord,
  type Domain,
  type Endpoint,
  type IngressDNSRecord,
  type RecordHealthStatus,
  type RecordKind,
  type ServiceDNSRecord,
} from '../../api/schema.js';
import { formatProblems, validateObject } from '../../api/validate.js';
import { desiredForIngressRecord, recordHosts } from '../../core/desired-ingress.js';
import { desiredForServiceRecord } from '../../core/desired-service.js';
import { domainOf, serviceNames } from '../../core/service-names.js';
import { healthCheckProblems } from '../../health/spec.js';
import { contestedNote, judgeClaims, lostMessage, withoutNames, type Claim } from '../../core/claims.js';
import { boundedMessage } from '../../core/verdict.js';
import type { ClaimIndex } from '../triggers/claims.js';
import type { NamePolicy } from '../host/name-policy.js';
import { dnsEndpointFor, dnsEndpointName, sameDNSEndpoint, MANAGED_BY, MANAGED_BY_LABEL, type RecordRef } from '../../core/dnsendpoint.js';
import type { ClusterObservation } from '../../core/observation.js';
import {
  canonicalStatus,
  nextStatus,
  PUBLISHING,
  publishingVerdict,
  readyCondition,
  readyTransition,
  type RecordStatus,
  type Verdict,
} from '../../core/status.js';
import { canonical } from '../../core/canonical.js';
import { recordedVerdicts, withRecorded, type HealthInput, type HealthView } from '../../core/health-input.js';
import { withHealthStatus, type ProbeTarget } from '../../core/health-status.js';
import { DEGRADED, nextDegraded, type DegradedChange } from '../../core/degraded.js';
import type { Prober } from '../../health/index.js';
import { describeError, statusCodeOf } from '../../errors.js';
import type { DirectOutcome, DirectOutputs } from '../../apply/outputs.js';
import { observeCleanup } from '../../metrics/metrics.js';
import type { Logger } from 'winston';
import { EventReason, eventRecorder, type EventRecorder } from '../events/recorder.js';
import type { Slot } from '../runtime/queue.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';
import type { HostView, HostWrites } from '../host/ports.js';

export interface ReconcileResult {
  /** conflict: a DNSEndpoint of that name exists and another controller owns it (left alone). */
  dnsEndpoint: 'created' | 'updated' | 'unchanged' | 'deleted' | 'skipped' | 'conflict';
  status: 'updated' | 'unchanged' | 'none';
  verdict?: Verdict;
  finalizer?: 'added' | 'removed';
  /**
   * The member clusters whose objects this record can use (seen in any state): the clusters
   * whose transitions and node changes can change its DNS. Empty when the record is gone.
   */
  clusters?: string[];
}

/** Held on records while a direct provider may hold DNS records for them. */
export const CLEANUP_FINALIZER = 'multiclusterdns.kubefed.io/cleanup';

export interface ReconcilerOptions {
  /** Direct DNS providers; when configured, records carry the cleanup finalizer. */
  direct?: DirectOutputs;
  /** Emit DNSEndpoints for ExternalDNS (default true; may be off when a provider is configured). */
  dnsEndpoints?: boolean;
  /** Active probes (spec.healthCheck); with it, health prunes targets (and reachability fails open). */
  prober?: Prober;
  /** Keep the last published targets of a name whose targets are all unhealthy (default true). */
  failOpen?: boolean;
  /** TTL in seconds of health-checked names without a recordTTL (--health-checked-ttl; core default 30). */
  healthCheckedTtl?: number;
  /**
   * Removes the DNS records a record owns at the direct providers (ProviderSink.deleteRecord).
   * Given: records carry CLEANUP_FINALIZER and deletion waits for this to succeed.
   */
  cleanup?: (key: RecordKey) => Promise<void>;
  /**
   * Whether the providers hold DNS records of a record (DirectOutputs.holds): a record gone
   * without the finalizer is cleaned up when this says so. Absent: never.
   */
  holds?: (key: RecordKey) => boolean;
  /** Event recorder shared with the rest of the controller (default: one on `writes`). */
  events?: EventRecorder;
  /** A changed CleanupFailed message is written to status at most this often (default 60 s). */
  cleanupStatusIntervalMs?: number;
  /**
   * A change a DNS provider has not confirmed after this long is shown as Ready=Unknown, reason
   * Publishing, until the attempt ends (default 2 s): a fast provider causes no extra write.
   */
  publishingStatusAfterMs?: number;
  /**
   * Claims of every record by DNS name (one owner per name). Given: a name held by an older
   * record leaves this record's outputs, and the record says so (reason NameConflict).
   */
  claims?: ClaimIndex;
  /** Which namespaces may publish which names (DNSNamePolicy); absent: every name is allowed. */
  namePolicy?: NamePolicy;
}

/** Thrown after the status says why, when a provider failed: the queue retries, after delayMs if given. */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs?: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/** Thrown when a deleted record's DNS records could not be removed; the queue retries it. */
export class CleanupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CleanupError';
  }
}

/** What the pure core says a record publishes. */
interface Desired {
  endpoints: Endpoint[];
  ready: Verdict;
  dns: unknown[];
  domain?: string;
  probeTargets?: ProbeTarget[];
  health?: RecordHealthStatus;
}

/** A valid record's outputs: the core's answer and what is left of it after claims and policy. */
interface Decision {
  members: ClusterObservation[];
  recorded: HealthView;
  desired: Desired;
  endpoints: Endpoint[];
  ready: Verdict;
  clusters: string[];
}

const hasFinalizer = (r: DNSRecord) => (r.metadata.finalizers ?? []).includes(CLEANUP_FINALIZER);
const withoutFinalizer = (r: DNSRecord) => (r.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);

export class Reconciler {
  private readonly events: EventRecorder;
  /** DNSEndpoints of our names controlled by someone else, with who ("Kind name"). */
  private readonly conflicts = new Map<string, string>();
  /** When a CleanupFailed status was last written, per record key. */
  private readonly cleanupStatusAt = new Map<string, number>();
  /** What the providers last accepted per record: fail-open's memory when there is no DNSEndpoint. */
  private readonly lastPublished = new Map<string, Endpoint[]>();

  constructor(
    private readonly view: HostView,
    private readonly writes: HostWrites,
    private readonly group: string,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
    private options: ReconcilerOptions = {},
  ) {
    this.events = options.events ?? eventRecorder(writes, log);
    if (options.direct?.configured && !options.cleanup) {
      const direct = options.direct;
      this.options = { ...options, cleanup: (key) => direct.cleanup(key), holds: (key) => direct.holds(key) };
    }
  }

  /**
   * Forgets what this process confirmed at the providers (leadership lost: another replica may
   * publish meanwhile). The next term starts from the records' status, as a new process does.
   */
  forgetPublished(): void {
    this.lastPublished.clear();
  }

  /**
   * `slot`: the record's place among the workers; it is given back while the record waits for
   * its provider batch, so that a slow provider does not keep every other record queued (and
   * saying an old `Published`) behind the ones waiting.
   */
  async reconcile(key: RecordKey, slot?: Slot): Promise<ReconcileResult> {
    const cached = this.view.record(key);
    if (!cached) return this.forget(key, true);
    if (cached.metadata.deletionTimestamp) return this.finalize(key, cached);
    let record = cached;
    let finalizer: ReconcileResult['finalizer'];
    if (!this.options.cleanup && hasFinalizer(record)) {
      record = await this.writes.updateFinalizers(key.kind, record, withoutFinalizer(record));
      finalizer = 'removed';
      this.log.info('removed the cleanup finalizer: no direct DNS provider is configured', { record: keyOf(key) });
    }
    const published = await this.publish(key, record, slot);
    // After the status: the status is what the admin waits for, and a record deleted before its
    // finalizer is cleaned up from its key (forget) or by the workers' sweep.
    if (this.options.cleanup && !hasFinalizer(published.record)) {
      await this.writes.updateFinalizers(key.kind, published.record, [...(published.record.metadata.finalizers ?? []), CLEANUP_FINALIZER]);
      finalizer = 'added';
    }
    if (published.retry) throw published.retry;
    return finalizer ? { ...published.result, finalizer } : published.result;
  }

  /**
   * Brings the record's DNS outputs up to date, and only them: the providers are handed the
   * endpoints, without waiting for their batch, and/or the DNSEndpoint is written (when it
   * differs). No status, finalizer or Event: the full reconcile that follows writes those.
   * Invalid records, and records being deleted, are left to it.
   */
  async publishOutputs(key: RecordKey, outputs: { providers: boolean; dnsEndpoint: boolean } = { providers: true, dnsEndpoint: true }): Promise<void> {
    const providers = outputs.providers && this.options.direct?.configured === true;
    const dnsEndpoint = outputs.dnsEndpoint && this.options.dnsEndpoints !== false;
    const record = this.view.record(key);
    if ((!providers && !dnsEndpoint) || !record || record.metadata.deletionTimestamp) return;
    const decision = this.decide(key, record);
    if ('invalid' in decision) return;
    if (providers) {
      // The full reconcile publishes the same endpoints again and reads the outcome there.
      this.options.direct?.publish(key, decision.endpoints, { only: this.options.dnsEndpoints === false }).catch(() => undefined);
    }
    if (dnsEndpoint) {
      await this.writeDNSEndpoint(dnsEndpointFor({ ...key, uid: record.metadata.uid }, decision.endpoints, this.group));
    }
  }

  /**
   * What the record publishes now, from the caches through the pure core, after the names it
   * may not hold are dropped (claims, DNSNamePolicies); or the verdict on its invalid spec.
   */
  private decide(key: RecordKey, record: DNSRecord): Decision | { invalid: Verdict; healthCheck?: true } {
    // Items of a list answer carry no apiVersion/kind: the key says what the record is.
    const problems = validateObject({ ...record, apiVersion: RECORD_API_VERSION, kind: key.kind });
    let domain: Domain | undefined;
    if (problems.length === 0 && key.kind === 'ServiceDNSRecord') {
      const domainRef = (record as ServiceDNSRecord).spec.domainRef;
      domain = this.view.domain(key.namespace, domainRef);
      if (!domain) {
        const where = this.view.domainNamespaces(key.namespace).join(', ');
        problems.push({ path: 'spec.domainRef', message: `Domain "${domainRef}" not found in namespace(s) ${where}` });
      }
    }
    if (problems.length > 0) return { invalid: { status: 'False', reason: 'InvalidSpec', message: formatProblems(problems) } };

    const members = this.view.members(key, key.kind === 'IngressDNSRecord' ? recordHosts(record as IngressDNSRecord) : []);
    const recorded = recordedVerdicts((record.status as { health?: RecordHealthStatus } | undefined)?.health);
    const health = this.healthInput(key, record, recorded);
    const desired: Desired =
      key.kind === 'IngressDNSRecord'
        ? desiredForIngressRecord(record as IngressDNSRecord, members, health)
        : desiredForServiceRecord(record as ServiceDNSRecord, domain as Domain, members, health);
    const check = record.spec.healthCheck;
    const checkProblems = check ? healthCheckProblems(check, ownNames(record, domain, desired.endpoints)) : [];
    if (checkProblems.length > 0) return { invalid: { status: 'False', reason: 'InvalidSpec', message: formatProblems(checkProblems) }, healthCheck: true };
    // One owner per name: names an older record holds leave every output of this one.
    const { endpoints, ready } = this.claim(key, record, domain, desired.endpoints, desired.ready);
    const clusters = members.filter((m) => m.ingresses.length > 0 || m.services.length > 0).map((m) => m.cluster);
    return { members, recorded, desired, endpoints, ready, clusters };
  }

  /** The full reconcile of a live record; returns the record as last written and, after a provider failure, what to throw. */
  private async publish(key: RecordKey, record: DNSRecord, slot?: Slot): Promise<{ result: ReconcileResult; record: DNSRecord; retry?: RetryLater }> {
    const ref: RecordRef = { ...key, uid: record.metadata.uid };
    const k = keyOf(key);
    const decision = this.decide(key, record);
    if ('invalid' in decision) {
      if (decision.healthCheck) this.options.prober?.untrack(k);
      // Nothing already published is touched: the DNSEndpoint keeps its last good content.
      const written = await this.persistStatus(key, record, decision.invalid, {});
      const result: ReconcileResult = { dnsEndpoint: 'skipped', status: written ? 'updated' : 'unchanged', verdict: decision.invalid };
      return { result, record: written ?? record };
    }
    const { members, recorded, desired, endpoints, ready, clusters } = decision;
    const check = record.spec.healthCheck;
    if (this.options.prober) {
      if (check) this.options.prober.track(k, desired.probeTargets ?? [], check, recorded);
      else this.options.prober.untrack(k);
    }

    // The provider's batch and the DNSEndpoint write go on at the same time.
    const attempt = this.options.direct?.configured ? this.options.direct.publish(key, endpoints, { only: this.options.dnsEndpoints === false }) : undefined;
    let dnsEndpoint: ReconcileResult['dnsEndpoint'];
    try {
      dnsEndpoint = this.options.dnsEndpoints === false ? 'skipped' : await this.writeDNSEndpoint(dnsEndpointFor(ref, endpoints, this.group));
    } catch (err) {
      await attempt?.catch(() => undefined);
      throw err;
    }
    let direct: DirectOutcome | undefined;
    if (attempt) {
      slot?.release();
      try {
        record = await this.whilePublishing(key, record, endpoints, ready, attempt, slot);
        direct = await attempt;
      } finally {
        await slot?.reacquire();
      }
    }
    if (direct && !direct.retry) this.lastPublished.set(k, endpoints);
    // A provider's refusal or failure is what the admin must see first; the core's own verdict
    // (which names and targets) follows it in the message.
    const verdict: Verdict = direct?.failure
      ? { ...direct.failure, message: `${direct.failure.message}; ${ready.message}` }
      : dnsEndpoint === 'conflict'
        ? { status: 'False', reason: 'DNSEndpointConflict', message: this.conflictMessage(ref) }
        : ready;
    const targets = [...new Set(endpoints.flatMap((e) => e.targets))].sort();
    const degraded = nextDegraded({
      before: record.status as RecordStatus | undefined,
      dns: desired.dns,
      members: members.map((m) => ({ cluster: m.cluster, online: m.state === 'online' })),
      generation: record.metadata.generation,
      now: this.now(),
    });
    const healthStatus = withPublished(desired.health, targets);
    const written = await this.persistStatus(key, record, verdict, { dns: desired.dns, domain: desired.domain, targets }, healthStatus, degraded);
    const result: ReconcileResult = { dnsEndpoint, status: written ? 'updated' : 'unchanged', verdict, clusters };
    const retry = direct?.retry ? new RetryLater(direct.failure?.message ?? 'provider failed', direct.retryAfterMs) : undefined;
    return { result, record: written ?? record, ...(retry ? { retry } : {}) };
  }

  /**
   * Keeps only the names this record may publish and holds. A name outside the admin's
   * DNSNamePolicies is dropped (Ready=False NameNotAllowed) and claims nothing; the others are
   * stated in the claims index, and a name an older record holds is dropped too (Ready=False
   * NameConflict naming the holder). The record's other names still publish; a holder of a
   * contested name hears who else claims it.
   */
  private claim(key: RecordKey, record: DNSRecord, domain: Domain | undefined, endpoints: Endpoint[], ready: Verdict): { endpoints: Endpoint[]; ready: Verdict } {
    const index = this.options.claims;
    let names = ownNames(record, domain, endpoints);
    const decision = this.options.namePolicy?.decide(key.namespace, names);
    const denied = decision?.denied ?? [];
    if (decision) names = decision.allowed;
    const self = claimOf(key, record);
    index?.set(self, names);
    const verdict = index ? judgeClaims(self, names, (n) => index.claimsOn(n)) : { lost: [], contested: [] };
    const dropped = [...denied.map((d) => d.name), ...verdict.lost.map((l) => l.name)];
    const kept = withoutNames(endpoints, dropped);
    if (dropped.length > 0) {
      const problems = [...denied.map((d) => d.why), ...(verdict.lost.length > 0 ? [lostMessage(verdict.lost)] : [])];
      const rest = kept.length > 0 ? [`other names: ${recount(ready.message, kept)}`] : [];
      const reason = denied.length > 0 ? 'NameNotAllowed' : 'NameConflict';
      return { endpoints: kept, ready: { status: 'False', reason, message: boundedMessage([...problems, ...rest]) } };
    }
    if (verdict.contested.length > 0) return { endpoints, ready: { ...ready, message: boundedMessage([ready.message, ...contestedNote(verdict.contested)]) } };
    return { endpoints, ready };
  }

  /**
   * Puts every record's names in the claims index at once (before the workers start), so that
   * the first reconciles already know every older claim.
   */
  seedClaims(keys: RecordKey[]): void {
    const index = this.options.claims;
    if (!index) return;
    for (const key of keys) {
      const record = this.view.record(key);
      if (!record || record.metadata.deletionTimestamp) continue;
      if (validateObject({ ...record, apiVersion: RECORD_API_VERSION, kind: key.kind }).length > 0) continue;
      const domain = key.kind === 'ServiceDNSRecord' ? this.view.domain(key.namespace, (record as ServiceDNSRecord).spec.domainRef) : undefined;
      if (key.kind === 'ServiceDNSRecord' && !domain) continue;
      const names = ownNames(record, domain, []);
      index.set(claimOf(key, record), this.options.namePolicy?.decide(key.namespace, names).allowed ?? names);
    }
  }

  /**
   * Waits up to publishingStatusAfterMs for the provider's attempt; if it is still running and
   * the endpoints differ from what was last confirmed, writes Ready=Unknown/Publishing so the
   * record does not go on saying `Published` while DNS is stale. Returns the record as written
   * (its new resourceVersion carries the final status write). Never throws: the attempt's own
   * outcome decides what the record says next.
   */
  private async whilePublishing(
    key: RecordKey,
    record: DNSRecord,
    endpoints: Endpoint[],
    ready: Verdict,
    attempt: Promise<DirectOutcome>,
    slot?: Slot,
  ): Promise<DNSRecord> {
    if (!this.unconfirmed(key, record, endpoints)) return record;
    let timer: NodeJS.Timeout | undefined;
    const slow = await Promise.race([
      attempt.then(() => false, () => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.options.publishingStatusAfterMs ?? 2_000))),
    ]);
    clearTimeout(timer);
    if (!slow) return record;
    await slot?.reacquire();
    try {
      const written = await this.persistStatus(key, record, publishingVerdict(this.now(), ready.message), {});
      return written ?? record;
    } catch (err) {
      this.log.warn('could not write the Publishing status', { record: keyOf(key), error: describeError(err) });
      return record;
    } finally {
      slot?.release();
    }
  }

  /** Whether these endpoints are not yet known to be at the providers (this process's last confirmed, else status). */
  private unconfirmed(key: RecordKey, record: DNSRecord, endpoints: Endpoint[]): boolean {
    const confirmed = this.lastPublished.get(keyOf(key));
    if (confirmed) return canonical(confirmed) !== canonical(endpoints);
    // A new process: the status of the last confirmed attempt says what is there.
    const status = record.status as RecordStatus | undefined;
    const targets = [...new Set(endpoints.flatMap((e) => e.targets))].sort();
    return readyCondition(status)?.status !== 'True' || canonical(status?.targets ?? []) !== canonical(targets);
  }

  /**
   * The health input of the pure core: probe verdicts, and what is published now (fail-open's
   * memory). Both start from what the record recorded, so a restarted or newly elected
   * controller neither brings back a target its predecessor pruned (the prober starts from the
   * recorded verdicts, and an unhealthy one needs successThreshold passes) nor forgets the set
   * fail-open keeps (status.targets, when there is no DNSEndpoint to read it from).
   */
  private healthInput(key: RecordKey, record: DNSRecord, recorded: HealthView): HealthInput | undefined {
    if (!this.options.prober) return undefined;
    const live = this.options.dnsEndpoints === false ? undefined : this.view.dnsEndpoint(key.namespace, dnsEndpointName(key.kind, key.name));
    const recordedTargets = (record.status as RecordStatus | undefined)?.targets;
    return {
      probes: record.spec.healthCheck
        ? withRecorded(this.options.prober.health(keyOf(key), record.spec.healthCheck), recorded)
        : this.options.prober.health(keyOf(key), record.spec.healthCheck),
      failOpen: this.options.failOpen ?? true,
      ...(this.options.healthCheckedTtl === undefined ? {} : { healthCheckedTtl: this.options.healthCheckedTtl }),
      published: live?.spec.endpoints ?? this.lastPublished.get(keyOf(key)) ?? [],
      ...(live === undefined && !this.lastPublished.has(keyOf(key)) && recordedTargets ? { recordedTargets } : {}),
    };
  }

  /**
   * A record being deleted: its DNSEndpoint goes at once; with the finalizer, its DNS records at
   * the providers go next, and only then the finalizer.
   */
  private async finalize(key: RecordKey, record: DNSRecord): Promise<ReconcileResult> {
    if (!hasFinalizer(record)) return this.forget(key, true);
    const result = await this.forget(key, false);
    const k = keyOf(key);
    if (this.options.cleanup) {
      try {
        await this.options.cleanup(key);
        observeCleanup(true);
      } catch (err) {
        observeCleanup(false);
        const message = `deletion waits until the record's DNS records are removed from the DNS provider: ${describeError(err)} (retrying with backoff)`;
        this.log.warn('could not remove DNS records of a deleted record, will retry', { record: k, error: describeError(err) });
        await this.reportCleanupFailure(key, record, message);
        throw new CleanupError(message);
      }
    } else {
      this.log.warn('releasing the cleanup finalizer without cleanup: no direct DNS provider is configured', { record: k });
    }
    await this.writes.updateFinalizers(key.kind, record, withoutFinalizer(record));
    this.cleanupStatusAt.delete(k);
    this.log.info('released the cleanup finalizer of a deleted record', { record: k });
    if (this.options.cleanup) {
      await this.events.record({ ...key, uid: record.metadata.uid }, 'Normal', EventReason.CleanedUp, 'DNS records removed from the DNS provider; finalizer released');
    }
    return { ...result, finalizer: 'removed' };
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
    const now = this.now().getTime();
    const interval = this.options.cleanupStatusIntervalMs ?? 60_000;
    const transition = previous?.reason !== EventReason.CleanupFailed;
    if (!transition && (previous?.message === message || now - (this.cleanupStatusAt.get(k) ?? 0) < interval)) return;
    const verdict: Verdict = { status: 'False', reason: EventReason.CleanupFailed, message };
    try {
      await this.writeStatus(key, record, verdict, {});
      this.cleanupStatusAt.set(k, now);
    } catch (err) {
      this.log.warn('could not write the CleanupFailed status', { record: k, error: describeError(err) });
    }
  }

  /**
   * A record that is gone (or going without our finalizer): its DNSEndpoint goes, and with
   * `providers`, whatever the providers hold for it, so that a record deleted before its first
   * full reconcile leaves nothing behind. A failed removal throws, and the queue retries the key.
   */
  private async forget(key: RecordKey, providers: boolean): Promise<ReconcileResult> {
    this.options.prober?.untrack(keyOf(key));
    this.options.claims?.release(keyOf(key));
    this.lastPublished.delete(keyOf(key));
    if (providers && this.options.cleanup && this.options.holds?.(key)) {
      try {
        await this.options.cleanup(key);
        observeCleanup(true);
        this.log.info('removed the DNS records of a deleted record', { record: keyOf(key) });
      } catch (err) {
        observeCleanup(false);
        this.log.warn('could not remove DNS records of a deleted record, will retry', { record: keyOf(key), error: describeError(err) });
        throw new CleanupError(`could not remove the DNS records of deleted record ${keyOf(key)}: ${describeError(err)}`);
      }
    }
    // The garbage collector removes DNSEndpoints by ownerReference; doing it here too covers
    // clusters without one and makes a deletion reach ExternalDNS without waiting for it.
    const name = dnsEndpointName(key.kind, key.name);
    const live = this.view.dnsEndpoint(key.namespace, name);
    if (!live || live.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) return { dnsEndpoint: 'unchanged', status: 'none' };
    await this.writes.deleteDNSEndpoint(key.namespace, name);
    this.log.info('deleted DNSEndpoint of a deleted record', { record: keyOf(key), dnsEndpoint: name });
    return { dnsEndpoint: 'deleted', status: 'none' };
  }

  private conflictMessage(ref: RecordRef): string {
    const name = dnsEndpointName(ref.kind, ref.name);
    const owner = this.conflicts.get(`${ref.namespace}/${name}`) ?? 'another controller';
    return `DNSEndpoint ${ref.namespace}/${name} already exists and is controlled by ${owner}: mcdns leaves it alone (delete it, or rename the record)`;
  }

  private async writeDNSEndpoint(desired: DNSEndpoint): Promise<ReconcileResult['dnsEndpoint']> {
    const { namespace, name } = desired.metadata as { namespace: string; name: string };
    const live = this.view.dnsEndpoint(namespace, name);
    if (!live) {
      try {
        await this.writes.createDNSEndpoint(desired);
        return 'created';
      } catch (err) {
        // Not in our cache (which holds only DNSEndpoints labelled as ours) yet it exists: one
        // KubeFed wrote, or one our cache has not seen yet.
        if (statusCodeOf(err) !== 409) throw err;
        return this.adoptDNSEndpoint(desired);
      }
    }
    if (sameDNSEndpoint(live, desired)) return 'unchanged';
    const labels = { ...live.metadata.labels, ...desired.metadata.labels };
    const next = { ...desired, metadata: { ...live.metadata, labels, ownerReferences: desired.metadata.ownerReferences } };
    await this.writes.replaceDNSEndpoint(next);
    return 'updated';
  }

  /**
   * Takes over a DNSEndpoint of our name that our cache does not hold: KubeFed's (no labels, no
   * ownerReference) or one already ours. One controlled by anything but this record is left alone.
   */
  private async adoptDNSEndpoint(desired: DNSEndpoint): Promise<ReconcileResult['dnsEndpoint']> {
    const { namespace, name } = desired.metadata as { namespace: string; name: string };
    const existing = await this.writes.readDNSEndpoint(namespace, name);
    if (!existing) throw new Error(`DNSEndpoint ${namespace}/${name} was reported to exist but is gone: retrying`);
    const ours = desired.metadata.ownerReferences?.[0];
    const controller = existing.metadata.ownerReferences?.find((o) => o.controller);
    if (controller && controller.uid !== ours?.uid) {
      this.conflicts.set(`${namespace}/${name}`, `${controller.kind} ${controller.name}`);
      this.log.warn('DNSEndpoint of this name is controlled by someone else, leaving it alone', { dnsEndpoint: `${namespace}/${name}`, controller: `${controller.kind}/${controller.name}` });
      return 'conflict';
    }
    this.conflicts.delete(`${namespace}/${name}`);
    if (sameDNSEndpoint(existing, desired)) return 'unchanged';
    const others = (existing.metadata.ownerReferences ?? []).filter((o) => !o.controller);
    const labels = { ...existing.metadata.labels, ...desired.metadata.labels };
    await this.writes.replaceDNSEndpoint({
      ...desired,
      metadata: { ...existing.metadata, labels, ownerReferences: [...others, ...(desired.metadata.ownerReferences ?? [])] },
    });
    this.log.info('adopted an existing DNSEndpoint', { dnsEndpoint: `${namespace}/${name}`, previousLabels: existing.metadata.labels ?? {} });
    return 'updated';
  }

  /** persistStatus, reported as a ReconcileResult's status. */
  private async writeStatus(...args: Parameters<Reconciler['persistStatus']>): Promise<ReconcileResult['status']> {
    return (await this.persistStatus(...args)) ? 'updated' : 'unchanged';
  }

  /** Writes the status a verdict gives, if it changes anything; returns the record as written, else undefined. */
  private async persistStatus(
    key: RecordKey,
    record: DNSRecord,
    verdict: Verdict,
    published: { dns?: unknown[]; domain?: string; targets?: string[] },
    health?: RecordHealthStatus,
    degraded?: DegradedChange,
  ): Promise<DNSRecord | undefined> {
    const before = record.status as (RecordStatus & { health?: RecordHealthStatus }) | undefined;
    // status.health only on records that ask for health checks.
    const next = nextStatus(before, verdict, record.metadata.generation, published, this.now());
    const after = record.spec?.healthCheck ? withHealthStatus(next, health, before) : next;
    if (degraded) after.conditions = [...(after.conditions ?? []).filter((c) => c.type !== DEGRADED), degraded.condition];
    if (canonicalStatus(before) === canonicalStatus(after)) return undefined;
    const updated = { ...record, status: after } as DNSRecord;
    const written = await this.writes.replaceStatus(key.kind, updated);
    const ref: RecordRef = { ...key, uid: record.metadata.uid };
    // A first publish is routine (status says it; thousands of records start at once): Events
    // are for what an admin should notice, a record going not-Ready or coming back. Publishing
    // is transient, and so is its end in Published.
    const previous = readyCondition(before);
    const routine =
      verdict.reason === PUBLISHING ||
      ((!previous || previous.reason === PUBLISHING) && verdict.status === 'True' && verdict.reason === EventReason.Published);
    if (readyTransition(before, after) && !routine) {
      await this.events.record(ref, verdict.status === 'True' ? 'Normal' : 'Warning', verdict.reason, verdict.message);
    }
    if (degraded?.event) await this.events.record(ref, degraded.event.type, degraded.event.reason, degraded.event.message);
    this.log.info('status updated', { record: keyOf(key), ready: verdict.status, reason: verdict.reason, message: verdict.message });
    return written ?? updated;
  }
}

/** The names a record publishes or may publish: its probes may present only these as Host / SNI. */
function ownNames(record: DNSRecord, domain: Domain | undefined, endpoints: Endpoint[]): string[] {
  const names = new Set(endpoints.map((e) => e.dnsName.toLowerCase().replace(/\.$/, '')));
  if ('hosts' in record.spec) for (const h of recordHosts(record as IngressDNSRecord)) names.add(h);
  if (domain) {
    const service = serviceNames(record as ServiceDNSRecord, domainOf(domain));
    names.add(service.global);
    if (service.alias) names.add(service.alias);
  }
  return [...names].sort();
}

function claimOf(key: RecordKey, record: DNSRecord): Claim {
  const createdAt = record.metadata.creationTimestamp;
  return { record: keyOf(key), kind: key.kind, namespace: key.namespace, name: key.name, ...(createdAt ? { createdAt: String(createdAt) } : {}) };
}

/** status.health with `published` as it really is once names were dropped (claims, policy). */
function withPublished(health: RecordHealthStatus | undefined, published: string[]): RecordHealthStatus | undefined {
  if (!health?.targets) return health;
  const set = new Set(published);
  return { ...health, targets: health.targets.map((t) => ({ ...t, published: t.published && set.has(t.target) })) };
}

/** The core's "published N names, M targets" head, counted again over what is still published. */
function recount(message: string, kept: Endpoint[]): string {
  const names = new Set(kept.map((e) => e.dnsName)).size;
  const targets = new Set(kept.flatMap((e) => e.targets)).size;
  const n = (k: number, noun: string) => `${k} ${noun}${k === 1 ? '' : 's'}`;
  return message.replace(/^published \d+ names?, \d+ targets?/, `published ${n(names, 'name')}, ${n(targets, 'target')}`);
}
