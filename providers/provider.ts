// The small interface every direct DNS provider implements (providers/<name>/).
//
// A provider only lists the record sets of a zone and applies a batch of changes to one zone.
// Ownership, policies and planning live above it (src/plan, src/apply), so a
// provider stays a thin adapter and adding one touches no other.
import type { Change, DnsRecord } from '../src/plan/records.js';

/** What the caller of apply() hears about or decides during it. */
export interface ApplyHooks {
  /**
   * Called immediately before each write request (each PATCH, etcd transaction, Azure call);
   * throws to refuse it (the controller's leader gate). A provider lets the error through as is.
   */
  beforeWrite?: () => void;
}

export interface Provider {
  /** Short provider name for logs and messages: powerdns, azure, coredns-etcd. */
  readonly name: string;
  /** The zones this provider can write (names lower case, no trailing dot). */
  zones(): Promise<string[]>;
  /** Every record set of one zone, ownership TXTs included. Throws when it cannot read. */
  records(zone: string): Promise<DnsRecord[]>;
  /**
   * Applies a batch of changes to one zone, in as few requests as the provider allows. The
   * changes come ordered (ownership TXTs written first, record sets deleted, written, TXTs
   * deleted last): a provider that needs several requests keeps that order across them.
   * Resolves only when every change is in place; throws (a ProviderError where the cause is
   * known) on any failure, partial ones included, so a failed batch is never reported as applied.
   */
  apply(zone: string, changes: Change[], hooks?: ApplyHooks): Promise<void>;
  /** Most targets one record set of this type may hold at this provider, if limited. */
  maxTargets?(type: string): number | undefined;
  /** Releases connections (etcd). */
  close?(): Promise<void>;
  /**
   * The provider answers a name with every record stored below it too (CoreDNS's etcd plugin):
   * writing a name then changes the answer of each name above it, so those must not belong to
   * someone else.
   */
  readonly answersSubtree?: boolean;
}
