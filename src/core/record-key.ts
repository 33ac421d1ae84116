// A record's identity as the controller passes it around: its kind, namespace and name, and the
// one string form of it ("Kind/namespace/name") that queues, indexes and logs use.
import type { RecordKind } from '../api/schema.js';

export interface RecordKey {
  kind: RecordKind;
  namespace: string;
  name: string;
}

/**
 * The one string id of a namespaced object mcdns tracks: "Kind/namespace/name". Queues, indexes,
 * logs and Event budgets use it for records; the host view uses it for DNSEndpoints too.
 */
export function keyOf(k: { kind: string; namespace: string; name: string }): string {
  return `${k.kind}/${k.namespace}/${k.name}`;
}

export function parseKey(key: string): RecordKey {
  const [kind, namespace, name] = key.split('/') as [RecordKind, string, string];
  return { kind, namespace, name };
}
