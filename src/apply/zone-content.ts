// What mcdns knows a zone holds: every record set by name, and which ownership TXTs of ours
// each resource holds there. Read whole once, then kept current from our own confirmed writes
// and from re-reads (drift checks, failures), so planning one resource costs what that resource
// touches, not what the zone holds.
import { normaliseName } from '../plan/names.js';
import { OWNABLE_TYPES } from '../plan/plan.js';
import type { Change, DnsRecord } from '../plan/records.js';
import { oldFormatTxtNameFor, recordNamesForTxtName, txtNameFor, type OwnershipConfig } from '../registry/ownership.js';
import { asOwnershipTxt } from '../registry/zone.js';

type ByName = Map<string, Map<string, DnsRecord>>;

function normalised(r: DnsRecord): DnsRecord {
  return { ...r, name: normaliseName(r.name), type: r.type.toUpperCase() };
}

/** Record sets by name; reads fall through to a parent for names not written here. */
export class ZoneView {
  protected readonly byName: ByName = new Map();

  constructor(
    readonly zone: string,
    private readonly parent?: ZoneView,
  ) {}

  /** Every record set at `name` (ownership TXTs included). */
  at(name: string): DnsRecord[] {
    const local = this.byName.get(name);
    if (local) return [...local.values()];
    return this.parent?.at(name) ?? [];
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
    this.own(record.name).set(record.type, record);
  }

  protected remove(name: string, type: string): void {
    const types = this.own(name);
    types.delete(type);
  }

  private own(name: string): Map<string, DnsRecord> {
    let types = this.byName.get(name);
    if (!types) {
      types = new Map((this.parent?.at(name) ?? []).map((r) => [r.type, r]));
      this.byName.set(name, types);
    }
    return types;
  }
}

/** A zone's whole content, with the index of our ownership TXTs by resource. */
export class ZoneContent extends ZoneView {
  /** resource → names of ownership TXTs with our owner id and that resource. */
  private readonly owned = new Map<string, Set<string>>();
  /** ownership TXT name → the resource it names (ours only). */
  private readonly ownerAt = new Map<string, string>();

  constructor(
    zone: string,
    records: readonly DnsRecord[],
    private readonly cfg: OwnershipConfig,
  ) {
    super(zone);
    for (const r of records) this.put(normalised(r));
  }

  /** Names of the ownership TXTs `resource` holds here. */
  ownedBy(resource: string): ReadonlySet<string> {
    return this.owned.get(resource) ?? new Set();
  }

  /** Resources (ours) with an ownership TXT in this zone. */
  owners(): string[] {
    return [...this.owned.keys()];
  }

  /** The resource (ours) whose ownership TXT sits at `name`. */
  ownerOfTxt(name: string): string | undefined {
    return this.ownerAt.get(name);
  }

  /** Resources of ours owning the record sets at `name` or the TXT at `name` itself. */
  ownersAround(name: string): Set<string> {
    const found = new Set<string>();
    const add = (txtName: string): void => {
      const r = this.ownerAt.get(txtName);
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

  /** Names whose record sets differ between this content and `other` (a fresh read). */
  changedNames(other: ZoneContent): Set<string> {
    const changed = new Set<string>();
    for (const [name, types] of this.byName) if (!sameTypes(types, other.byName.get(name))) changed.add(name);
    for (const [name, types] of other.byName) if (!this.byName.has(name) && types.size > 0) changed.add(name);
    return changed;
  }

  protected override put(record: DnsRecord): void {
    this.unindex(record.name, record.type);
    super.put(record);
    if (record.type !== 'TXT') return;
    const txt = asOwnershipTxt(record);
    const resource = txt?.labels['resource'];
    if (!txt || txt.labels['owner'] !== this.cfg.ownerId || resource === undefined) return;
    this.ownerAt.set(record.name, resource);
    let set = this.owned.get(resource);
    if (!set) this.owned.set(resource, (set = new Set()));
    set.add(record.name);
  }

  protected override remove(name: string, type: string): void {
    this.unindex(name, type);
    super.remove(name, type);
    if (this.byName.get(name)?.size === 0) this.byName.delete(name);
  }

  private unindex(name: string, type: string): void {
    if (type !== 'TXT') return;
    const resource = this.ownerAt.get(name);
    if (resource === undefined) return;
    this.ownerAt.delete(name);
    const set = this.owned.get(resource);
    set?.delete(name);
    if (set?.size === 0) this.owned.delete(resource);
  }
}

function sameTypes(a: Map<string, DnsRecord>, b: Map<string, DnsRecord> | undefined): boolean {
  if (!b) return a.size === 0;
  if (a.size !== b.size) return false;
  for (const [type, r] of a) {
    const o = b.get(type);
    if (!o || o.ttl !== r.ttl || o.targets.length !== r.targets.length) return false;
    const ta = [...r.targets].sort();
    const tb = [...o.targets].sort();
    if (ta.some((t, i) => t !== tb[i])) return false;
  }
  return true;
}
