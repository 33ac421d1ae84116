// The planner: the desired endpoints of ONE record (one resource) + the current record sets of
// its zones + TXT ownership + policy → the changes per zone, and the conflicts that stopped a
// name from being written. Pure: no I/O, no clock; a steady state plans nothing.
//
// Rules (ExternalDNS's registry semantics, made stricter where ExternalDNS lets owners fight):
//   - A record set is ours when its ownership TXT names our owner id AND this resource. Only
//     ours is ever updated or deleted: sync creates, updates and deletes; upsert-only never
//     deletes; create-only only creates.
//   - Hand-over (with `holder`, the claims of one owner per name): a name whose TXT names another
//     resource of our owner id is ours when the claims say this resource holds it now — its
//     record sets are updated and its TXT rewritten to this resource in the same write, so the
//     name never leaves DNS; and a name the claims gave to another resource is left in place by
//     its former holder (never deleted), for the new holder to take over.
//   - A desired name is written only if nothing at the name belongs to someone else: a record
//     set or an ownership TXT of another owner id or of another resource (another mcdns record:
//     the first one keeps the host), an A/AAAA/CNAME without any owner, anything at all when we
//     want a CNAME there, or TXT data that is no registry entry at the ownership TXT's name.
//     Otherwise every desired record set of that name becomes a conflict naming the owner, and
//     nothing at that name is written (not even our own other types).
//   - The ownership TXT is written before its record set and removed after it (each group in
//     that order within the batch), so a provider that applies changes one by one and stops
//     half-way leaves at worst an orphan TXT of ours, which the next plan repairs, never a
//     record without an owner that would then be a conflict forever.
//   - A desired record set that cannot be written (no zone, outside --domain-filter, more
//     targets than the provider allows, ownership TXT name outside the zone) is a problem, and
//     what we already published under that name and type is left as it is.
import type { Endpoint } from '../api/schema.js';
import { isInZone, matchesDomainFilter, normaliseTargets, zoneFor, type DomainFilter } from './names.js';
import { normaliseName } from '../core/names.js';
import { formatOwnership, recordNamesForTxtName, txtNameFor, type OwnerLabels, type OwnershipConfig } from './ownership.js';
import { describeOwner, ZoneRegistry, type Ownership } from './zone-ownership.js';
import { recordKey, type Change, type DnsRecord, type SyncPolicy } from './records.js';

/** ExternalDNS's default TTL when an endpoint has none. */
const DEFAULT_PROVIDER_TTL = 300;

interface ZoneRecords {
  zone: string;
  records: readonly DnsRecord[];
}

export interface PlanInput {
  /** The owning resource: `ingressdnsrecord/<ns>/<name>` or `servicednsrecord/<ns>/<name>`. */
  resource: string;
  /** Everything this resource should publish; empty means "publish nothing" (delete ours). */
  endpoints: readonly Endpoint[];
  /** Every zone the provider manages (after the domain filter): names go to the longest suffix. */
  zones: readonly string[];
  /** The current record sets of the zones to plan. A zone not listed here is not planned. */
  current: readonly ZoneRecords[];
  ownership: OwnershipConfig;
  policy: SyncPolicy;
  domainFilter?: DomainFilter;
  /** TTL for endpoints without recordTTL (default 300, as ExternalDNS). */
  defaultTtl?: number;
  /** The provider's per-record-set target limit. */
  maxTargets?: (type: string) => number | undefined;
  /** The provider answers a name with the records below it too (CoreDNS etcd): see blockersAt. */
  answersSubtree?: boolean;
  /**
   * `current` holds only some of the zones on purpose (re-planning one zone): desired record
   * sets of the other zones are left out instead of being an error.
   */
  partial?: boolean;
  /** The resource the claims give a name to (one owner per name); undefined: nobody, or no claims. */
  holder?: (name: string) => string | undefined;
}

/** A desired record set that was not written because someone else holds the name. */
export interface Conflict {
  name: string;
  type: string;
  zone: string;
  /** The owner id that holds the name (absent: records without any owner). */
  owner?: string;
  /** The resource that holds the name, as its ownership TXT says. */
  resource?: string;
  message: string;
}

