// The vocabulary the planner, the ownership registry, the providers and the apply side share:
// record sets and the changes to them.

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

type ChangeAction = 'create' | 'update' | 'delete';

export interface Change {
  action: ChangeAction;
  /** create/update: the record set as it must be afterwards; delete: the record set to remove. */
  record: DnsRecord;
  /** update/delete: the record set as it was read (with its meta). */
  previous?: DnsRecord;
}


/** ExternalDNS's policies: sync (create, update, delete), upsert-only (never delete), create-only. */
export type SyncPolicy = 'sync' | 'upsert-only' | 'create-only';
export const SYNC_POLICIES: readonly SyncPolicy[] = ['sync', 'upsert-only', 'create-only'];

/** Key of one record set inside a zone. */
export function recordKey(name: string, type: string): string {
  return `${name} ${type}`;
}
