// The names a record claims, whatever its kind: what one owner per name (claims.ts) and the
// probes' Host header check read. From the spec and the member clusters' locations, never from
// the addresses: a record whose load balancer has no address for a while keeps its names.
import type { DNSRecord, Domain, IngressDNSRecord, RouteDNSRecord, ServiceDNSRecord } from '../api/schema.js';
import { normaliseName } from './names.js';
import { recordHosts } from './desired-ingress.js';
import { allServiceNames, domainOf, type Location } from './service-names.js';

/**
 * The names `record` claims. A ServiceDNSRecord needs its Domain (without one it names nothing)
 * and the members' locations (its regional and zonal names); a RouteDNSRecord without spec.hosts
 * claims its route's hostnames, which only the members' routes tell (desired-route.ts).
 */
export function claimedNames(kind: string, record: DNSRecord, context: { domain?: Domain; topology?: readonly Location[] } = {}): string[] {
  switch (kind) {
    case 'IngressDNSRecord':
      return recordHosts(record as IngressDNSRecord);
    case 'RouteDNSRecord':
      // Its route's hostnames add to these (the core's desired.names): only the members know them.
      return [...new Set(((record as RouteDNSRecord).spec.hosts ?? []).map(normaliseName))].sort();
    case 'ServiceDNSRecord':
      return context.domain ? allServiceNames(record as ServiceDNSRecord, domainOf(context.domain), context.topology ?? []) : [];
    default:
      return [];
  }
}
