// `mcdns plan`: what mcdns would change at the live provider for the given records, without
// writing anything — a dry run a DNS team can review. Input: the desired endpoints per resource
// (the controller computes them from the host cluster; desiredFromDNSEndpoints reads them from
// DNSEndpoint YAML as mcdns emits it). Exit code 0 when every record can be published as
// planned, 1 when a conflict or problem would stop part of it, 2 when the provider could not
// be read, or when the input holds no DNSEndpoint (program.ts).
import { parseKubeYaml } from './kube-yaml.js';
import type { DNSEndpoint, Endpoint } from '../api/schema.js';
import { RECORD_KIND_LABEL, RECORD_NAME_LABEL } from '../core/dnsendpoint.js';
import { describeError } from '../errors.js';
import type { RecordPlan } from '../plan/plan.js';
import type { ProviderSink } from '../apply/sink.js';
import type { CommandResult } from './audit.js';

export interface DesiredRecord {
  /** `ingressdnsrecord/<ns>/<name>` or `servicednsrecord/<ns>/<name>`. */
  resource: string;
  endpoints: Endpoint[];
}

export interface PlanOptions {
  sink: ProviderSink;
  desired: DesiredRecord[];
  output?: 'table' | 'json';
}

export async function runPlan(opts: PlanOptions): Promise<CommandResult> {
  const plans: RecordPlan[] = [];
  try {
    for (const d of opts.desired) plans.push(await opts.sink.planRecord(d.resource, d.endpoints));
  } catch (err) {
    return { exitCode: 2, output: `mcdns plan: cannot read ${opts.sink.provider.name}: ${describeError(err)}\n` };
  } finally {
    await opts.sink.close();
  }
  const blocked = plans.some((p) => p.conflicts.length > 0 || p.problems.length > 0);
  const output = opts.output === 'json' ? `${JSON.stringify(plans, null, 2)}\n` : planText(plans);
  return { exitCode: blocked ? 1 : 0, output };
}

/** Terraform-like text: + create, ~ update (with the old targets), - delete, ! conflict, ? problem. */
export function planText(plans: RecordPlan[]): string {
  const lines: string[] = [];
  let creates = 0;
  let updates = 0;
  let deletes = 0;
  let blocked = 0;
  for (const p of plans) {
    lines.push(`${p.resource}:`);
    const before = lines.length;
    for (const z of p.zones) {
      for (const c of z.changes) {
        const r = c.record;
        if (c.action === 'create') {
          creates++;
          lines.push(`  + ${r.type} ${r.name} ${r.ttl} ${r.targets.join(',')}`);
        } else if (c.action === 'update') {
          updates++;
          const was = c.previous ? ` (was ${c.previous.ttl} ${c.previous.targets.join(',')})` : '';
          lines.push(`  ~ ${r.type} ${r.name} ${r.ttl} ${r.targets.join(',')}${was}`);
        } else {
          deletes++;
          lines.push(`  - ${r.type} ${r.name} ${r.ttl} ${r.targets.join(',')}`);
        }
      }
    }
    for (const c of p.conflicts) {
      blocked++;
      lines.push(`  ! ${c.message}`);
    }
    for (const x of p.problems) {
      blocked++;
      lines.push(`  ? ${x.message}`);
    }
    if (lines.length === before) lines.push('  (no changes)');
  }
  lines.push('', `Plan: ${creates} to create, ${updates} to update, ${deletes} to delete, ${blocked} blocked.`, '');
  return lines.join('\n');
}

/**
 * Desired records from DNSEndpoint YAML (`kubectl get dnsendpoints -A -o yaml`, a List or
 * multi-document). The resource comes from mcdns's labels (record kind and name) and the
 * namespace; other DNSEndpoints count as `dnsendpoint/<ns>/<name>`. Objects of other kinds are
 * left out and, when `ignored` is given, named there (`Kind namespace/name`).
 */
export function desiredFromDNSEndpoints(yamlText: string, ignored?: string[]): DesiredRecord[] {
  const objects: DNSEndpoint[] = [];
  for (const doc of parseKubeYaml(yamlText)) {
    if (doc.errors.length > 0) throw new Error(`YAML error: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`);
    const obj: unknown = doc.toJS();
    if (obj === null || typeof obj !== 'object') continue;
    const o = obj as { kind?: string; items?: unknown[] };
    const items = o.kind === 'List' || o.kind === 'DNSEndpointList' ? (o.items ?? []) : [obj];
    for (const item of items) {
      const i = item as { kind?: string; metadata?: { namespace?: string; name?: string } };
      if (i.kind === 'DNSEndpoint') objects.push(item as DNSEndpoint);
      else ignored?.push(`${i.kind ?? '(no kind)'} ${i.metadata?.namespace ? `${i.metadata.namespace}/` : ''}${i.metadata?.name ?? '(no name)'}`);
    }
  }
  return objects.map((o) => {
    const labels = o.metadata.labels ?? {};
    const ns = o.metadata.namespace ?? 'default';
    const kind = labels[RECORD_KIND_LABEL];
    const name = labels[RECORD_NAME_LABEL];
    const resource = kind && name ? `${kind}/${ns}/${name}` : `dnsendpoint/${ns}/${o.metadata.name ?? ''}`;
    return { resource, endpoints: o.spec.endpoints ?? [] };
  });
}
