// Informer transforms for the host caches: what a cached object keeps of what the API server
// sent. controller-runtime's cache.TransformStripManagedFields is the model; these also keep V8
// from turning every cached metadata object into a dictionary (a `delete` does that, and a
// dictionary costs about 450 bytes more per object than the same fields in a fast object).

/** The metadata fields these transforms read; any object with (or without) metadata fits. */
interface Metadata {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
  finalizers?: string[];
  deletionTimestamp?: unknown;
  managedFields?: unknown;
}
type Cacheable = { apiVersion?: string; kind?: string; metadata?: Metadata; spec?: unknown };

/** kubectl apply's copy of the whole object as last applied: often as large as the object. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * The object without metadata.managedFields and the last-applied-configuration annotation.
 * mcdns never reads either; only write back a cached object with a patch (an update without
 * managedFields leaves them as they are, but one without an annotation deletes it).
 */
export function stripManagedFields<T extends object>(o: T): T {
  const m = (o as Cacheable).metadata;
  if (!m) return o;
  // Rebuilt rather than `delete`d: see the top of this file.
  const { managedFields: _managedFields, annotations, ...rest } = m;
  const kept = annotations && LAST_APPLIED_ANNOTATION in annotations ? withoutKey(annotations, LAST_APPLIED_ANNOTATION) : annotations;
  return { ...o, metadata: { ...rest, ...(kept ? { annotations: kept } : {}) } };
}

/**
 * What mcdns reads of one of its DNSEndpoints (spec, labels, ownerReferences) and what it must
 * send back when it replaces one (identity, resourceVersion, annotations and finalizers, which
 * an update without them deletes). The rest (status written by ExternalDNS, uid, timestamps,
 * managedFields) stays on the API server.
 */
export function dnsEndpointCacheEntry<T extends object>(object: T): T {
  const o = object as Cacheable;
  const m = o.metadata ?? {};
  const metadata: Metadata = { name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion };
  if (m.labels) metadata.labels = m.labels;
  if (m.annotations) metadata.annotations = m.annotations;
  if (m.ownerReferences) metadata.ownerReferences = m.ownerReferences;
  if (m.finalizers) metadata.finalizers = m.finalizers;
  if (m.deletionTimestamp) metadata.deletionTimestamp = m.deletionTimestamp;
  return { apiVersion: o.apiVersion, kind: o.kind, metadata, spec: o.spec } as T;
}

function withoutKey(map: Record<string, string>, key: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let any = false;
  for (const [k, v] of Object.entries(map)) {
    if (k === key) continue;
    out[k] = v;
    any = true;
  }
  return any ? out : undefined;
}
