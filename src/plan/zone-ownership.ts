// The ownership view of one zone: which record set is owned by whom, through which TXT, and
// which ownership TXTs are orphans. Shared by the planner and the audit. Pure.
import { normaliseName } from '../core/names.js';
import {
  oldFormatCovers,
  oldFormatTxtNameFor,
  parseOwnership,
  txtNameFor,
  type OwnerLabels,
  type OwnershipConfig,
} from './ownership.js';
import { recordKey, type DnsRecord } from './records.js';

/** A TXT record set read as ownership data. */
export interface OwnershipTxt {
  record: DnsRecord;
  /** Labels of the (first) registry entry. */
  labels: OwnerLabels;
  /** More than one registry entry with different owners or resources (shared names, Kuadrant style). */
  ambiguous: boolean;
  /** The record set also holds TXT data that is no registry entry (it cannot be replaced whole). */
  mixed: boolean;
}

export interface Ownership {
  labels: OwnerLabels;
  txt: OwnershipTxt;
  format: 'new' | 'old';
}

export class ZoneRegistry {
  readonly zone: string;
  /** Record sets that are not ownership TXTs, by recordKey(name, type). */
  readonly records = new Map<string, DnsRecord>();
  /** Same record sets by name. */
  readonly byName = new Map<string, DnsRecord[]>();
  /** Ownership TXTs by name. */
  readonly ownershipTxts = new Map<string, OwnershipTxt>();
  /** Every record set by name, ownership TXTs included (what a write at that name could hit). */
  readonly anyByName = new Map<string, DnsRecord[]>();

  constructor(zone: string, records: readonly DnsRecord[], readonly cfg: OwnershipConfig) {
    this.zone = zone;
    for (const raw of records) {
      const record = { ...raw, name: normaliseName(raw.name), type: raw.type.toUpperCase() };
      push(this.anyByName, record.name, record);
      const txt = record.type === 'TXT' ? asOwnershipTxt(record) : undefined;
      if (txt) {
        this.ownershipTxts.set(record.name, txt);
        continue;
      }
      this.records.set(recordKey(record.name, record.type), record);
      push(this.byName, record.name, record);
    }
  }

  record(name: string, type: string): DnsRecord | undefined {
    return this.records.get(recordKey(name, type));
  }

  /** Who owns record set name/type: the new-format TXT first, then the old format (not for AAAA). */
  ownerOf(name: string, type: string): Ownership | undefined {
    const txt = this.ownershipTxts.get(txtNameFor(name, type, this.cfg));
    if (txt) return { labels: txt.labels, txt, format: 'new' };
    if (!oldFormatCovers(type)) return undefined;
    const old = this.ownershipTxts.get(oldFormatTxtNameFor(name, this.cfg));
    return old ? { labels: old.labels, txt: old, format: 'old' } : undefined;
  }

  /**
   * Ownership TXT names some record set of `records` can be owned through (new or old format).
   * A TXT whose name is not among them is an orphan: its record is gone.
   */
  static usedTxtNames(records: Iterable<DnsRecord>, cfg: OwnershipConfig): Set<string> {
    const used = new Set<string>();
    for (const r of records) {
      used.add(txtNameFor(r.name, r.type, cfg));
      if (oldFormatCovers(r.type)) used.add(oldFormatTxtNameFor(r.name, cfg));
    }
    return used;
  }

  /** Ownership TXTs of this zone whose record set no longer exists. */
  orphans(): OwnershipTxt[] {
    const used = ZoneRegistry.usedTxtNames(this.records.values(), this.cfg);
    return [...this.ownershipTxts.values()].filter((t) => !used.has(t.record.name));
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A TXT record set read as ownership data, or undefined when it holds no registry entry. */
export function asOwnershipTxt(record: DnsRecord): OwnershipTxt | undefined {
  const entries = record.targets.map(parseOwnership);
  const parsed = entries.filter((e): e is OwnerLabels => e !== undefined);
  const first = parsed[0];
  if (!first) return undefined;
  const who = (l: OwnerLabels): string => `${l['owner'] ?? ''}|${l['resource'] ?? ''}`;
  return {
    record,
    labels: first,
    ambiguous: parsed.some((l) => who(l) !== who(first)),
    mixed: parsed.length < entries.length,
  };
}

/** Whom a label set names, for messages: `owner "x" (resource y)`. */
export function describeOwner(labels: OwnerLabels | undefined): string {
  if (!labels) return 'no owner';
  const owner = labels['owner'] === undefined ? 'an unnamed owner' : `owner "${labels['owner']}"`;
  return labels['resource'] === undefined ? owner : `${owner} (resource ${labels['resource']})`;
}
