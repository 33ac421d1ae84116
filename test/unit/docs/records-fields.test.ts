// docs/records.md cannot drift from the schema: each record kind's field table lists exactly the
// spec fields of its schema (nested objects' fields too, but spec.healthCheck's, which
// docs/health-checks.md documents), and every field it names exists.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { IngressDNSRecordKind, RouteDNSRecordKind, ServiceDNSRecordKind, type KindDef } from '../../../src/api/kinds.js';

type Json = { type?: string; properties?: Record<string, Json>; items?: Json };

/** Field paths under spec, as the docs write them: `spec.hosts[]`, `spec.routeRef.kind`. */
function schemaFields(def: KindDef): string[] {
  const spec = (def.schema as unknown as Json).properties?.['spec'];
  const out: string[] = [];
  const walk = (node: Json, path: string): void => {
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const p = `${path}.${name}${child.type === 'array' ? '[]' : ''}`;
      out.push(p);
      if (child.type === 'object' && name !== 'healthCheck') walk(child, p);
    }
  };
  if (spec) walk(spec, 'spec');
  return out.filter((p) => !out.some((other) => other.startsWith(`${p}.`))).sort();
}

/** The first-column `spec.…` cells of the tables under a `## <Kind>` heading of records.md. */
function documentedFields(kind: string): string[] {
  const text = readFileSync('docs/records.md', 'utf8');
  const start = text.indexOf(`\n## ${kind}\n`);
  expect(start, `docs/records.md has a "## ${kind}" section`).to.be.greaterThan(-1);
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^\| `(spec\.[^`]+)` \|/gm)].map((m) => m[1]!).sort();
}

describe('docs/records.md lists the fields of each record kind', () => {
  for (const def of [IngressDNSRecordKind, ServiceDNSRecordKind, RouteDNSRecordKind]) {
    it(`${def.kind}: every spec field of the schema, and none it lacks`, () => {
      expect(documentedFields(def.kind)).to.deep.equal(schemaFields(def));
    });
  }

  it('sees nested fields (a route record\'s routeRef) and leaves healthCheck\'s to docs/health-checks.md', () => {
    const fields = schemaFields(RouteDNSRecordKind);
    expect(fields).to.include.members(['spec.routeRef.kind', 'spec.routeRef.name', 'spec.hosts[]', 'spec.healthCheck']);
    expect(fields).not.to.include('spec.routeRef');
    expect(fields.filter((f) => f.startsWith('spec.healthCheck.'))).to.deep.equal([]);
  });
});