type ProblemReason = 'filtered' | 'no-zone' | 'too-many-targets' | 'txt-outside-zone' | 'invalid';

/** A desired record set that cannot be written for a reason of its own or of configuration. */
export interface Problem {
  name: string;
  type: string;
  zone?: string;
  reason: ProblemReason;
  message: string;
}

export interface ZonePlan {
  zone: string;
  changes: Change[];
}

export interface RecordPlan {
  resource: string;
  /** Zones with at least one change, in zone order. */
  zones: ZonePlan[];
  conflicts: Conflict[];
  problems: Problem[];
}

interface Desired {
  record: DnsRecord;
  zone: string;
}

export function planRecord(input: PlanInput): RecordPlan {
  const problems: Problem[] = [];
  const desired = collectDesired(input, problems);
  const conflicts: Conflict[] = [];
  const zones: ZonePlan[] = [];
  const read = new Map(input.current.map((z) => [z.zone, z]));
  for (const d of desired.values()) {
    if (!read.has(d.zone) && !input.partial) throw new Error(`planRecord: zone ${d.zone} of ${d.record.name} was not read`);
  }
  for (const { zone, records } of [...input.current].sort((a, b) => cmp(a.zone, b.zone))) {
    const inZone = [...desired.values()].filter((d) => d.zone === zone).map((d) => d.record);
    const planned = planZone(zone, records, inZone, input, problems);
    conflicts.push(...planned.conflicts);
    if (planned.changes.length > 0) zones.push({ zone, changes: planned.changes });
  }
  return { resource: input.resource, zones, conflicts, problems };
}

/** Desired record sets by recordKey, merged, normalised, each with its zone; problems for the rest. */
function collectDesired(input: PlanInput, problems: Problem[]): Map<string, Desired> {
  const merged = new Map<string, DnsRecord>();
  for (const e of input.endpoints) {
    const name = normaliseName(e.dnsName);
    const type = e.recordType.trim().toUpperCase();
    const ttl = e.recordTTL !== undefined && e.recordTTL > 0 ? e.recordTTL : (input.defaultTtl ?? DEFAULT_PROVIDER_TTL);
    const key = recordKey(name, type);
    const before = merged.get(key);
    const targets = normaliseTargets(type, [...(before?.targets ?? []), ...e.targets]);
    merged.set(key, { name, type, ttl: before ? Math.min(before.ttl, ttl) : ttl, targets });
  }
  const result = new Map<string, Desired>();
  for (const [key, record] of merged) {
    const problem = (reason: ProblemReason, message: string, zone?: string): void => {
      problems.push({ name: record.name, type: record.type, ...(zone ? { zone } : {}), reason, message });
    };
    if (record.name === '' || record.type === '') {
      problem('invalid', `endpoint without a name or a record type`);
      continue;
    }
    if (record.targets.length === 0 || (record.type === 'CNAME' && record.targets.length > 1)) {
      problem('invalid', `${record.type} ${record.name}: ${record.targets.length} targets is not a valid record set`);
      continue;
    }
    if (!matchesDomainFilter(record.name, input.domainFilter)) {
      problem('filtered', `${record.name} is outside --domain-filter/--exclude-domains`);
      continue;
    }
    const zone = zoneFor(record.name, input.zones);
    if (zone === undefined) {
      problem('no-zone', `no managed zone holds ${record.name}`);
      continue;
    }
    const max = input.maxTargets?.(record.type);
    if (max !== undefined && record.targets.length > max) {
      problem(
        'too-many-targets',
        `${record.type} ${record.name}: ${record.targets.length} targets, the provider allows ${max} per record set`,
        zone,
      );
      continue;
    }
    const txtName = txtNameFor(record.name, record.type, input.ownership);
    if (!isInZone(txtName, zone) || zoneFor(txtName, input.zones) !== zone) {
      problem(
        'txt-outside-zone',
        `${record.type} ${record.name}: its ownership TXT ${txtName} would lie outside zone ${zone} ` +
          `(zone apex? use --txt-prefix='%{record_type}.' or a prefix ending in '.')`,
        zone,
      );
      continue;
    }
    result.set(key, { record, zone });
  }
  // Record sets that could not be planned keep whatever is published (never deleted for it).
  return result;
}

