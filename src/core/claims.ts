// One owner per DNS name, decided across every record of every namespace before any output
// path sees a name. Pure: the claims come in, the verdict comes out. Nothing here knows a
// record kind: a claimant is a record key, a claim is a name and an age.
//
// The rules (docs/name-ownership.md states them for users):
//   - a claim is as old as the moment its record first claimed that name (status.claims, written
//     by mcdns), never its record's creationTimestamp: editing an old record or re-creating one
//     gives a young claim, and a name somebody holds stays with them while they still claim it;
//   - the oldest claim holds a name; ties go to the lower namespace, name, then kind, so every
//     replica and every restart decides the same;
//   - a record also claims the ownership TXT names of its names; such a claim beats a claim on the
//     same name as a host, whatever their ages (a TXT name belongs to the name it is derived from);
//   - a wildcard `*.S` and a name below S contest each other between namespaces (RFC 4592: the
//     wildcard answers for every name below S that has no records, so whoever holds a name there
//     would see the wildcard's addresses answered whenever theirs are gone);
//   - where a DNS provider answers a name with every record below it (CoreDNS etcd: `subtree`),
//     any name and the names below it contest each other between namespaces, for the same reason.
import type { Endpoint } from '../api/schema.js';
import { compareText } from './targets.js';
import { normaliseName } from './names.js';

/** Who claims: a record, by its controller key ("Kind/namespace/name"). */
export interface Claimant {
  record: string;
  kind: string;
  namespace: string;
  name: string;
}

/** One record's claim on one DNS name. */
export interface Claim {
  by: Claimant;
  /** The name claimed, normalised. */
  name: string;
  /** When the record first claimed it (epoch ms). */
  at: number;
  /** Set when `name` is an ownership TXT name of this record's name `txtOf`. */
  txtOf?: string;
}

/** A claim's age as status.claims records it. */
export interface ClaimTime {
  name: string;
  since: string;
}

/** Negative when `a` holds against `b` (two claims that contest each other). */
export function compareClaims(a: Claim, b: Claim): number {
  // An ownership TXT name belongs to the name it is derived from, whatever the ages.
  if (a.name === b.name && (a.txtOf === undefined) !== (b.txtOf === undefined)) return a.txtOf !== undefined ? -1 : 1;
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return compareText(a.by.namespace, b.by.namespace) || compareText(a.by.name, b.by.name) || compareText(a.by.kind, b.by.kind);
}

/** Whether `wildcard` (`*.S`) answers for `name`: every name strictly below S but the wildcard itself. */
export function covers(wildcard: string, name: string): boolean {
  return wildcard.startsWith('*.') && name !== wildcard && name.endsWith(wildcard.slice(1));
}

/** Whether `name` lies strictly below `above`. */
function isBelow(name: string, above: string): boolean {
  return name.endsWith(`.${above}`);
}

/**
 * Whether two claims of different records contest each other; `subtree`: a DNS provider answers
 * a name with every record below it.
 */
export function contests(a: Claim, b: Claim, subtree = false): boolean {
  if (a.by.record === b.by.record) return false;
  if (a.name === b.name) return true;
  // A wildcard (or, with `subtree`, any name) against names below it: between namespaces (one
  // team's own names are its own business), and for names as published, not their TXT names.
  if (a.txtOf !== undefined || b.txtOf !== undefined || a.by.namespace === b.by.namespace) return false;
  if (subtree && (isBelow(a.name, b.name) || isBelow(b.name, a.name))) return true;
  return covers(a.name, b.name) || covers(b.name, a.name);
}

/** The names strictly above `name`, nearest first: a.b.c → b.c, c. */
export function ancestorsOf(name: string): string[] {
  const out: string[] = [];
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) out.push(name.slice(i + 1));
  return out;
}

/**
 * When the record first claimed each name: what this process holds for it, else what mcdns
 * recorded in status.claims; else `createdAt` when given (the caller gives it for a record an
 * earlier mcdns reconciled without recording claims: the rule of that version, so an upgrade
 * moves no name) and the record recorded no claims at all; otherwise the name is claimed now.
 */
export function claimTimes(
  names: Iterable<string>,
  from: { held?: (name: string) => number | undefined; recorded?: readonly ClaimTime[]; createdAt?: string; now: Date },
): Map<string, number> {
  const recorded = new Map((from.recorded ?? []).map((c) => [normaliseName(c.name), Date.parse(c.since)]));
  const created = from.createdAt === undefined ? NaN : Date.parse(from.createdAt);
  const fallback = from.recorded === undefined && !Number.isNaN(created) ? created : from.now.getTime();
  const times = new Map<string, number>();
  for (const name of names) {
    const n = normaliseName(name);
    if (n === '') continue;
    const known = from.held?.(n) ?? recorded.get(n);
    times.set(n, known !== undefined && !Number.isNaN(known) ? known : fallback);
  }
  return times;
}

