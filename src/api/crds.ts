// Turns the TypeBox schemas into CustomResourceDefinitions. Kubernetes accepts only a
// structural subset of JSON Schema, so the conversion keeps the keywords CRDs allow and
// rewrites the few TypeBox spells differently (Record → additionalProperties, literal
// unions → enum, open objects → x-kubernetes-preserve-unknown-fields).
import type { KindDef } from './kinds.js';

type Json = Record<string, unknown>;

const kept = [
  'type', 'description', 'format', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength',
  'minItems', 'maxItems', 'enum', 'default', 'x-kubernetes-validations',
] as const;

function structural(schema: Json): Json {
  const out: Json = {};
  for (const key of kept) if (schema[key] !== undefined) out[key] = schema[key];

  const anyOf = schema.anyOf as Json[] | undefined;
  if (anyOf && anyOf.every((s) => 'const' in s)) {
    return { ...out, type: typeof anyOf[0]?.const === 'number' ? 'integer' : 'string', enum: anyOf.map((s) => s.const) };
  }
  if (schema.type === 'array' && schema.items) out.items = structural(schema.items as Json);
  if (schema.type === 'object') {
    const props = schema.properties as Record<string, Json> | undefined;
    const patternProps = schema.patternProperties as Record<string, Json> | undefined;
    if (props && Object.keys(props).length > 0) {
      out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, structural(v)]));
      const required = schema.required as string[] | undefined;
      if (required?.length) out.required = required;
      if (schema.additionalProperties === true) out['x-kubernetes-preserve-unknown-fields'] = true;
    } else if (patternProps) {
      const only = Object.values(patternProps)[0];
      if (only) out.additionalProperties = structural(only);
    } else if (schema.additionalProperties !== false) {
      out['x-kubernetes-preserve-unknown-fields'] = true;
    }
  }
  return out;
}

export function crdFor(def: KindDef): Json {
  const root = structural(def.schema as unknown as Json);
  const properties = { ...(root.properties as Json) };
  // The API server owns metadata's schema; a CRD may only say it is an object.
  properties.metadata = { type: 'object' };
  const required = ((root.required as string[] | undefined) ?? []).filter((r) => r !== 'metadata');
  const openAPIV3Schema: Json = { type: 'object', properties };
  if (required.length) openAPIV3Schema.required = required;
  if (root['x-kubernetes-validations']) openAPIV3Schema['x-kubernetes-validations'] = root['x-kubernetes-validations'];

  const version: Json = {
    name: def.version,
    served: true,
    storage: true,
    schema: { openAPIV3Schema },
    additionalPrinterColumns: def.printerColumns,
  };
  if (def.statusSubresource) version.subresources = { status: {} };

  const names: Json = { kind: def.kind, listKind: def.listKind, plural: def.plural, singular: def.singular };
  if (def.shortNames) names.shortNames = def.shortNames;
  if (def.categories) names.categories = def.categories;

  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${def.group}`,
      annotations: { 'mcdns.io/generated-from': 'src/api/schema.ts', ...def.annotations },
    },
    spec: { group: def.group, names, scope: def.scope ?? 'Namespaced', versions: [version] },
  };
}

/**
 * The CRD's file under manifests/crds/. mcdns's own kinds sit at the top, so that
 * `kubectl apply -f manifests/crds/` installs exactly them; the DNSEndpoint ExternalDNS reads is
 * shared by every producer in the cluster and goes in externaldns/ (installed only where it is
 * missing, never deleted by mcdns); KubeFed's kinds, as far as mcdns reads them, go in kubefed/
 * (only for clusters where KubeFed never was: applied over KubeFed's, they would prune its fields).
 */
export function crdFileName(def: KindDef): string {
  const file = `${def.plural}.${def.group}.yaml`;
  if (def.kind === 'DNSEndpoint') return def.group === 'externaldns.k8s.io' ? `externaldns/${file}` : `kubefed/${file}`;
  return def.group === 'core.kubefed.io' ? `kubefed/${file}` : file;
}
