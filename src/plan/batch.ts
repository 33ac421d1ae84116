// Shaping the changes of one zone batch before they are written, with no I/O: grouping a record's
// changes into units a split keeps together, adding up several records' changes to one record
// set, and ordering them so a write stopped half-way never leaves a record without its owner.
import { oldFormatTxtNameFor, recordNamesForTxtName, txtNameFor, type OwnershipConfig } from './ownership.js';
import { recordKey, type Change, type DnsRecord } from './records.js';
import { asOwnershipTxt } from './zone-ownership.js';

/** The changes of one record for one name (with its ownership TXTs): what a split keeps together. */
export interface Unit {
  resource: string;
  changes: Change[];
}

/**
 * The changes of one record grouped by the name they are for: a record set with its ownership
 * TXTs stays in one unit, so a split never writes a record without its owner.
 */
export function unitsOf(resource: string, changes: Change[], cfg: OwnershipConfig): Unit[] {
  const units = new Map<string, Unit>();
  const txtOf = new Map<string, string>();
  for (const c of changes) {
    if (isOwnershipTxt(c.record)) continue;
    txtOf.set(txtNameFor(c.record.name, c.record.type, cfg), c.record.name);
    txtOf.set(oldFormatTxtNameFor(c.record.name, cfg), c.record.name);
  }
  for (const c of changes) {
    const name = isOwnershipTxt(c.record)
      ? (txtOf.get(c.record.name) ?? recordNamesForTxtName(c.record.name, cfg)[0] ?? c.record.name)
      : c.record.name;
    let unit = units.get(name);
    if (!unit) units.set(name, (unit = { resource, changes: [] }));
    unit.changes.push(c);
  }
  return [...units.values()];
}

function isOwnershipTxt(r: DnsRecord): boolean {
  return r.type === 'TXT' && asOwnershipTxt(r) !== undefined;
}

/**
 * Several records' changes to one record set in one batch become the one change they add up to,
 * taken in the order they were planned. A name handed over within one batch window is the case:
 * the old holder's deletes and the new holder's creates of the same record set and ownership TXT,
 * which ordered by phase alone would undo each other (the new TXT written, then the old holder's
 * delete of that TXT name removing it).
 */
export function netChanges(changes: Change[]): Change[] {
  const byKey = new Map<string, Change>();
  for (const c of changes) {
    const key = recordKey(c.record.name, c.record.type);
    const prev = byKey.get(key);
    if (!prev) {
      byKey.set(key, c);
      continue;
    }
    // What the provider holds before the batch: nothing after a create, else what was read.
    const before = prev.action === 'create' ? undefined : (prev.previous ?? prev.record);
    byKey.delete(key); // re-inserted at the later change's place in the order
    if (c.action === 'delete') {
      if (before) byKey.set(key, { action: 'delete', record: before, previous: before });
    } else {
      byKey.set(key, before ? { action: 'update', record: c.record, previous: before } : { action: 'create', record: c.record });
    }
  }
  return [...byKey.values()];
}

/**
 * Ownership TXTs written first, then record sets deleted, then written, then TXTs deleted: a
 * provider that writes in several requests and stops half-way leaves at worst an orphan TXT of
 * ours (repaired by the next plan), never a record without its owner.
 */
export function orderForWriting(changes: Change[]): Change[] {
  const phase = (c: Change): number => {
    const txt = isOwnershipTxt(c.record);
    if (c.action === 'delete') return txt ? 3 : 1;
    return txt ? 0 : 2;
  };
  return changes.map((c, i) => ({ c, i, p: phase(c) })).sort((a, b) => a.p - b.p || a.i - b.i).map((x) => x.c);
}
