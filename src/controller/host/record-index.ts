// Reverse indexes over the records, kept per host watch event, so that a change finds the
// records it can affect without scanning them all: IngressDNSRecords by host (which records an
// Ingress listing that host can serve), ServiceDNSRecords by the Domain they name, and
// RouteDNSRecords by the route ("Kind/namespace/name") they name.
import type { DNSRecord, IngressDNSRecord, RecordKind, RouteDNSRecord, ServiceDNSRecord } from '../../api/schema.js';
import { recordHosts } from '../../core/desired-ingress.js';
import { namedRoute } from '../../core/desired-route.js';
import { routeKey } from '../../observe/interest.js';
import { MultiMap } from '../../core/multimap.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';

export class RecordIndex {
  /** Normalised host → IngressDNSRecords listing it. */
  private readonly byHost = new MultiMap<RecordKey>(keyOf);
  /** Domain name → ServiceDNSRecords whose spec.domainRef names it. */
  private readonly byDomain = new MultiMap<RecordKey>(keyOf);
  /** Route "Kind/namespace/name" → RouteDNSRecords naming it. */
  private readonly byRoute = new MultiMap<RecordKey>(keyOf);
  /** What each record was indexed under (one host or domain, or several), to unindex it when it changes. */
  private readonly indexedAs = new Map<string, string | string[]>();

  /** Indexes a record as it is now (undefined: deleted). */
  set(kind: RecordKind, namespace: string, name: string, record: DNSRecord | undefined): void {
    const key: RecordKey = { kind, namespace, name };
    const k = keyOf(key);
    const index = kind === 'IngressDNSRecord' ? this.byHost : kind === 'ServiceDNSRecord' ? this.byDomain : this.byRoute;
    const before = this.indexedAs.get(k) ?? [];
    for (const old of typeof before === 'string' ? [before] : before) index.remove(old, k);
    this.indexedAs.delete(k);
    if (!record) return;
    const under =
      kind === 'IngressDNSRecord'
        ? safeHosts(record as IngressDNSRecord)
        : kind === 'RouteDNSRecord'
          ? routeKeys(record as RouteDNSRecord)
          : typeof (record as ServiceDNSRecord).spec?.domainRef === 'string'
            ? [(record as ServiceDNSRecord).spec.domainRef]
            : [];
    for (const u of under) index.add(u, key);
    if (under.length > 0) this.indexedAs.set(k, under.length === 1 ? under[0]! : under);
  }

  /** IngressDNSRecords of `namespace` listing one of the (normalised) hosts. */
  ingressRecordsForHosts(namespace: string, hosts: readonly string[]): RecordKey[] {
    const out = new Map<string, RecordKey>();
    for (const h of hosts) for (const key of this.byHost.get(h)) if (key.namespace === namespace) out.set(keyOf(key), key);
    return [...out.values()];
  }

  /** RouteDNSRecords naming the route `kind` `namespace/name` (a record names routes of its own namespace). */
  routeRecordsFor(kind: string, namespace: string, name: string): RecordKey[] {
    return this.byRoute.get(routeKey({ kind, namespace, name }));
  }

  /** ServiceDNSRecords naming Domain `name`, in `namespaces` (undefined: any namespace). */
  serviceRecordsForDomain(name: string, namespaces?: (ns: string) => boolean): RecordKey[] {
    return this.byDomain.get(name).filter((k) => !namespaces || namespaces(k.namespace));
  }
}

/** The record's hosts, normalised; an invalid spec (hosts not a list) has none: the reconcile reports it. */
export function safeHosts(record: IngressDNSRecord): string[] {
  return Array.isArray(record.spec?.hosts) ? recordHosts({ ...record, spec: { ...record.spec, hosts: record.spec.hosts.filter((h) => typeof h === 'string') } }) : [];
}

/** The route a RouteDNSRecord names, as "Kind/namespace/name"; an invalid spec names none. */
function routeKeys(record: RouteDNSRecord): string[] {
  const route = namedRoute(record);
  return route ? [routeKey(route)] : [];
}
