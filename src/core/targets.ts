// Load-balancer addresses → the endpoints of one DNS name.
//
// How a name's endpoints are decided from the addresses of all contributing clusters:
//
//   - IPs only: one A endpoint (all IPv4) and/or one AAAA endpoint (all IPv6); dual-stack
//     load balancers give both.
//   - Exactly one distinct hostname and no IPs: one CNAME endpoint with that single target.
//   - IPs and hostnames mixed: only the A/AAAA of the IPs. A name cannot be both A and CNAME
//     (RFC 1034 §3.6.2) and ExternalDNS drops the CNAME anyway; a note names the clusters
//     whose hostname targets were left out.
//   - Several distinct hostnames, no IPs: a CNAME to the first hostname by sort order of
//     cluster name, then hostname; a note says the other clusters' hostnames are not
//     published, because a CNAME holds one target.
//   - No addresses: no endpoint.
//
// Hostnames are never resolved here: KubeFed looked them up inside the controller and one
// failed lookup failed the whole record (KubeFed #834, #872). Trailing dots are neither
// added to names nor to targets (ExternalDNS style). Targets are de-duplicated and sorted:
// IPv4 and IPv6 numerically, hostnames lexically, so equal inputs give equal outputs.
import { isIP } from 'node:net';
import { normaliseName } from './names.js';
import type { Endpoint } from '../api/schema.js';

/** One address of one cluster's load balancer, as status.loadBalancer.ingress[] gives it. */
export interface LoadBalancerAddress {
  cluster: string;
  ip?: string;
  hostname?: string;
}

type AddressRecordType = 'A' | 'AAAA' | 'CNAME';

export interface ClassifiedTarget {
  recordType: AddressRecordType;
  target: string;
}

export interface NameEndpoints {
  endpoints: Endpoint[];
  /** Single-line explanations of what was left out, for the record's status. */
  notes: string[];
  /** Clusters whose targets are published under this name, sorted. */
  sources: string[];
}

/** Classifies one address by its content (an IP in `hostname` is still an IP); undefined if unusable. */
export function classifyTarget(value: string): ClassifiedTarget | undefined {
  const trimmed = value.trim();
  const family = isIP(trimmed);
  if (family === 4) return { recordType: 'A', target: trimmed };
  if (family === 6) {
    const canonical = canonicalIPv6(trimmed);
    return canonical === undefined ? undefined : { recordType: 'AAAA', target: canonical };
  }
  const hostname = normaliseName(trimmed);
  return isHostname(hostname) ? { recordType: 'CNAME', target: hostname } : undefined;
}

/**
 * RFC 5952 text form: lower case, no leading zeros, the longest run of zero groups
 * compressed, IPv4-mapped addresses in dotted form. Providers hand AAAA records back in
 * this form, so comparing desired with current records gives no false differences.
 * Zone ids (fe80::1%eth0) are meaningless in DNS and rejected.
 */
