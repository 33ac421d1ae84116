// The ownership audit of a zone, for DNS teams: every record set with its owner id and owning
// resource, those without an owner, those of other owners, and ownership TXTs whose record set
// is gone (orphans). Pure: one read of the zone in, a report out.
import { recordForTxtName, type OwnershipConfig } from './ownership.js';
import { ZoneRegistry } from './zone-ownership.js';
import type { DnsRecord } from './records.js';
import { namesAbove, namesBelow } from './plan.js';

type AuditStatus =
  /** Owned by our owner id. */
  | 'owned'
  /** Owned by another owner id (another mcdns or an ExternalDNS). */
  | 'other-owner'
  /** No ownership TXT: written by hand or by a tool without a registry. */
  | 'no-owner'
  /** An ownership TXT whose record set no longer exists. */
  | 'orphan-txt';

export interface AuditEntry {
  zone: string;
  name: string;
  type: string;
  ttl: number;
  targets: string[];
  status: AuditStatus;
  owner?: string;
  resource?: string;
  /** The ownership TXT that says so (owned/other-owner/orphan-txt). */
  ownershipTxt?: string;
  /** For an orphan: the record set it stood for, e.g. "A www.example.org". */
  ownedRecord?: string;
  /** The TXT holds registry entries of several owners, or other TXT data besides. */
  shared?: boolean;
  /**
   * On a provider that answers a name with every record below it (CoreDNS etcd): the record set
   * above this one, of another owner, whose answer this one changes ("A other.example.org").
   */
  shadows?: string;
  /**
   * On such a provider: the record set below this one, of another owner, that this one's answer
   * includes ("A evil.www.example.org") — someone else's records answered for this name.
   */
  shadowedBy?: string;
}

export interface AuditReport {
  ownerId: string;
  zones: string[];
  entries: AuditEntry[];
  summary: Record<AuditStatus, number>;
  /** Record sets that change the answer of another owner's name above them (subtree providers). */
  shadowing: number;
  /** Record sets whose answer includes another owner's records below them (subtree providers). */
  shadowed: number;
}

export interface AuditZoneOptions {
  /** The provider answers a name with every record below it: report shadowing. */
  answersSubtree?: boolean;
}

function auditZone(zone: string, records: readonly DnsRecord[], cfg: OwnershipConfig, opts: AuditZoneOptions = {}): AuditEntry[] {
  const registry = new ZoneRegistry(zone, records, cfg);
  const entries: AuditEntry[] = [];
  const holder = (name: string, type: string): string => {
    const o = registry.ownerOf(name, type)?.labels;
    return o ? `${o['owner'] ?? '?'}|${o['resource'] ?? '?'}` : 'none';
  };
  /** The first record set at one of `names` whose holder is not r's: "A name (owner x)". */
  const otherAt = (r: DnsRecord, names: string[]): string | undefined => {
    const mine = holder(r.name, r.type);
    for (const at of names) {
      for (const s of registry.byName.get(at) ?? []) {
        if (holder(s.name, s.type) === mine) continue;
        const who = registry.ownerOf(s.name, s.type)?.labels['owner'];
        return `${s.type} ${at} (${who === undefined ? 'no owner' : `owner ${who}`})`;
      }
    }
    return undefined;
  };
  const around = (r: DnsRecord): { shadows?: string; shadowedBy?: string } => {
    if (!opts.answersSubtree) return {};
    const shadows = otherAt(r, namesAbove(r.name, zone));
    const shadowedBy = otherAt(r, namesBelow(r.name, registry));
    return { ...(shadows ? { shadows } : {}), ...(shadowedBy ? { shadowedBy } : {}) };
  };
  for (const r of registry.records.values()) {
    const owner = registry.ownerOf(r.name, r.type);
    const base = { zone, name: r.name, type: r.type, ttl: r.ttl, targets: r.targets, ...around(r) };
    if (!owner) {
      entries.push({ ...base, status: 'no-owner' });
      continue;
    }
    const id = owner.labels['owner'];
    entries.push({
      ...base,
      status: id === cfg.ownerId ? 'owned' : 'other-owner',
      ...(id !== undefined ? { owner: id } : {}),
      ...(owner.labels['resource'] !== undefined ? { resource: owner.labels['resource'] } : {}),
      ownershipTxt: owner.txt.record.name,
      ...(owner.txt.ambiguous || owner.txt.mixed ? { shared: true } : {}),
    });
  }
  for (const txt of registry.orphans()) {
    const stood = recordForTxtName(txt.record.name, cfg);
    entries.push({
      zone,
      name: txt.record.name,
      type: 'TXT',
      ttl: txt.record.ttl,
      targets: txt.record.targets,
      status: 'orphan-txt',
      ...(txt.labels['owner'] !== undefined ? { owner: txt.labels['owner'] } : {}),
      ...(txt.labels['resource'] !== undefined ? { resource: txt.labels['resource'] } : {}),
      ownershipTxt: txt.record.name,
      ...(stood ? { ownedRecord: `${stood.type ?? 'any type'} ${stood.name}` } : {}),
    });
  }
  return entries.sort((a, b) => cmp(a.name, b.name) || cmp(a.type, b.type));
}

export function auditReport(
  ownerId: string,
  zones: Array<{ zone: string; records: readonly DnsRecord[] }>,
  cfg: OwnershipConfig,
  opts: AuditZoneOptions = {},
): AuditReport {
  const entries = zones.flatMap((z) => auditZone(z.zone, z.records, cfg, opts));
  const summary: Record<AuditStatus, number> = { owned: 0, 'other-owner': 0, 'no-owner': 0, 'orphan-txt': 0 };
  for (const e of entries) summary[e.status]++;
  const shadowing = entries.filter((e) => e.shadows !== undefined).length;
  const shadowed = entries.filter((e) => e.shadowedBy !== undefined).length;
  return { ownerId, zones: zones.map((z) => z.zone), entries, summary, shadowing, shadowed };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