interface Blocker {
  labels?: OwnerLabels;
  message: string;
}

function planZone(
  zone: string,
  records: readonly DnsRecord[],
  desired: DnsRecord[],
  input: PlanInput,
  problems: Problem[],
): { changes: Change[]; conflicts: Conflict[] } {
  const { ownership: cfg, resource, policy } = input;
  const registry = new ZoneRegistry(zone, records, cfg);
  const holder = (name: string): string | undefined => input.holder?.(name);
  // Ours: this resource's; or, for `name`, another resource's of our owner id that the claims handed over to us.
  const ours = (labels: OwnerLabels | undefined, name?: string): boolean =>
    labels !== undefined && labels['owner'] === cfg.ownerId && (labels['resource'] === resource || (name !== undefined && holder(name) === resource));
  const handedAway = (name: string): boolean => {
    const h = holder(name);
    return h !== undefined && h !== resource;
  };
  const owned = (r: DnsRecord): Ownership | undefined => registry.ownerOf(r.name, r.type);
  // Desired record sets that had a problem keep their published state: never deleted here.
  const kept = new Set(problems.filter((p) => p.zone === zone).map((p) => recordKey(p.name, p.type)));
  const manageable = (name: string): boolean => matchesDomainFilter(name, input.domainFilter);

  const desiredByName = groupByName(desired);
  const ourByName = groupByName(
    [...registry.records.values()].filter(
      (r) => manageable(r.name) && ours(owned(r)?.labels, r.name) && !handedAway(r.name) && !kept.has(recordKey(r.name, r.type)),
    ),
  );
  const txtWrites: Change[] = [];
  const recordDeletes: Change[] = [];
  const recordWrites: Change[] = [];
  const conflicts: Conflict[] = [];
  const neededTxt = new Set<string>();
  const content = formatOwnership({ owner: cfg.ownerId, resource });

  for (const name of [...new Set([...desiredByName.keys(), ...ourByName.keys()])].sort(cmp)) {
    const want = desiredByName.get(name) ?? [];
    const blockers =
      want.length > 0
        ? [...blockersAt(name, want, registry, ours, policy), ...(input.answersSubtree ? shadowed(name, zone, registry, ours) : [])]
        : [];
    const first = blockers[0];
    if (first) {
      for (const d of want) conflicts.push(conflictOf(d, zone, first));
      continue;
    }
    for (const d of want) {
      const current = registry.record(name, d.type);
      if (!current) recordWrites.push({ action: 'create', record: d });
      else if (!sameRecord(current, d) && policy !== 'create-only') recordWrites.push({ action: 'update', record: d, previous: current });
      // The new-format TXT: kept if it is there (ours), created if missing or only the old format
      // owns the record (ExternalDNS migrates the same way), rewritten if it was handed over.
      const txtName = txtNameFor(name, d.type, cfg);
      neededTxt.add(txtName);
      const txt = registry.ownershipTxts.get(txtName);
      const record: DnsRecord = { name: txtName, type: 'TXT', ttl: d.ttl, targets: [content] };
      if (!txt) txtWrites.push({ action: 'create', record });
      else if (txt.labels['resource'] !== resource) txtWrites.push({ action: 'update', record, previous: txt.record });
    }
    if (policy !== 'sync') continue;
    const wanted = new Set(want.map((d) => d.type));
    for (const r of ourByName.get(name) ?? []) {
      if (!wanted.has(r.type)) recordDeletes.push({ action: 'delete', record: r, previous: r });
    }
  }

  // Ownership TXTs of this resource that no record set will use after this batch are orphans.
  const txtDeletes: Change[] = [];
  if (policy === 'sync') {
    const after = new Map(registry.records);
    for (const c of recordDeletes) after.delete(recordKey(c.record.name, c.record.type));
    for (const c of recordWrites) after.set(recordKey(c.record.name, c.record.type), c.record);
    const used = ZoneRegistry.usedTxtNames(after.values(), cfg);
    for (const txt of registry.ownershipTxts.values()) {
      const name = txt.record.name;
      const forNames = recordNamesForTxtName(name, cfg);
      const mine = ours(txt.labels) || forNames.some((n) => ours(txt.labels, n));
      if (!mine || forNames.some(handedAway) || txt.ambiguous || txt.mixed || neededTxt.has(name) || used.has(name)) continue;
      if (!manageable(name)) continue;
      txtDeletes.push({ action: 'delete', record: txt.record, previous: txt.record });
    }
  }
  const changes = [...sortChanges(txtWrites), ...sortChanges(recordDeletes), ...sortChanges(recordWrites), ...sortChanges(txtDeletes)];
  return { changes, conflicts };
}