export function canonicalIPv6(ip: string): string | undefined {
  if (ip.includes('%') || isIP(ip) !== 6) return undefined;
  let serialised: string;
  try {
    // The WHATWG URL serialiser implements RFC 5952 compression; no hand-written parser needed.
    serialised = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(serialised);
  if (mapped?.[1] !== undefined && mapped[2] !== undefined) {
    const high = parseInt(mapped[1], 16);
    const low = parseInt(mapped[2], 16);
    return `::ffff:${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return serialised;
}

const HOSTNAME_LABEL = /^[a-z0-9_]([-a-z0-9_]{0,61}[a-z0-9_])?$/;

/**
 * A DNS name a CNAME can point at: 1–63 character labels, 253 characters in all, and a
 * last label that is not all digits (RFC 3696 §2), so "10.0.0" or "010.0.0.1" is no hostname.
 */
function isHostname(hostname: string): boolean {
  const labels = hostname.split('.');
  return (
    hostname.length > 0 &&
    hostname.length <= 253 &&
    labels.every((l) => HOSTNAME_LABEL.test(l)) &&
    !/^[0-9]+$/.test(labels[labels.length - 1] ?? '')
  );
}

function ipv4Value(ip: string): number[] {
  return ip.split('.').map(Number);
}

function ipv6Value(canonical: string): number[] {
  const groupsOf = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((g) => (g.includes('.') ? dottedAsGroups(g) : [parseInt(g, 16)]));
  const [head = '', tail] = canonical.split('::');
  const left = groupsOf(head);
  if (tail === undefined) return left;
  const right = groupsOf(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function dottedAsGroups(dotted: string): number[] {
  const [a = 0, b = 0, c = 0, d = 0] = ipv4Value(dotted);
  return [(a << 8) | b, (c << 8) | d];
}

function compareNumberLists(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** De-duplicates and sorts targets of one record type: IPs numerically, hostnames lexically. */
export function sortTargets(recordType: string, targets: Iterable<string>): string[] {
  const unique = [...new Set(targets)];
  if (recordType === 'A') return unique.sort((a, b) => compareNumberLists(ipv4Value(a), ipv4Value(b)));
  if (recordType === 'AAAA') return unique.sort((a, b) => compareNumberLists(ipv6Value(a), ipv6Value(b)));
  return unique.sort(compareText);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Endpoints in publishing order: by dnsName, then recordType. */
export function sortEndpoints(endpoints: Endpoint[]): Endpoint[] {
  return [...endpoints].sort((a, b) => compareText(a.dnsName, b.dnsName) || compareText(a.recordType, b.recordType));
}

export function endpoint(dnsName: string, recordType: string, targets: string[], ttl: number): Endpoint {
  return { dnsName, targets: sortTargets(recordType, targets), recordType, recordTTL: ttl };
}

interface ClusterTarget extends ClassifiedTarget {
  cluster: string;
}

function classifyAll(addresses: LoadBalancerAddress[]): { targets: ClusterTarget[]; notes: string[] } {
  const targets: ClusterTarget[] = [];
  const notes: string[] = [];
  for (const address of addresses) {
    for (const value of [address.ip, address.hostname]) {
      if (value === undefined || value === '') continue;
      const classified = classifyTarget(value);
      if (classified === undefined) notes.push(`${address.cluster}: ignored unusable load-balancer address "${value}"`);
      else targets.push({ cluster: address.cluster, ...classified });
    }
  }
  return { targets, notes };
}

function clusterList(targets: ClusterTarget[]): string[] {
  return [...new Set(targets.map((t) => t.cluster))].sort(compareText);
}

/** The endpoints of one DNS name for the given addresses; see the rules at the top of this file. */
export function endpointsForName(dnsName: string, addresses: LoadBalancerAddress[], ttl: number): NameEndpoints {
  const name = normaliseName(dnsName);
  const { targets, notes } = classifyAll(addresses);
  const ips = targets.filter((t) => t.recordType !== 'CNAME');
  const hostnames = targets.filter((t) => t.recordType === 'CNAME');
  if (ips.length > 0) {
    if (hostnames.length > 0) notes.push(hostnamesBesideIPsNote(name, hostnames));
    return { endpoints: addressEndpoints(name, ips, ttl), notes, sources: clusterList(ips) };
  }
  if (hostnames.length > 0) return cnameToFirstHostname(name, hostnames, ttl, notes);
  return { endpoints: [], notes, sources: [] };
}

function addressEndpoints(name: string, ips: ClusterTarget[], ttl: number): Endpoint[] {
  const result: Endpoint[] = [];
  for (const recordType of ['A', 'AAAA'] as const) {
    const ofType = ips.filter((t) => t.recordType === recordType).map((t) => t.target);
    if (ofType.length > 0) result.push(endpoint(name, recordType, ofType, ttl));
  }
  return result;
}

function hostnamesBesideIPsNote(name: string, hostnames: ClusterTarget[]): string {
  return (
    `${name}: load-balancer hostnames of ${plural(clusterList(hostnames), 'cluster')} left out ` +
    '(a name cannot hold both A/AAAA and CNAME records)'
  );
}

function cnameToFirstHostname(name: string, hostnames: ClusterTarget[], ttl: number, notes: string[]): NameEndpoints {
  const ordered = [...hostnames].sort((a, b) => compareText(a.cluster, b.cluster) || compareText(a.target, b.target));
  const chosen = ordered[0]!;
  const published = hostnames.filter((t) => t.target === chosen.target);
  const leftOut = hostnames.filter((t) => t.target !== chosen.target);
  if (leftOut.length > 0) {
    notes.push(
      `${name}: CNAME to ${chosen.target} (${plural(clusterList(published), 'cluster')}); ` +
        `hostnames of ${plural(clusterList(leftOut), 'cluster')} not published (a CNAME holds one target)`,
    );
  }
  return { endpoints: [endpoint(name, 'CNAME', [chosen.target], ttl)], notes, sources: clusterList(published) };
}

/** "cluster a" / "clusters a, b" */
export function plural(items: string[], noun: string): string {
  return `${noun}${items.length === 1 ? '' : 's'} ${items.join(', ')}`;
}
