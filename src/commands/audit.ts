// `mcdns audit --provider P --zone Z`: who owns what in a zone, for DNS teams. A table by default
// (--output json for scripts). Exit code 0 when clean, 1 when orphan ownership TXTs exist or
// (subtree providers) a record set changes the answer of another owner's name above it or is
// answered with another owner's records below it, 2 when the provider could not be read.
import { auditReport, type AuditEntry, type AuditReport } from '../plan/audit.js';
import { describeError } from '../errors.js';
import { normaliseName } from '../core/names.js';
import type { OwnershipConfig } from '../plan/ownership.js';
import type { Provider } from '../../providers/provider.js';

export interface AuditOptions {
  provider: Provider;
  ownership: OwnershipConfig;
  /** Zones to audit (--zone, repeatable); default every zone of the provider. */
  zones?: string[];
  output?: 'table' | 'json';
}

export interface CommandResult {
  exitCode: number;
  output: string;
}

export async function runAudit(opts: AuditOptions): Promise<CommandResult> {
  let report: AuditReport;
  try {
    const zones = opts.zones && opts.zones.length > 0 ? opts.zones.map(normaliseName) : await opts.provider.zones();
    const read: Array<{ zone: string; records: Awaited<ReturnType<Provider['records']>> }> = [];
    for (const zone of zones) read.push({ zone, records: await opts.provider.records(zone) });
    report = auditReport(opts.ownership.ownerId, read, opts.ownership, { answersSubtree: opts.provider.answersSubtree === true });
  } catch (err) {
    return { exitCode: 2, output: `mcdns audit: cannot read ${opts.provider.name}: ${describeError(err)}\n` };
  } finally {
    await opts.provider.close?.();
  }
  const exitCode = report.summary['orphan-txt'] > 0 || report.shadowing > 0 || report.shadowed > 0 ? 1 : 0;
  const output = opts.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : auditTable(report);
  return { exitCode, output };
}

const STATUS_TEXT: Record<AuditEntry['status'], string> = {
  owned: 'owned',
  'other-owner': 'other owner',
  'no-owner': 'no owner',
  'orphan-txt': 'ORPHAN TXT',
};

export function auditTable(report: AuditReport): string {
  const multiZone = report.zones.length > 1;
  const header = [...(multiZone ? ['ZONE'] : []), 'NAME', 'TYPE', 'TTL', 'STATUS', 'OWNER', 'RESOURCE', 'TARGETS'];
  const rows = report.entries.map((e) => [
    ...(multiZone ? [e.zone] : []),
    e.name,
    e.type,
    String(e.ttl),
    `${STATUS_TEXT[e.status]}${e.shared ? ' (shared)' : ''}${e.shadows ? `, SHADOWS ${e.shadows}` : ''}${e.shadowedBy ? `, ANSWERS WITH ${e.shadowedBy}` : ''}`,
    e.owner ?? '-',
    e.resource ?? '-',
    e.status === 'orphan-txt' ? `(for ${e.ownedRecord ?? 'unknown'})` : shorten(e.targets.join(',')),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  const s = report.summary;
  const summary =
    `${report.entries.length - s['orphan-txt']} record sets in ${report.zones.join(', ')}: ` +
    `${s.owned} owned by "${report.ownerId}", ${s['other-owner']} by other owners, ${s['no-owner']} without owner; ` +
    `${s['orphan-txt']} orphan ownership TXT${s['orphan-txt'] === 1 ? '' : 's'}` +
    (report.shadowing > 0 ? `; ${report.shadowing} record set${report.shadowing === 1 ? '' : 's'} changing the answer of another owner's name above` : '') +
    (report.shadowed > 0 ? `; ${report.shadowed} record set${report.shadowed === 1 ? '' : 's'} answered with another owner's records below` : '');
  return [line(header), ...rows.map(line), '', summary, ''].join('\n');
}

function shorten(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
