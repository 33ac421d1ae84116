// The fault matrix's bookkeeping: what the zone and the DNSEndpoints should hold, what they held
// while a fault lasted (sampled straight from PowerDNS, not through the controller's proxy), and
// one row of the table per fault: survived, records lost, foreign records touched, stale records
// left, recovery seconds.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { PdnsRRset, PowerDnsHandle } from '../env/powerdns.js';

/** DNS name (no trailing dot) → sorted A targets. A name absent from the map must not exist. */
export type Expected = Map<string, string[]>;

export interface ZoneView {
  /** Our A rrsets: every A rrset that is neither foreign nor the zone's own (ns1). */
  a: Map<string, string[]>;
  /** Names whose ownership TXT (ours) exists, as the name of the TXT rrset. */
  ownershipTxt: Set<string>;
  /** Foreign rrsets, "name type" → canonical JSON. */
  foreign: Map<string, string>;
}

const bare = (n: string): string => n.replace(/\.$/, '');
const sorted = (a: string[]): string[] => [...a].sort();
const same = (a: string[] | undefined, b: string[] | undefined): boolean => (a ?? []).join(',') === (b ?? []).join(',');

/** Reads and classifies the zone. `foreignKeys`: "name type" of the rrsets seeded by others. */
export async function readZone(pdns: PowerDnsHandle, zone: string, owner: string, foreignKeys: Set<string>): Promise<ZoneView> {
  const rrsets: PdnsRRset[] = await pdns.rrsets(zone);
  const view: ZoneView = { a: new Map(), ownershipTxt: new Set(), foreign: new Map() };
  for (const r of rrsets) {
    const name = bare(r.name);
    const key = `${name} ${r.type}`;
    if (foreignKeys.has(key)) {
      view.foreign.set(key, canonical(r));
      continue;
    }
    if (r.type === 'A' && name !== `ns1.${zone}`) view.a.set(name, sorted(r.records.filter((x) => !x.disabled).map((x) => x.content)));
    if (r.type === 'TXT' && r.records.some((x) => x.content.includes(`external-dns/owner=${owner},`) || x.content.includes(`external-dns/owner=${owner}"`))) {
      view.ownershipTxt.add(name);
    }
  }
  return view;
}

/** An rrset as bytes to compare: everything PowerDNS returns, records in order. */
function canonical(r: PdnsRRset): string {
  return JSON.stringify({ ...r, records: [...r.records].sort((a, b) => (a.content < b.content ? -1 : 1)) });
}

/** The A targets of every DNSEndpoint in a namespace, by DNS name. */
export async function readDnsEndpoints(kc: KubeConfig, namespace: string): Promise<{ a: Map<string, string[]>; versions: Map<string, string> }> {
  const list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: 'externaldns.k8s.io', version: 'v1alpha1', namespace, plural: 'dnsendpoints',
  })) as { items: Array<{ metadata: { name: string; resourceVersion: string }; spec?: { endpoints?: Array<{ dnsName: string; recordType: string; targets?: string[] }> } }> };
  const a = new Map<string, string[]>();
  const versions = new Map<string, string>();
  for (const ep of list.items) {
    versions.set(ep.metadata.name, ep.metadata.resourceVersion);
    for (const e of ep.spec?.endpoints ?? []) {
      if (e.recordType !== 'A') continue;
      a.set(bare(e.dnsName), sorted([...(a.get(bare(e.dnsName)) ?? []), ...(e.targets ?? [])]));
    }
  }
  return { a, versions };
}

/** Names (and why) where `have` differs from `want`: a missing target is lost, an extra one stale. */
export function compare(want: Expected, have: Map<string, string[]>): { lost: Map<string, string>; stale: Map<string, string> } {
  const lost = new Map<string, string>();
  const stale = new Map<string, string>();
  for (const [name, targets] of want) {
    const got = have.get(name) ?? [];
    const missing = targets.filter((t) => !got.includes(t));
    if (missing.length > 0) lost.set(name, `missing ${missing.join(',')}`);
  }
  for (const [name, got] of have) {
    const extra = got.filter((t) => !(want.get(name) ?? []).includes(t));
    if (extra.length > 0) stale.set(name, `extra ${extra.join(',')}`);
  }
  return { lost, stale };
}

interface Sample {
  at: number;
  a: Map<string, string[]>;
}

