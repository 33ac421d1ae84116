// What mcdns knows a zone holds: every record set by name, and which ownership TXTs of ours
// each resource holds there. Read whole once, then kept current from our own confirmed writes
// and from re-reads (drift checks, failures), so planning one resource costs what that resource
// touches, not what the zone holds.
import { normaliseName } from '../core/names.js';
import { OWNABLE_TYPES } from '../plan/plan.js';
import type { Change, DnsRecord } from '../plan/records.js';
import { oldFormatTxtNameFor, recordNamesForTxtName, txtNameFor, type OwnershipConfig } from '../plan/ownership.js';
import { asOwnershipTxt } from '../plan/zone-ownership.js';
import { canonical } from '../core/canonical.js';
import { identityMultiMap } from '../core/multimap.js';

/**
 * The record sets at one name, never two of one type: most names hold one (an A record set and
 * its ownership TXT sit at different names), so one is kept as itself, several as an array.
 * Arrays are replaced on every write, never changed, so a fork shares its parent's until it
 * writes there; an empty array in a fork hides what the parent holds at that name.
 */
type AtName = DnsRecord | readonly DnsRecord[];

function isOne(held: AtName): held is DnsRecord {
  return !Array.isArray(held);
}

function listOf(held: AtName | undefined): readonly DnsRecord[] {
  return held === undefined ? [] : isOne(held) ? [held] : held;
}

function withRecord(held: AtName | undefined, record: DnsRecord): AtName {
  const records = listOf(held);
  const i = records.findIndex((r) => r.type === record.type);
  if (records.length === 0 || (records.length === 1 && i === 0)) return record;
  return i < 0 ? [...records, record] : records.map((r, j) => (j === i ? record : r));
}

function withoutType(held: AtName | undefined, type: string): AtName {
  const rest = listOf(held).filter((r) => r.type !== type);
  return rest.length === 1 ? (rest[0] as DnsRecord) : rest;
}

/** The record with its name and type normalised: the same object when they already are (most are). */
function normalised(r: DnsRecord): DnsRecord {
  const name = normaliseName(r.name);
  const type = r.type.toUpperCase();
  return name === r.name && type === r.type ? r : { ...r, name, type };
}

/** Record sets by name; reads fall through to a parent for names not written here. */
export class ZoneView {
  protected readonly byName = new Map<string, AtName>();

  constructor(
    readonly zone: string,
    private readonly parent?: ZoneView,
  ) {}

  /** Every record set at `name` (ownership TXTs included). */
  at(name: string): DnsRecord[] {
    return [...listOf(this.held(name))];
  }

  /** The names strictly below `name` holding record sets here (for providers answering subtrees). */
  namesBelow(name: string): string[] {
    const found = new Set(this.parent?.namesBelow(name) ?? []);
    const suffix = `.${name}`;
    for (const n of this.byName.keys()) if (n.endsWith(suffix)) found.add(n);
    return [...found].filter((n) => this.at(n).length > 0);
  }

  /** A view whose writes stay in it: plans made one after the other within one batch see each other. */
  fork(): ZoneView {
    return new ZoneView(this.zone, this);
  }

  apply(changes: readonly Change[]): void {
    for (const c of changes) {
      const r = normalised(c.record);
      if (c.action === 'delete') this.remove(r.name, r.type);
      else this.put(r);
    }
  }

  protected put(record: DnsRecord): void {
    this.byName.set(record.name, withRecord(this.held(record.name), record));
  }

  protected remove(name: string, type: string): void {
    this.byName.set(name, withoutType(this.held(name), type));
  }

  private held(name: string): AtName | undefined {
    return this.byName.get(name) ?? this.parent?.held(name);
  }
}

/** A zone's whole content, with the index of our ownership TXTs by resource. */
export class ZoneContent extends ZoneView {
  /** resource → names of ownership TXTs with our owner id and that resource. */
  private readonly owned = identityMultiMap<string>();
  /** name → the names below it holding records; built when first asked (subtree providers only). */
  private below?: Map<string, Set<string>>;

  /**
   * `previous`: the content this read replaces. A read brings a fresh copy of every record; each
   * one equal to what was held keeps the object held instead (whose strings the desired records
   * share), so a zone that did not change costs one copy of its records, not two.
   */
  constructor(
    zone: string,
    records: readonly DnsRecord[],
    private readonly cfg: OwnershipConfig,
    previous?: ZoneContent,
  ) {
    super(zone);
    for (const r of records) {
      const record = normalised(r);
      this.put(previous?.heldEqual(record) ?? record);
    }
  }

  /** The record set held at the record's name and type when it is the same record set, meta included. */
  private heldEqual(record: DnsRecord): DnsRecord | undefined {
    const held = listOf(this.byName.get(record.name)).find((r) => r.type === record.type);
    return held && sameRecords([held], [record]) && sameMeta(held, record) ? held : undefined;
  }

