// The DNS names of a ServiceDNSRecord, as KubeFed (and federation v1 before it) built them:
//
//   prefix   <service>.<namespace>.<domainRef>.svc      (externalName, if set, replaces <service>)
//   global   <prefix>.<domain>
//   regional <prefix>.<region>.<domain>
//   zonal    <prefix>.<zone>.<region>.<domain>
//   alias    <dnsPrefix>.<domain>                        (only when dnsPrefix is set)
//
// Everything is lower-cased and carries no trailing dot (ExternalDNS style): DNS names are
// case-insensitive, and one spelling keeps desired and current records comparable.
import type { Domain, ServiceDNSRecord } from '../api/schema.js';
import { normaliseName } from './names.js';

export interface ServiceNames {
  prefix: string;
  global: string;
  /** `<dnsPrefix>.<domain>`, when the record sets dnsPrefix. */
  alias?: string;
  regional(region: string): string;
  zonal(zone: string, region: string): string;
}

/** The zone a Domain object names, lower-cased, without its trailing dot. */
export function domainOf(domain: Domain): string {
  return normaliseName(domain.domain);
}

/** `<service-or-externalName>.<namespace>.<domainRef>.svc` */
export function servicePrefix(record: ServiceDNSRecord): string {
  const service = record.spec.externalName || record.metadata.name || '';
  return [service, record.metadata.namespace ?? '', record.spec.domainRef, 'svc'].join('.').toLowerCase();
}

export function serviceNames(record: ServiceDNSRecord, domain: string): ServiceNames {
  const apex = normaliseName(domain);
  const prefix = servicePrefix(record);
  const join = (...labels: string[]): string => labels.map((l) => l.toLowerCase()).join('.');
  const dnsPrefix = record.spec.dnsPrefix;
  return {
    prefix,
    global: join(prefix, apex),
    ...(dnsPrefix ? { alias: join(dnsPrefix, apex) } : {}),
    regional: (region) => join(prefix, region, apex),
    zonal: (zone, region) => join(prefix, zone, region, apex),
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Whether a region or zone can be one label of a name (RFC 1123, after lower-casing). */
export function isDnsLabel(label: string): boolean {
  return DNS_LABEL.test(label);
}

/** Whether a whole name fits DNS limits: 253 characters, labels of 1–63. */
export function fitsInDns(name: string): boolean {
  return name.length <= 253 && name.split('.').every((l) => l.length > 0 && l.length <= 63);
}

/** Where the member clusters are: what a ServiceDNSRecord's regional and zonal names come from. */
export interface Location {
  region?: string;
  zones: readonly string[];
}

/**
 * Every name a ServiceDNSRecord may publish, published or not: the global and dnsPrefix names,
 * and the regional and zonal names of every location the member clusters report (a region or
 * zone that is no DNS label gives none, and neither does a name too long for DNS).
 */
export function allServiceNames(record: ServiceDNSRecord, domain: string, topology: readonly Location[]): string[] {
  const names = serviceNames(record, domain);
  const out = new Set<string>([names.global, ...(names.alias ? [names.alias] : [])]);
  for (const place of topology) {
    const region = (place.region ?? '').trim().toLowerCase();
    if (!isDnsLabel(region)) continue;
    out.add(names.regional(region));
    for (const zone of place.zones.map((z) => z.trim().toLowerCase()).filter(isDnsLabel)) out.add(names.zonal(zone, region));
  }
  return [...out].filter(fitsInDns).sort();
}