/** Reads the zone every intervalMs until stopped; read errors (PowerDNS itself down) skip a sample. */
export class ZoneSampler {
  readonly samples: Sample[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(read: () => Promise<ZoneView>, intervalMs = 250) {
    this.loop = (async () => {
      while (this.running) {
        const at = Date.now();
        try {
          this.samples.push({ at, a: (await read()).a });
        } catch {
          // no sample
        }
        await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - at))));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

export interface RowResult {
  case: string;
  survived: boolean;
  lost: number;
  touched: number;
  stale: number;
  /** Fault end → zone correct, seconds; undefined: never correct. */
  recoveryS: number | undefined;
  /** PowerDNS writes by the controllers during the row. */
  writes: number;
  notes: string[];
  /** Why the row fails, if it does. */
  failures: string[];
}

export interface RowCheck {
  /** What the zone held before the fault and must hold after recovery. */
  pre: Expected;
  post: Expected;
  /** Targets the fault may remove for a while (e.g. an offline member's), at a sample's time. */
  mayDrop?: (name: string, at: number) => string[];
  faultEnd: number;
  samples: Sample[];
  zone: ZoneView;
  dnsEndpoints: Map<string, string[]>;
  foreignBefore: Map<string, string>;
  survived: boolean;
  writes: number;
  notes?: string[];
  failures?: string[];
}

/**
 * Judges one row. Lost: a name that, in any sample or at the end, lacked a target it had before
 * and after the fault (and the fault may not remove), or lacks its ownership TXT. Stale: a name
 * that, in any sample, held a target it had neither before nor after (a resurrection), or at the
 * end holds more than it should, in PowerDNS or in a DNSEndpoint.
 */
export function judge(name: string, c: RowCheck): RowResult {
  const lost = new Map<string, string>();
  const stale = new Map<string, string>();
  for (const s of c.samples) {
    for (const [n, pre] of c.pre) {
      const post = c.post.get(n) ?? [];
      const drop = c.mayDrop?.(n, s.at) ?? [];
      const keep = pre.filter((t) => post.includes(t) && !drop.includes(t));
      const got = s.a.get(n) ?? [];
      const missing = keep.filter((t) => !got.includes(t));
      if (missing.length > 0 && !lost.has(n)) lost.set(n, `${missing.join(',')} gone at +${((s.at - c.faultEnd) / 1000).toFixed(1)} s`);
    }
    for (const [n, got] of s.a) {
      const allowed = new Set([...(c.pre.get(n) ?? []), ...(c.post.get(n) ?? [])]);
      const extra = got.filter((t) => !allowed.has(t));
      if (extra.length > 0 && !stale.has(n)) stale.set(n, `${extra.join(',')} appeared at +${((s.at - c.faultEnd) / 1000).toFixed(1)} s`);
    }
  }
  for (const [where, have] of [['PowerDNS', c.zone.a], ['DNSEndpoint', c.dnsEndpoints]] as const) {
    const d = compare(c.post, have);
    for (const [n, why] of d.lost) if (!lost.has(n)) lost.set(n, `${where}: ${why}`);
    for (const [n, why] of d.stale) if (!stale.has(n)) stale.set(n, `${where}: ${why}`);
  }
  for (const [n, targets] of c.post) {
    if (targets.length > 0 && !c.zone.ownershipTxt.has(`a-${n}`) && !c.zone.ownershipTxt.has(n) && !lost.has(n)) lost.set(n, 'no ownership TXT');
  }
  // An ownership TXT of a name that holds no A rrset of ours any more is stale too.
  for (const txt of c.zone.ownershipTxt) {
    const owned = txt.startsWith('a-') ? txt.slice(2) : txt;
    if ((c.post.get(owned) ?? []).length === 0 && !stale.has(owned)) stale.set(owned, `ownership TXT ${txt} left`);
  }
  let touched = 0;
  const touchedNames: string[] = [];
  for (const [key, before] of c.foreignBefore) {
    if (c.zone.foreign.get(key) !== before) {
      touched++;
      touchedNames.push(key);
    }
  }
  const recoveryS = recovery(c);
  const notes = [...(c.notes ?? [])];
  const failures = [...(c.failures ?? [])];
  if (!c.survived) failures.push('did not survive');
  if (lost.size > 0) failures.push(`lost: ${[...lost].map(([n, w]) => `${n} (${w})`).slice(0, 4).join('; ')}`);
  if (stale.size > 0) failures.push(`stale: ${[...stale].map(([n, w]) => `${n} (${w})`).slice(0, 4).join('; ')}`);
  if (touched > 0) failures.push(`foreign touched: ${touchedNames.join(', ')}`);
  if (recoveryS === undefined) failures.push('zone never correct after the fault');
  return { case: name, survived: c.survived, lost: lost.size, touched, stale: stale.size, recoveryS, writes: c.writes, notes, failures };
}

/** Fault end → the first sample from which on every sample equals `post` (0 if it never differed after). */
function recovery(c: RowCheck): number | undefined {
  const ok = (s: Sample): boolean => [...c.post].every(([n, t]) => same(s.a.get(n), t)) && [...s.a.keys()].every((n) => c.post.has(n) || (s.a.get(n) ?? []).length === 0);
  let from: Sample | undefined;
  for (const s of c.samples) {
    if (!ok(s)) from = undefined;
    else if (!from) from = s;
  }
  if (!from) return undefined;
  return Math.max(0, (from.at - c.faultEnd) / 1000);
}

/** The table, markdown-ish, one line per row. */
export function table(rows: RowResult[]): string {
  const head = ['case', 'survived', 'records lost', 'foreign touched', 'stale left', 'recovery s', 'DNS writes', 'notes'];
  const lines = rows.map((r) => [
    r.case,
    r.survived ? 'yes' : 'NO',
    String(r.lost),
    String(r.touched),
    String(r.stale),
    r.recoveryS === undefined ? 'never' : r.recoveryS.toFixed(1),
    String(r.writes),
    [...r.notes, ...r.failures.map((f) => `FAIL ${f}`)].join('; '),
  ]);
  const fmt = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [fmt(head), fmt(head.map(() => '---')), ...lines.map(fmt)].join('\n');
}
