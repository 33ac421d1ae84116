// Targets in one canonical form, zones by longest suffix, and ExternalDNS's
// --domain-filter / --exclude-domains semantics. Pure.
import { normaliseName, unchangedOr } from '../core/names.js';
import { canonicalIPv6 } from '../core/targets.js';

/**
 * One target in the provider-neutral form for its record type, so desired and read records
 * compare equal when they mean the same: AAAA in RFC 5952 text, host-name targets lower case
 * without the trailing dot, TXT data untouched.
 */
export function normaliseTarget(type: string, target: string): string {
  switch (type) {
    case 'A':
      return unchangedOr(target, target.trim());
    case 'AAAA':
      return canonicalIPv6(target.trim()) ?? target.trim().toLowerCase();
    case 'CNAME':
    case 'NS':
    case 'PTR':
    case 'DNAME':
      return normaliseName(target);
    default:
      return target;
  }
}

/** De-duplicated, normalised, sorted targets (the order a provider returns them in is no change). */
export function normaliseTargets(type: string, targets: Iterable<string>): string[] {
  return [...new Set([...targets].map((t) => normaliseTarget(type, t)))].sort();
}

/** `name` is `zone` or below it. The empty zone is the root, above everything. */
export function isInZone(name: string, zone: string): boolean {
  return zone === '' || name === zone || name.endsWith(`.${zone}`);
}

/** The most specific zone holding `name` (longest suffix match), or undefined. */
export function zoneFor(name: string, zones: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const zone of zones) {
    if (isInZone(name, zone) && (best === undefined || zone.length > best.length)) best = zone;
  }
  return best;
}

/**
 * --domain-filter / --exclude-domains as ExternalDNS reads them: `example.org` matches the name
 * and every name below it, `.example.org` only names below it; an exclusion wins over a filter;
 * no filter matches everything.
 */
export interface DomainFilter {
  include?: readonly string[];
  exclude?: readonly string[];
}

function matchesEntry(name: string, entry: string): boolean {
  const e = normaliseName(entry);
  if (e === '') return false;
  if (e.startsWith('.')) return name.endsWith(e);
  return name === e || name.endsWith(`.${e}`);
}

export function matchesDomainFilter(name: string, filter: DomainFilter = {}): boolean {
  const include = (filter.include ?? []).filter((e) => e.trim() !== '');
  if ((filter.exclude ?? []).some((e) => matchesEntry(name, e))) return false;
  return include.length === 0 || include.some((e) => matchesEntry(name, e));
}

/**
 * Whether a zone can hold names the filter admits: the zone matches the filter, or a filter
 * entry lies inside the zone (filter `apps.example.org`, zone `example.org`).
 */
export function zoneMatchesDomainFilter(zone: string, filter: DomainFilter = {}): boolean {
  const include = (filter.include ?? []).map(normaliseName).filter((e) => e !== '');
  if ((filter.exclude ?? []).some((e) => matchesEntry(zone, e))) return false;
  if (include.length === 0) return true;
  return include.some((e) => matchesEntry(zone, e) || isInZone(e.replace(/^\./, ''), zone));
}
