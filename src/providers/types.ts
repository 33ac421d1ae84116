// The small interface every direct DNS provider implements (providers/<name>/), and the
// vocabulary the planner, the ownership registry and the sink share.
//
// A provider only lists the record sets of a zone and applies a batch of changes to one zone.
// Ownership, policies and planning live above it (src/providers/plan.ts), so a provider stays
// a thin adapter and adding one touches no other.

/** One record set: every target of one name and type. */
export interface DnsRecord {
  /** FQDN, lower case, no trailing dot. */
  name: string;
  /** Upper-case record type: A, AAAA, CNAME, TXT, ... */
  type: string;
  ttl: number;
  /**
   * Targets in the provider-neutral form ExternalDNS uses: IPs as text, host names lower case
   * without a trailing dot, TXT data as one string (an ownership TXT keeps its surrounding
   * quotes, `"heritage=external-dns,..."`, exactly as ExternalDNS writes it).
   */
  targets: string[];
  /**
   * Provider bookkeeping read with the record and handed back in `Change.previous` (e.g. Azure's
   * etag for If-Match). The planner never looks at it.
   */
  meta?: Readonly<Record<string, string>>;
}

export type ChangeAction = 'create' | 'update' | 'delete';

export interface Change {
  action: ChangeAction;
  /** create/update: the record set as it must be afterwards; delete: the record set to remove. */
  record: DnsRecord;
  /** update/delete: the record set as it was read (with its meta). */
  previous?: DnsRecord;
}

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

/** ExternalDNS's policies: sync (create, update, delete), upsert-only (never delete), create-only. */
export type Policy = 'sync' | 'upsert-only' | 'create-only';
export const POLICIES: readonly Policy[] = ['sync', 'upsert-only', 'create-only'];

/** Key of one record set inside a zone. */
export function recordKey(name: string, type: string): string {
  return `${name} ${type}`;
}
