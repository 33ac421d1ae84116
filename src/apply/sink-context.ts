// What every part of the provider sink shares (src/apply/sink.ts builds it once per provider):
// the options it was made with, its logger and clock, the counters behind stats(), and whether
// it was closed. Also the sink's public option and result types, which the parts use too.
import type { Logger } from 'winston';
import type { DomainFilter } from '../plan/names.js';
import type { OwnershipConfig } from '../plan/ownership.js';
import type { SyncPolicy } from '../plan/records.js';
import type { ProviderErrorKind } from '../../providers/errors.js';
import type { Provider } from '../../providers/provider.js';
import type { RetryOptions } from './retry.js';

export interface ProviderSinkOptions {
  provider: Provider;
  ownership: OwnershipConfig;
  policy: SyncPolicy;
  domainFilter?: DomainFilter;
  /** TTL for endpoints without one (default 300). */
  defaultTtl?: number;
  retry?: RetryOptions;
  /** Longest wait for one provider call before it counts as a timeout (default 30 s). */
  callTimeoutMs?: number;
  /** How long the provider's zone list is reused (default 60 s); zones rarely come and go. */
  zoneListTtlMs?: number;
  /**
   * Longest a change waits for others to share its batch (default 50 ms), when others are
   * about to come (`othersWaiting`); a change alone goes at once.
   */
  batchWindowMs?: number;
  /**
   * Whether more publications are about to come (the controller's queue holds records not
   * taken up yet): a change that meets an idle zone then waits for them, within batchWindowMs.
   */
  othersWaiting?: () => boolean;
  /**
   * Most records planned into one batch (default 500): a cold start queues thousands at once,
   * and one request must stay far below the provider's body limit (PowerDNS: 2 MB by default).
   */
  maxBatchRecords?: number;
  /** How often every zone is read again to find and repair drift (default 60 s; 0 = never). */
  driftIntervalMs?: number;
  /**
   * Called immediately before each write request; throws to refuse it (the controller's leader
   * gate). A refusal rejects the publications of that batch with the thrown error.
   */
  beforeWrite?: () => void;
  /**
   * The resource (`<kind>/<ns>/<name>`) the claims give a name to: a name handed from one record
   * to another is taken over in one write, never deleted in between (src/plan/plan.ts).
   */
  holder?: (name: string) => string | undefined;
  log?: Logger;
  now?: () => number;
  /**
   * Hears every provider call (each try of it), for metrics: wire it to src/metrics/metrics.ts
   * `observeProviderCall(provider.name, operation, ok, seconds)`.
   */
  onCall?: (operation: ProviderOperation, ok: boolean, seconds: number) => void;
  /** Hears every batch sent (its number of changes) and every zone read (why), for metrics. */
  onBatch?: (zone: string, changes: number) => void;
  onZoneRead?: (zone: string, reason: ZoneReadReason) => void;
}

export type ProviderOperation = 'zones' | 'records' | 'apply';
export type ZoneReadReason = 'start' | 'drift' | 'after-failure';

export interface ZoneError {
  zone: string;
  message: string;
  kind?: ProviderErrorKind;
  /** When the provider asked to wait longer than the sink retries for: re-queue after this. */
  retryAfterMs?: number;
}

export interface SinkStats {
  zoneReads: number;
  batches: number;
  changes: number;
  retries: number;
  failedBatches: number;
}

/** The state of one provider sink that its parts read and update. */
export interface SinkContext {
  readonly opts: ProviderSinkOptions;
  readonly provider: Provider;
  /** Already a child logger naming the provider. */
  readonly log: Logger;
  readonly now: () => number;
  readonly counters: SinkStats;
  /** Set by close(): no new publication, batch timer or drift check starts after it. */
  closed: boolean;
}