/** Every record type an ownership TXT name can stand for. */
export const OWNABLE_TYPES = ['A', 'AAAA', 'CNAME', 'NS', 'MX', 'PTR', 'SRV', 'NAPTR', 'TXT', 'DNAME', 'CAA'];

/** What stops us from writing `want` at `name`; empty when the name is free or ours. */
function blockersAt(
  name: string,
  want: DnsRecord[],
  registry: ZoneRegistry,
  ours: (labels: OwnerLabels | undefined, name?: string) => boolean,
  policy: SyncPolicy,
): Blocker[] {
  const blockers: Blocker[] = [];
  const claimedBy = new Set<string>(); // ownership TXT names already reported
  const claim = (o: Ownership, message: string): void => {
    if (claimedBy.has(o.txt.record.name)) return;
    claimedBy.add(o.txt.record.name);
    blockers.push({ labels: o.labels, message });
  };
  const wantTypes = new Set(want.map((d) => d.type));
  const wantsCname = wantTypes.has('CNAME');

  // Record sets at the name: someone else's, or without any owner where we need the name.
  for (const r of registry.byName.get(name) ?? []) {
    const owner = registry.ownerOf(r.name, r.type);
    if (owner && !ours(owner.labels, name)) {
      claim(owner, `${r.type} ${name} is owned by ${describeOwner(owner.labels)}`);
    } else if (owner && (owner.txt.ambiguous || owner.txt.mixed)) {
      claim(owner, `its ownership TXT ${owner.txt.record.name} is shared with other owners or TXT data`);
    } else if (!owner && (wantTypes.has(r.type) || isAddress(r.type) || wantsCname)) {
      blockers.push({ message: `${name} already has a ${r.type} record set that no owner registry claims` });
    } else if (owner && policy !== 'sync' && !wantTypes.has(r.type) && (wantsCname || r.type === 'CNAME')) {
      // Ours, but only sync may delete it to make room (A ↔ CNAME when a load balancer changes kind).
      blockers.push({ labels: owner.labels, message: `our ${r.type} ${name} would have to be deleted first, which --policy=${policy} does not allow` });
    }
  }
  // Ownership TXTs at this name of someone else, with or without their record set: the first
  // record to claim a host keeps it.
  for (const type of OWNABLE_TYPES) {
    const owner = registry.ownerOf(name, type);
    if (owner && !ours(owner.labels, name)) claim(owner, `${name} is claimed by ${describeOwner(owner.labels)} (ownership TXT ${owner.txt.record.name})`);
  }
  for (const d of want) {
    // Whatever sits at the TXT name must be a registry entry of ours, or we would overwrite it.
    const txtName = txtNameFor(name, d.type, registry.cfg);
    const txt = registry.ownershipTxts.get(txtName);
    for (const r of registry.anyByName.get(txtName) ?? []) {
      if (r.type === 'CNAME' || (r.type === 'TXT' && !txt)) {
        blockers.push({ message: `the ownership TXT name ${txtName} already holds a ${r.type} record set that is no registry entry` });
      }
    }
    if (txt && ours(txt.labels) && (txt.mixed || txt.ambiguous)) {
      blockers.push({ labels: txt.labels, message: `the ownership TXT ${txtName} also holds other TXT data or owners` });
    }
  }
  // A CNAME stands alone: an old-format ownership TXT at the name itself cannot stay beside it.
  if (wantsCname && registry.ownershipTxts.has(name)) {
    blockers.push({ message: `${name} holds an old-format ownership TXT, which cannot coexist with a CNAME` });
  }
  return blockers;
}

