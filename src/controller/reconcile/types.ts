// What the reconcile modules share: what a reconcile returns, the Reconciler's options, the
// errors the queue reads, and the context every part of one Reconciler works in. A file of its
// own so that decide, dnsendpoint, status, finalizer and the Reconciler import it and not each
// other.
import type { Endpoint } from '../../api/schema.js';
import type { Verdict } from '../../core/status.js';
import type { RecordKey } from '../../core/record-key.js';
import type { Prober } from '../../health/index.js';
import type { DirectOutputs } from '../../apply/outputs.js';
import type { Logger } from 'winston';
import type { EventRecorder } from '../events/recorder.js';
import type { ClaimIndex } from '../triggers/claims.js';
import type { NamePolicy } from '../host/name-policy.js';
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

/** What one Reconciler's parts share: the host, the options, and what the providers confirmed. */
export interface ReconcileContext {
  readonly view: HostView;
  readonly writes: HostWrites;
  readonly log: Logger;
  readonly now: () => Date;
  readonly options: ReconcilerOptions;
  readonly events: EventRecorder;
  /**
   * What the providers last accepted per record key: fail-open's memory when there is no
   * DNSEndpoint, and what a change is compared with before it is shown as Publishing.
   */
  readonly confirmed: Map<string, Endpoint[]>;
}
