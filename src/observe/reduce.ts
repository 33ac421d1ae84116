// Pure reductions from member-cluster objects to the facts DNS needs. Inputs are `unknown`
// because the informer caches hold both client-node model instances (from lists) and raw JSON
// (from watch events); both have the same field names, so reading by name works for either.
import type { LoadBalancerIngress } from '../api/schema.js';
import type { ObservedIngress, ObservedService } from '../core/observation.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const ZONE_LABELS = ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'] as const;
export const REGION_LABELS = ['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'] as const;

export function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
export function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const p of path) cur = obj(cur)?.[p];
  return cur;
}

/** namespace/name of an object, or undefined without a name. */
export function objectKey(o: unknown): { namespace: string; name: string } | undefined {
  const name = str(at(o, 'metadata', 'name'));
  return name ? { namespace: str(at(o, 'metadata', 'namespace')) ?? '', name } : undefined;
}

function labels(o: unknown): Record<string, unknown> {
  return obj(at(o, 'metadata', 'labels')) ?? {};
}

/**
 * status.loadBalancer.ingress reduced to {ip} / {hostname}, without duplicates or empty entries.
 * Built with fixed shapes and exact-length arrays: members hold one per Ingress and Service.
 */
export function loadBalancerOf(o: unknown): LoadBalancerIngress[] {
  const out: LoadBalancerIngress[] = [];
  const entries = arr(at(o, 'status', 'loadBalancer', 'ingress'));
  for (const entry of entries) {
    const ip = str(obj(entry)?.['ip']);
    const hostname = str(obj(entry)?.['hostname']);
    if (!ip && !hostname) continue;
    if (out.some((e) => e.ip === ip && e.hostname === hostname)) continue;
    out.push(ip && hostname ? { ip, hostname } : ip ? { ip } : { hostname: hostname as string });
  }
  return out.slice();
}

/** Hosts of spec.rules[].host then spec.tls[].hosts, in written order, without duplicates. */
export function ingressOf(o: unknown): ObservedIngress | undefined {
  const key = objectKey(o);
  if (!key) return undefined;
  const hosts: string[] = [];
  const add = (h: unknown): void => {
    const host = str(h);
    if (host && !hosts.includes(host)) hosts.push(host);
  };
  for (const rule of arr(at(o, 'spec', 'rules'))) add(obj(rule)?.['host']);
  for (const tls of arr(at(o, 'spec', 'tls'))) for (const h of arr(obj(tls)?.['hosts'])) add(h);
  const backends = backendsOf(o);
  return { namespace: key.namespace, name: key.name, hosts: hosts.slice(), loadBalancer: loadBalancerOf(o), ...(backends.length > 0 ? { backends } : {}) };
}

/** The Services an Ingress routes to (spec.defaultBackend and every rule's paths), sorted, once each. */
function backendsOf(o: unknown): string[] {
  const names = new Set<string>();
  const add = (backend: unknown) => {
    const name = str(at(backend, 'service', 'name'));
    if (name) names.add(name);
  };
  add(at(o, 'spec', 'defaultBackend'));
  for (const rule of arr(at(o, 'spec', 'rules'))) for (const path of arr(at(rule, 'http', 'paths'))) add(obj(path)?.['backend']);
  return [...names].sort();
}

/** A LoadBalancer Service; any other type is not observed (undefined). */
export function serviceOf(o: unknown, readyEndpoints: number): ObservedService | undefined {
  const key = objectKey(o);
  const type = str(at(o, 'spec', 'type'));
  if (!key || type !== 'LoadBalancer') return undefined;
  return { ...key, type, loadBalancer: loadBalancerOf(o), readyEndpoints };
}

/** The Service an EndpointSlice belongs to (label kubernetes.io/service-name). */
export function sliceServiceOf(slice: unknown): { namespace: string; name: string } | undefined {
  const name = str(labels(slice)[SERVICE_NAME_LABEL]);
  const namespace = str(at(slice, 'metadata', 'namespace'));
  return name && namespace ? { namespace, name } : undefined;
}

/**
 * Identities of an EndpointSlice's ready endpoints (conditions.ready absent counts as ready, as
 * the API defines). Identity is the target object when there is one, else the addresses, so a
 * dual-stack pod that appears in an IPv4 and an IPv6 slice, or an endpoint caught in two slices
 * while the EndpointSlice controller rebalances them, counts once.
 */
export function readyEndpointIds(slice: unknown): string[] {
  const ids: string[] = [];
  const addressType = str(obj(slice)?.['addressType']) ?? '';
  for (const ep of arr(obj(slice)?.['endpoints'])) {
    if (obj(obj(ep)?.['conditions'])?.['ready'] === false) continue;
    const target = obj(obj(ep)?.['targetRef']);
    const targetId = str(target?.['uid']) ?? (str(target?.['name']) ? `${str(target?.['kind']) ?? ''}/${str(target?.['namespace']) ?? ''}/${str(target?.['name'])}` : undefined);
    const addresses = arr(obj(ep)?.['addresses']).filter((a): a is string => typeof a === 'string');
    ids.push(targetId ? `target:${targetId}` : `${addressType}:${addresses.join(',')}`);
  }
  return ids;
}

/** Ready endpoints per Service ("namespace/name") across the given EndpointSlices. */
export function readyEndpointsByService(slices: readonly unknown[]): Map<string, number> {
  const ids = new Map<string, Set<string>>();
  for (const slice of slices) {
    const svc = sliceServiceOf(slice);
    if (!svc) continue;
    const k = `${svc.namespace}/${svc.name}`;
    let set = ids.get(k);
    if (!set) ids.set(k, (set = new Set()));
    for (const id of readyEndpointIds(slice)) set.add(id);
  }
  return new Map([...ids].map(([k, set]) => [k, set.size]));
}

function firstLabel(o: unknown, keys: readonly string[]): string | undefined {
  const l = labels(o);
  for (const k of keys) {
    const v = str(l[k]);
    if (v) return v;
  }
  return undefined;
}

export interface Topology {
  region?: string;
  zones: string[];
}

/**
 * Region and zones from node labels (topology.kubernetes.io/*, falling back per node to the
 * deprecated failure-domain.beta.kubernetes.io/*). zones: sorted, distinct. region: the most
 * common one, ties broken alphabetically so the answer does not depend on list order.
 */
export function topologyOf(nodes: readonly unknown[]): Topology {
  const zones = new Set<string>();
  const regions = new Map<string, number>();
  for (const node of nodes) {
    const zone = firstLabel(node, ZONE_LABELS);
    if (zone) zones.add(zone);
    const region = firstLabel(node, REGION_LABELS);
    if (region) regions.set(region, (regions.get(region) ?? 0) + 1);
  }
  let region: string | undefined;
  let best = 0;
  for (const [r, n] of [...regions].sort(([a], [b]) => a.localeCompare(b))) {
    if (n > best) [region, best] = [r, n];
  }
  return { ...(region ? { region } : {}), zones: [...zones].sort() };
}

/** The cluster registration's region/zones win over what the nodes say. */
export function withRegistration(fromNodes: Topology, region?: string, zones?: string[]): Topology {
  const r = region || fromNodes.region;
  return {
    ...(r ? { region: r } : {}),
    zones: zones && zones.length > 0 ? [...new Set(zones)].sort() : fromNodes.zones,
  };
}

export function byNamespaceName(a: { namespace: string; name: string }, b: { namespace: string; name: string }): number {
  return a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}