  /** Names of the ownership TXTs `resource` holds here. */
  ownedBy(resource: string): ReadonlySet<string> {
    return new Set(this.owned.get(resource));
  }

  /** Resources (ours) with an ownership TXT in this zone. */
  owners(): string[] {
    return [...this.owned.keys()];
  }

  /**
   * The resource (ours) whose ownership TXT sits at `name`. Read from the TXT itself, not kept
   * in a map by name as well: lookups are few (a re-read's changed names, writes of TXTs).
   */
  ownerOfTxt(name: string): string | undefined {
    const txt = listOf(this.byName.get(name)).find((r) => r.type === 'TXT');
    return txt && this.ourResource(txt);
  }

  /** Resources of ours owning the record sets at `name` or the TXT at `name` itself. */
  ownersAround(name: string): Set<string> {
    const found = new Set<string>();
    const add = (txtName: string): void => {
      const r = this.ownerOfTxt(txtName);
      if (r !== undefined) found.add(r);
    };
    add(name);
    for (const type of OWNABLE_TYPES) add(txtNameFor(name, type, this.cfg));
    add(oldFormatTxtNameFor(name, this.cfg));
    return found;
  }

  /**
   * Every name a plan for `resource` may read: its desired names and the names it owns, each
   * with every ownership TXT name it can have, so a plan over just these record sets equals a
   * plan over the whole zone.
   */
  namesFor(resource: string, desiredNames: Iterable<string>): Set<string> {
    const base = new Set(desiredNames);
    const names = new Set<string>();
    for (const txt of this.ownedBy(resource)) {
      names.add(txt);
      for (const n of recordNamesForTxtName(txt, this.cfg)) base.add(n);
    }
    for (const n of base) {
      names.add(n);
      for (const type of OWNABLE_TYPES) names.add(txtNameFor(n, type, this.cfg));
      names.add(oldFormatTxtNameFor(n, this.cfg));
    }
    return names;
  }

  override namesBelow(name: string): string[] {
    if (!this.below) {
      this.below = new Map();
      for (const n of this.byName.keys()) this.indexBelow(n);
    }
    return [...(this.below.get(name) ?? [])].filter((n) => this.at(n).length > 0);
  }

  private indexBelow(name: string): void {
    for (let i = name.indexOf('.'); i >= 0 && this.below; i = name.indexOf('.', i + 1)) {
      const above = name.slice(i + 1);
      const set = this.below.get(above) ?? new Set<string>();
      set.add(name);
      this.below.set(above, set);
    }
  }

  /** Names whose record sets differ between this content and `other` (a fresh read). */
  changedNames(other: ZoneContent): Set<string> {
    const changed = new Set<string>();
    for (const [name, held] of this.byName) if (!sameRecords(listOf(held), listOf(other.byName.get(name)))) changed.add(name);
    for (const [name, held] of other.byName) if (!this.byName.has(name) && listOf(held).length > 0) changed.add(name);
    return changed;
  }

  protected override put(record: DnsRecord): void {
    this.unindex(record.name, record.type);
    super.put(record);
    if (this.below) this.indexBelow(record.name);
    const resource = record.type === 'TXT' ? this.ourResource(record) : undefined;
    if (resource !== undefined) this.owned.add(resource, record.name);
  }

  protected override remove(name: string, type: string): void {
    this.unindex(name, type);
    super.remove(name, type);
    if (listOf(this.byName.get(name)).length === 0) this.byName.delete(name);
  }

  private unindex(name: string, type: string): void {
    const resource = type === 'TXT' ? this.ownerOfTxt(name) : undefined;
    if (resource !== undefined) this.owned.remove(resource, name);
  }

  /** The resource a TXT record set names when it is an ownership TXT with our owner id. */
  private ourResource(record: DnsRecord): string | undefined {
    const labels = asOwnershipTxt(record)?.labels;
    return labels?.['owner'] === this.cfg.ownerId ? labels['resource'] : undefined;
  }
}

/**
 * Meta (Azure's etag) equal; most providers keep none, so the common case compares no text —
 * this runs for every record set of a zone at every re-read.
 */
function sameMeta(a: DnsRecord, b: DnsRecord): boolean {
  return a.meta === b.meta || canonical(a.meta ?? {}) === canonical(b.meta ?? {});
}

function sameRecords(a: readonly DnsRecord[], b: readonly DnsRecord[]): boolean {
  if (a.length !== b.length) return false;
  for (const r of a) {
    const o = b.find((x) => x.type === r.type);
    if (!o || o.ttl !== r.ttl || o.targets.length !== r.targets.length) return false;
    const ta = [...r.targets].sort();
    const tb = [...o.targets].sort();
    if (ta.some((t, i) => t !== tb[i])) return false;
  }
  return true;
}
