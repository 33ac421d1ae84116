// Run-time validation of admins' objects with the same schemas the CRDs are generated from.
// Problems carry the field path (spec.hosts[1]) so a status condition, an Event or the
// `mcdns validate` CLI can name the exact field.
//
// Two things make it agree with the API server's verdict, not only with the schema's shapes:
// the CEL rules of the CRDs (x-kubernetes-validations) run here through their JavaScript twins
// (rules.ts NAME_RULES), and fields the schema does not know are errors, as the API server's
// strict field validation (kubectl's default) makes them.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema } from '@sinclair/typebox';
import { DNSNamePolicyKind, DomainKind, IngressDNSRecordKind, RouteDNSRecordKind, ServiceDNSRecordKind, type KindDef } from './kinds.js';
import { ROUTE_RULES } from './route-ref.js';
import { NAME_RULES, type NameRule } from './rules.js';

export interface Problem {
  path: string;
  message: string;
}

const ajv = new Ajv({ allErrors: true, verbose: true, strict: false });
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });

const twins = new Map<string, NameRule>([...Object.values(NAME_RULES), ...Object.values(ROUTE_RULES)].map((r: NameRule) => [r.rule, r]));
type CelRule = { rule: string; message: string };
ajv.addKeyword({
  keyword: 'x-kubernetes-validations',
  schemaType: 'array',
  compile(rules: CelRule[]) {
    const checks = rules.map((r) => {
      const twin = twins.get(r.rule);
      if (!twin) throw new Error(`CEL rule without a JavaScript twin in NAME_RULES: ${r.rule}`);
      return twin;
    });
    const check = (data: unknown): boolean => {
      const failed = checks.filter((c) => !c.test(data));
      check.errors = failed.map((c) => ({ keyword: 'x-kubernetes-validations', message: c.message, params: { rule: c.rule } }));
      return failed.length === 0;
    };
    check.errors = [] as Partial<ErrorObject>[];
    return check;
  },
});

/**
 * The schema with unknown fields forbidden wherever the CRD would prune them: every object that
 * lists its properties and does not keep unknown ones (metadata does).
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === 'x-kubernetes-validations' ? v : strict(v);
  if (out.type === 'object' && out.properties !== undefined && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

const validatedKinds: KindDef[] = [IngressDNSRecordKind, ServiceDNSRecordKind, RouteDNSRecordKind, DomainKind, DNSNamePolicyKind];
const compiled = new Map<string, ValidateFunction>();

function validatorFor(def: KindDef): ValidateFunction {
  const key = `${def.group}/${def.kind}`;
  let fn = compiled.get(key);
  if (!fn) {
    fn = ajv.compile(strict(def.schema as TSchema) as TSchema);
    compiled.set(key, fn);
  }
  return fn;
}

/** /spec/hosts/0 → spec.hosts[0] */
export function fieldPath(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').slice(1);
  if (child) parts.push(child);
  return parts
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(e: ErrorObject): Problem {
  const schema = (e.parentSchema ?? {}) as { description?: string };
  switch (e.keyword) {
    case 'required':
      return { path: fieldPath(e.instancePath, String(e.params.missingProperty)), message: 'required field is missing' };
    case 'pattern':
      return {
        path: fieldPath(e.instancePath),
        message: `${JSON.stringify(e.data)} is not valid: must be ${schema.description ?? `match ${String(e.params.pattern)}`}`,
      };
    case 'additionalProperties':
      return { path: fieldPath(e.instancePath, String(e.params.additionalProperty)), message: 'unknown field' };
    case 'x-kubernetes-validations':
      return {
        path: fieldPath(e.instancePath),
        message: typeof e.data === 'string' ? `${JSON.stringify(e.data)} is not valid: ${e.message ?? ''}` : (e.message ?? 'invalid'),
      };
    case 'maximum':
    case 'minimum':
      return { path: fieldPath(e.instancePath), message: `${JSON.stringify(e.data)} is out of range: ${e.message ?? ''}` };
    default:
      return { path: fieldPath(e.instancePath), message: e.message ?? e.keyword };
  }
}

/** The kind definition an object claims to be, if mcdns validates that kind. */
export function kindOf(obj: { apiVersion?: unknown; kind?: unknown }): KindDef | undefined {
  return validatedKinds.find((d) => obj.apiVersion === `${d.group}/${d.version}` && obj.kind === d.kind);
}

export function validateObject(obj: unknown): Problem[] {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return [{ path: '', message: 'not a Kubernetes object' }];
  }
  const o = obj as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  const def = kindOf(o);
  if (!def) {
    const known = validatedKinds.map((d) => `${d.group}/${d.version} ${d.kind}`).join(', ');
    return [{ path: 'kind', message: `${String(o.apiVersion)} ${String(o.kind)} is not one of ${known}` }];
  }
  const problems: Problem[] = [];
  if (typeof o.metadata?.name !== 'string' || o.metadata.name === '') {
    problems.push({ path: 'metadata.name', message: 'required field is missing' });
  }
  const validate = validatorFor(def);
  if (!validate(obj)) {
    // status is written by the controller; an admin's YAML is judged on what the admin owns.
    for (const e of validate.errors ?? []) if (!e.instancePath.startsWith('/status')) problems.push(describe(e));
  }
  return dedupe(problems);
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function formatProblems(problems: Problem[]): string {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
}
