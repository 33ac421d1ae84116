// The small interface every direct DNS provider implements (providers/<name>/).
//
// A provider only lists the record sets of a zone and applies a batch of changes to one zone.
// Ownership, policies and planning live above it (src/plan, src/registry, src/apply), so a
// provider stays a thin adapter and adding one touches no other.
import type { Change, DnsRecord } from '../src/plan/records.js';

export interface Provider {
  /** Short provider name for logs and messages: powerdns, azure, coredns-etcd. */
  readonly name: string;
  /** The zones this provider can write (names lower case, no trailing dot). */
  zones(): Promise<string[]>;
  /** Every record set of one zone, ownership TXTs included. Throws when it cannot read. */
  records(zone: string): Promise<DnsRecord[]>;
  /**
   * Applies a batch of changes to one zone. Resolves only when every change is in place;
   * throws (a ProviderError where the cause is known) on any failure, partial ones included,
   * so a failed batch is never reported as applied.
   */
  apply(zone: string, changes: Change[]): Promise<void>;
  /** Most targets one record set of this type may hold at this provider, if limited. */
  maxTargets?(type: string): number | undefined;
  /** Releases connections (etcd). */
  close?(): Promise<void>;
}
