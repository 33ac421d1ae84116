// The names a record claims, whatever its kind: what one owner per name (claims.ts) and the
// probes' Host header check read. From the spec and the member clusters' locations, never from
// the addresses: a record whose load balancer has no address for a while keeps its names.
import type { DNSRecord, Domain, IngressDNSRecord, ServiceDNSRecord } from '../api/schema.js';
import { recordHosts } from './desired-ingress.js';
import { allServiceNames, domainOf, type Location } from './service-names.js';

/**
 * The names `record` claims. A ServiceDNSRecord needs its Domain (without one it names nothing)
 * and the members' locations (its regional and zonal names).
 */
export function claimedNames(kind: string, record: DNSRecord, context: { domain?: Domain; topology?: readonly Location[] } = {}): string[] {
  switch (kind) {
    case 'IngressDNSRecord':
      return recordHosts(record as IngressDNSRecord);
    case 'ServiceDNSRecord':
      return context.domain ? allServiceNames(record as ServiceDNSRecord, domainOf(context.domain), context.topology ?? []) : [];
    default:
      return [];
  }
}