/** The names above `name` in `zone`, nearest first, the apex included. */
export function namesAbove(name: string, zone: string): string[] {
  const out: string[] = [];
  let n = name;
  while (n !== zone && n.includes('.')) {
    n = n.slice(n.indexOf('.') + 1);
    out.push(n);
    if (!isInZone(n, zone)) break;
  }
  return out.filter((a) => isInZone(a, zone));
}

/**
 * Where the provider answers a name with everything below it (CoreDNS etcd), a name is written
 * only if the answers of other owners stay theirs and ours stay ours: a record set above `name`
 * that is not ours (someone else's, or no owner's) would gain our records in its answer, and one
 * below `name` that is not ours would put its records in our answer. Either is their name or
 * their records in ours: nothing is written (OwnershipConflict naming them).
 */
function shadowed(name: string, zone: string, registry: ZoneRegistry, ours: (labels: OwnerLabels | undefined) => boolean): Blocker[] {
  const foreign = (at: string): { record: DnsRecord; who: string; labels?: OwnerLabels } | undefined => {
    for (const r of registry.byName.get(at) ?? []) {
      const owner = registry.ownerOf(r.name, r.type);
      if (owner && ours(owner.labels)) continue;
      return { record: r, who: owner ? describeOwner(owner.labels) : 'no owner registry', ...(owner ? { labels: owner.labels } : {}) };
    }
    return undefined;
  };
  for (const above of namesAbove(name, zone)) {
    const f = foreign(above);
    if (f) return [{ ...(f.labels ? { labels: f.labels } : {}), message: `writing ${name} would change the answer for ${f.record.type} ${above}, held by ${f.who}: this provider answers a name with every record below it` }];
  }
  for (const below of namesBelow(name, registry)) {
    const f = foreign(below);
    if (f) return [{ ...(f.labels ? { labels: f.labels } : {}), message: `${name} would be answered with ${f.record.type} ${below} too, held by ${f.who}: this provider answers a name with every record below it` }];
  }
  return [];
}

/** The names strictly below `name` holding record sets (ownership TXTs aside), in name order. */
export function namesBelow(name: string, registry: { byName: ReadonlyMap<string, unknown> }): string[] {
  const suffix = `.${name}`;
  return [...registry.byName.keys()].filter((n) => n.endsWith(suffix)).sort(cmp);
}

function isAddress(type: string): boolean {
  return type === 'A' || type === 'AAAA' || type === 'CNAME';
}

function conflictOf(d: DnsRecord, zone: string, blocker: Blocker): Conflict {
  const owner = blocker.labels?.['owner'];
  const resource = blocker.labels?.['resource'];
  return {
    name: d.name,
    type: d.type,
    zone,
    ...(owner !== undefined ? { owner } : {}),
    ...(resource !== undefined ? { resource } : {}),
    message: `${d.type} ${d.name} not written: ${blocker.message}`,
  };
}

function sameRecord(a: DnsRecord, b: DnsRecord): boolean {
  if (a.ttl !== b.ttl) return false;
  const ta = normaliseTargets(a.type, a.targets);
  const tb = normaliseTargets(b.type, b.targets);
  return ta.length === tb.length && ta.every((t, i) => t === tb[i]);
}

function groupByName(records: DnsRecord[]): Map<string, DnsRecord[]> {
  const map = new Map<string, DnsRecord[]>();
  for (const r of records) map.set(r.name, [...(map.get(r.name) ?? []), r]);
  return map;
}

function sortChanges(changes: Change[]): Change[] {
  return changes.sort((a, b) => cmp(a.record.name, b.record.name) || cmp(a.record.type, b.record.type));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
