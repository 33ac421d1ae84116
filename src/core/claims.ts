// One owner per DNS name, decided across every record of every namespace before any output
// path sees a name. Pure: the claims come in, the verdict comes out.
//
// A record claims the names its spec gives it (an Ingress record's hosts; a Service record's
// global and dnsPrefix names) and the names it publishes (a Service's regional and zonal ones),
// whether or not it has targets right now: a victim whose Ingress loses its address for a while
// keeps its names, so nobody else can take them meanwhile. The oldest claim holds a name:
// metadata.creationTimestamp first, then namespace/name, then kind, so every replica and every
// restart decides the same. A claim is as old as its record, not as the moment it claimed: a
// name cannot be sniped by re-creating a record, and a newer record cannot displace an older one
// by claiming first after a controller restart.
import type { Endpoint } from '../api/schema.js';
import { compareText } from './targets.js';
import { normaliseName } from './names.js';

export interface Claim {
  /** Kind/namespace/name, the controller's record key. */
  record: string;
  kind: string;
  namespace: string;
  name: string;
  /** metadata.creationTimestamp (RFC 3339); absent sorts last. */
  createdAt?: string;
}

/** Negative when `a` holds against `b`. */
export function compareClaims(a: Claim, b: Claim): number {
  const ta = a.createdAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(a.createdAt);
  const tb = b.createdAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(b.createdAt);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return compareText(a.namespace, b.namespace) || compareText(a.name, b.name) || compareText(a.kind, b.kind);
}

/** The claim that holds, among the claims on one name. */
export function holderOf(claims: Iterable<Claim>): Claim | undefined {
  let best: Claim | undefined;
  for (const c of claims) if (best === undefined || compareClaims(c, best) < 0) best = c;
  return best;
}

export interface LostName {
  name: string;
  holder: Claim;
}

export interface ContestedName {
  name: string;
  /** The other claimants, oldest first. */
  others: Claim[];
}

export interface ClaimVerdict {
  /** Names another record holds: they leave this record's outputs. */
  lost: LostName[];
  /** Names this record holds that others claim too. */
  contested: ContestedName[];
}

/** How `self` fares on each of its names, given every claim on each name (its own included or not). */
export function judgeClaims(self: Claim, names: Iterable<string>, claimsOn: (name: string) => Iterable<Claim>): ClaimVerdict {
  const verdict: ClaimVerdict = { lost: [], contested: [] };
  for (const name of [...new Set(names)].sort(compareText)) {
    const others = [...claimsOn(name)].filter((c) => c.record !== self.record).sort(compareClaims);
    const first = others[0];
    if (first === undefined) continue;
    if (compareClaims(first, self) < 0) verdict.lost.push({ name, holder: first });
    else verdict.contested.push({ name, others });
  }
  return verdict;
}

/** The endpoints without those of the given names (compared as DNS names are). */
export function withoutNames(endpoints: Endpoint[], names: Iterable<string>): Endpoint[] {
  const drop = new Set([...names].map(normaliseName));
  return drop.size === 0 ? endpoints : endpoints.filter((e) => !drop.has(normaliseName(e.dnsName)));
}

/** "IngressDNSRecord team-a/victim" */
function describeClaim(c: Claim): string {
  return `${c.kind} ${c.namespace}/${c.name}`;
}

/** The Ready message part of a loser: which names, held by whom. */
export function lostMessage(lost: LostName[]): string {
  return lost
    .map((l) => `${l.name} is held by ${describeClaim(l.holder)} (an older claim${l.holder.createdAt ? ` since ${l.holder.createdAt}` : ''}): not published here`)
    .join('; ');
}

/** The note a holder gets: its name is claimed by others too (they publish nothing for it). */
export function contestedNote(contested: ContestedName[]): string[] {
  return contested.map((c) => {
    const who = c.others.slice(0, 3).map(describeClaim).join(', ') + (c.others.length > 3 ? ', …' : '');
    return `${c.name} is also claimed by ${who}: this record holds it (oldest claim)`;
  });
}
