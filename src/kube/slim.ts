// Informer transforms for the host caches: what a cached object keeps of what the API server
// sent. controller-runtime's cache.TransformStripManagedFields is the model; these also keep V8
// from turning every cached metadata object into a dictionary (a `delete` does that, and a
// dictionary costs about 450 bytes more per object than the same fields in a fast object).
import { SharedCopies } from '../core/shared-copies.js';

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

/** apiVersion, kind, namespace, finalizers, label values: the same few strings in every cached object. */
const vocabulary = new SharedCopies<string>(1024);
function shared<T>(s: T): T {
  return typeof s === 'string' ? (vocabulary.of(s, () => s) as T) : s;
}

function sharedValues<T extends Record<string, unknown>>(map: T | undefined): T | undefined {
  if (!map) return map;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(map)) out[shared(k)] = shared(v);
  return out as T;
}

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
 * Arrays that grow with the member clusters, kept as JSON text and parsed when read. A record's
 * status.dns and status.targets and a DNSEndpoint's endpoints are read once or twice per
 * reconcile but cached for every record: as text they take about a third of the memory of the
 * parsed objects (one object, array and address string per cluster). The getters answer what
 * the field would, and JSON.stringify (writes, canonical comparisons) sees the fields as
 * written; the texts are private fields, so neither it nor a schema validator sees them.
 */
const pack = (v: unknown): string | undefined => (v === undefined ? undefined : JSON.stringify(v));
const unpack = <T>(text: string | undefined): T | undefined => (text === undefined ? undefined : (JSON.parse(text) as T));

/** A cached record's status: status.dns and status.targets packed, the rest as it came. */
class CachedRecordStatus {
  readonly #dns: string | undefined;
  readonly #targets: string | undefined;

  constructor(status: Record<string, unknown>) {
    const { dns, targets, ...rest } = status;
    Object.assign(this, rest);
    this.#dns = pack(dns);
    this.#targets = pack(targets);
  }

  get dns(): unknown[] | undefined {
    return unpack(this.#dns);
  }

  get targets(): string[] | undefined {
    return unpack(this.#targets);
  }

  toJSON(): Record<string, unknown> {
    return { ...(this as unknown as Record<string, unknown>), dns: this.dns, targets: this.targets };
  }
}

/** A cached DNSEndpoint's spec: the endpoints packed. */
class CachedEndpointsSpec {
  readonly #endpoints: string | undefined;
  readonly #count: number;

  constructor(spec: { endpoints?: unknown[] }) {
    this.#endpoints = pack(spec.endpoints);
    this.#count = spec.endpoints?.length ?? 0;
  }

  /** How many endpoints, without parsing them (what /metrics counts at every scrape). */
  get count(): number {
    return this.#count;
  }

  get endpoints(): unknown[] | undefined {
    return unpack(this.#endpoints);
  }

  toJSON(): Record<string, unknown> {
    return { endpoints: this.endpoints };
  }
}

/** A record as the record caches keep it: stripManagedFields, its recurring strings shared, its status packed. */
export function recordCacheEntry<T extends object>(o: T): T {
  const stripped = stripManagedFields(o) as T & Cacheable & { status?: unknown };
  const out: Cacheable & { status?: unknown } = { ...stripped };
  if (stripped.apiVersion !== undefined) out.apiVersion = shared(stripped.apiVersion);
  if (stripped.kind !== undefined) out.kind = shared(stripped.kind);
  const m = stripped.metadata;
  if (m) {
    const { namespace, finalizers, labels, ...rest } = m;
    out.metadata = {
      ...rest,
      ...(namespace !== undefined ? { namespace: shared(namespace) } : {}),
      ...(finalizers ? { finalizers: finalizers.map(shared) } : {}),
      ...(labels ? { labels: sharedValues(labels) } : {}),
    };
  }
  const status = stripped.status;
  if (status !== null && typeof status === 'object' && !Array.isArray(status)) out.status = new CachedRecordStatus(status as Record<string, unknown>);
  return out as T;
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
  const metadata: Metadata = { name: m.name, namespace: shared(m.namespace), resourceVersion: m.resourceVersion };
  if (m.labels) metadata.labels = sharedValues(m.labels);
  if (m.annotations) metadata.annotations = m.annotations;
  if (m.ownerReferences) metadata.ownerReferences = m.ownerReferences.map((r) => (r && typeof r === 'object' ? sharedValues(r as Record<string, unknown>) : r));
  if (m.finalizers) metadata.finalizers = m.finalizers;
  if (m.deletionTimestamp) metadata.deletionTimestamp = m.deletionTimestamp;
  const spec = o.spec as { endpoints?: unknown[] } | undefined;
  return { apiVersion: shared(o.apiVersion), kind: shared(o.kind), metadata, spec: spec && new CachedEndpointsSpec(spec) } as T;
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

/** The number of endpoints of a DNSEndpoint's spec, cached (packed) or not. */
export function endpointCount(spec: { endpoints?: unknown[] } | undefined): number {
  return spec instanceof CachedEndpointsSpec ? spec.count : (spec?.endpoints?.length ?? 0);
}