/** status.claims: every name claimed and since when, by name. */
export function claimTimesStatus(times: ReadonlyMap<string, number>): ClaimTime[] {
  return [...times].sort(([a], [b]) => compareText(a, b)).map(([name, at]) => ({ name, since: new Date(at).toISOString() }));
}

export interface LostName {
  /** The record's name that is not published. */
  name: string;
  /** Our claim that lost: on `name` itself, on a TXT name of it, or overlapping a wildcard. */
  mine: Claim;
  holder: Claim;
}

export interface ContestedName {
  name: string;
  /** The other claimants, strongest first. */
  others: Claim[];
}

export interface ClaimVerdict {
  /** Names another record holds: they leave this record's outputs. */
  lost: LostName[];
  /** Names this record holds that others claim too. */
  contested: ContestedName[];
}

/**
 * How a record fares on each of its names: `mine` are its claims (TXT names included), `rivals`
 * the claims that may contest one of them (any record's; the judge keeps those that do).
 */
export function judgeClaims(mine: Iterable<Claim>, rivals: (claim: Claim) => Iterable<Claim>, subtree = false): ClaimVerdict {
  const lost = new Map<string, LostName>();
  const others = new Map<string, Map<string, Claim>>();
  const own = [...mine].sort((a, b) => compareText(a.txtOf ?? a.name, b.txtOf ?? b.name) || compareText(a.name, b.name));
  for (const c of own) {
    const base = c.txtOf ?? c.name;
    const against = [...rivals(c)].filter((r) => contests(c, r, subtree)).sort(compareClaims);
    const strongest = against[0];
    if (strongest === undefined) continue;
    if (compareClaims(strongest, c) < 0) {
      if (!lost.has(base)) lost.set(base, { name: base, mine: c, holder: strongest });
      continue;
    }
    const list = others.get(base) ?? new Map<string, Claim>();
    for (const r of against) if (!list.has(r.by.record)) list.set(r.by.record, r);
    others.set(base, list);
  }
  const contested = [...others]
    .filter(([name]) => !lost.has(name))
    .map(([name, list]) => ({ name, others: [...list.values()].sort(compareClaims) }));
  return { lost: [...lost.values()], contested };
}

/** The endpoints without those of the given names (compared as DNS names are). */
export function withoutNames(endpoints: Endpoint[], names: Iterable<string>): Endpoint[] {
  const drop = new Set([...names].map(normaliseName));
  return drop.size === 0 ? endpoints : endpoints.filter((e) => !drop.has(normaliseName(e.dnsName)));
}

/** "IngressDNSRecord team-a/victim" */
function describeClaimant(c: Claimant): string {
  return `${c.kind} ${c.namespace}/${c.name}`;
}

function since(c: Claim): string {
  return new Date(c.at).toISOString();
}

/** Why one lost name is not published here, naming its holder. */
function lostReason(l: LostName): string {
  const { mine, holder } = l;
  const who = describeClaimant(holder.by);
  if (mine.name === holder.name && holder.txtOf !== undefined && mine.txtOf === undefined) {
    return `${l.name} is the ownership TXT name of ${holder.txtOf}, claimed by ${who}`;
  }
  const older = `(an older claim since ${since(holder)})`;
  if (mine.txtOf !== undefined) return `${l.name}: its ownership TXT name ${mine.name} is held by ${who} ${older}`;
  if (mine.name === holder.name) return `${l.name} is held by ${who} ${older}`;
  if (covers(mine.name, holder.name)) {
    return `${l.name} covers ${holder.name}, held by ${who} ${older}: a wildcard answers for the names below it that have no records`;
  }
  if (covers(holder.name, mine.name)) return `${l.name} is below the wildcard ${holder.name}, held by ${who} ${older}`;
  const where = isBelow(mine.name, holder.name) ? 'below' : 'above';
  return `${l.name} is ${where} ${holder.name}, held by ${who} ${older}: the DNS provider answers a name with every record below it`;
}

/** The Ready message part of a loser: which names, held by whom. */
export function lostMessage(lost: LostName[]): string {
  return lost.map((l) => `${lostReason(l)}: not published here`).join('; ');
}

/** The note a holder gets: its name is claimed by others too (they publish nothing for it). */
export function contestedNote(contested: ContestedName[]): string[] {
  return contested.map((c) => {
    const who = c.others.slice(0, 3).map((o) => `${describeClaimant(o.by)}${o.name === c.name ? '' : ` (${o.name})`}`).join(', ');
    return `${c.name} is also claimed by ${who}${c.others.length > 3 ? ', …' : ''}: this record holds it (oldest claim)`;
  });
}
