// Reverse indexes over the records, kept per host watch event, so that a change finds the
// records it can affect without scanning them all: IngressDNSRecords by host (which records an
// Ingress listing that host can serve) and ServiceDNSRecords by the Domain they name.
import type { DNSRecord, IngressDNSRecord, RecordKind, ServiceDNSRecord } from '../api/schema.js';
import { recordHosts } from '../core/desired.js';
import { keyOf, type RecordKey } from './reconcile.js';

function addTo(index: Map<string, Map<string, RecordKey>>, k: string, key: RecordKey): void {
  let m = index.get(k);
  if (!m) index.set(k, (m = new Map()));
  m.set(keyOf(key), key);
}

function removeFrom(index: Map<string, Map<string, RecordKey>>, k: string, key: RecordKey): void {
  const m = index.get(k);
  m?.delete(keyOf(key));
  if (m?.size === 0) index.delete(k);
}

export class RecordIndex {
  /** Normalised host → IngressDNSRecords listing it. */
  private readonly byHost = new Map<string, Map<string, RecordKey>>();
  /** Domain name → ServiceDNSRecords whose spec.domainRef names it. */
  private readonly byDomain = new Map<string, Map<string, RecordKey>>();
  /** What each record was indexed under, to unindex it when it changes. */
  private readonly indexedAs = new Map<string, string[]>();

  /** Indexes a record as it is now (undefined: deleted). */
  set(kind: RecordKind, namespace: string, name: string, record: DNSRecord | undefined): void {
    const key: RecordKey = { kind, namespace, name };
    const k = keyOf(key);
    const index = kind === 'IngressDNSRecord' ? this.byHost : this.byDomain;
    for (const old of this.indexedAs.get(k) ?? []) removeFrom(index, old, key);
    this.indexedAs.delete(k);
    if (!record) return;
    const under =
      kind === 'IngressDNSRecord'
        ? safeHosts(record as IngressDNSRecord)
        : typeof (record as ServiceDNSRecord).spec?.domainRef === 'string'
          ? [(record as ServiceDNSRecord).spec.domainRef]
          : [];
    for (const u of under) addTo(index, u, key);
    if (under.length > 0) this.indexedAs.set(k, under);
  }

  /** IngressDNSRecords of `namespace` listing one of the (normalised) hosts. */
  ingressRecordsForHosts(namespace: string, hosts: readonly string[]): RecordKey[] {
    const out = new Map<string, RecordKey>();
    for (const h of hosts) for (const [k, key] of this.byHost.get(h) ?? []) if (key.namespace === namespace) out.set(k, key);
    return [...out.values()];
  }

  /** ServiceDNSRecords naming Domain `name`, in `namespaces` (undefined: any namespace). */
  serviceRecordsForDomain(name: string, namespaces?: (ns: string) => boolean): RecordKey[] {
    return [...(this.byDomain.get(name)?.values() ?? [])].filter((k) => !namespaces || namespaces(k.namespace));
  }
}

/** An invalid spec (hosts not a list) indexes under nothing: the reconcile reports it. */
function safeHosts(record: IngressDNSRecord): string[] {
  return Array.isArray(record.spec?.hosts) ? recordHosts({ ...record, spec: { ...record.spec, hosts: record.spec.hosts.filter((h) => typeof h === 'string') } }) : [];
}
