// Pure reductions of Gateway API objects (gateway.networking.k8s.io) to what DNS reads: a route's
// hostnames, the Gateways it names with whether each accepted it, and its backends; a Gateway's
// listeners and addresses. Read by field name, like ../reduce.ts, from list items and watch events.
import type { LoadBalancerIngress } from '../../api/schema.js';
import { GATEWAY_API_GROUP } from '../../api/route-ref.js';
import type { ObservedListener, ObservedRouteParent } from '../../core/observation.js';
import { arr, at, obj, objectKey, str } from '../reduce.js';

/** A route as a member holds it, without its Gateways (joined when a record reads it). */
export interface RouteProjection {
  kind: string;
  namespace: string;
  name: string;
  hostnames: string[];
  parents: Omit<ObservedRouteParent, 'gateway'>[];
  /** "namespace/name" of the Services of weight > 0, sorted, once each. */
  backends: string[];
}

export interface GatewayProjection {
  namespace: string;
  name: string;
  listeners: ObservedListener[];
  addresses: LoadBalancerIngress[];
  otherAddresses: string[];
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A parentRef or backendRef of the default group and kind (absent means the default). */
function isOf(ref: unknown, group: string, kind: string): boolean {
  const g = at(ref, 'group');
  const k = at(ref, 'kind');
  return (g === undefined || g === group) && (k === undefined || k === kind);
}

interface ParentKey {
  namespace: string;
  name: string;
  sectionName?: string;
  port?: number;
}

function parentKey(ref: unknown, routeNamespace: string): ParentKey | undefined {
  const name = str(at(ref, 'name'));
  if (!name || !isOf(ref, GATEWAY_API_GROUP, 'Gateway')) return undefined;
  const sectionName = str(at(ref, 'sectionName'));
  const port = num(at(ref, 'port'));
  return { namespace: str(at(ref, 'namespace')) ?? routeNamespace, name, ...(sectionName ? { sectionName } : {}), ...(port !== undefined ? { port } : {}) };
}

const sameParent = (a: ParentKey, b: ParentKey): boolean => a.namespace === b.namespace && a.name === b.name && a.sectionName === b.sectionName && a.port === b.port;

/** The Accepted condition of a status.parents[] entry: True, or why not. */
function acceptance(entry: unknown): { accepted: boolean; why?: string } | undefined {
  const cond = arr(at(entry, 'conditions')).find((c) => at(c, 'type') === 'Accepted');
  if (!cond) return undefined;
  if (at(cond, 'status') === 'True') return { accepted: true };
  const reason = str(at(cond, 'reason')) ?? 'NotAccepted';
  const message = str(at(cond, 'message'));
  return { accepted: false, why: message ? `${reason}: ${message}` : reason };
}

function parentsOf(o: unknown, namespace: string): RouteProjection['parents'] {
  const statuses = arr(at(o, 'status', 'parents')).flatMap((entry) => {
    const key = parentKey(at(entry, 'parentRef'), namespace);
    const verdict = key && acceptance(entry);
    return key && verdict ? [{ key, ...verdict }] : [];
  });
  const parents: RouteProjection['parents'] = [];
  for (const ref of arr(at(o, 'spec', 'parentRefs'))) {
    const key = parentKey(ref, namespace);
    if (!key || parents.some((p) => sameParent(p, key))) continue;
    // Several controllers may report on one parent: one that accepted it is enough.
    const mine = statuses.filter((s) => sameParent(s.key, key));
    const accepted = mine.some((s) => s.accepted);
    const why = mine.find((s) => !s.accepted)?.why;
    parents.push({ ...key, accepted, ...(!accepted && why ? { notAccepted: why } : {}) });
  }
  return parents;
}

/** Services of the route's rules (backendRefs of kind Service, weight > 0; weight defaults to 1). */
function backendsOf(o: unknown, namespace: string): string[] {
  const out = new Set<string>();
  for (const rule of arr(at(o, 'spec', 'rules'))) {
    for (const ref of arr(at(rule, 'backendRefs'))) {
      const name = str(at(ref, 'name'));
      if (!name || !isOf(ref, '', 'Service') || num(at(ref, 'weight')) === 0) continue;
      out.add(`${str(at(ref, 'namespace')) ?? namespace}/${name}`);
    }
  }
  return [...out].sort();
}

/** One route of any of the five kinds. */
export function routeOf(o: unknown, kind: string): RouteProjection | undefined {
  const id = objectKey(o);
  if (!id) return undefined;
  const hostnames = [...new Set(arr(at(o, 'spec', 'hostnames')).filter((h): h is string => typeof h === 'string' && h !== ''))];
  return { kind, ...id, hostnames, parents: parentsOf(o, id.namespace), backends: backendsOf(o, id.namespace) };
}

/** A Gateway: its listeners, and status.addresses by type (IPAddress is the default type). */
export function gatewayOf(o: unknown): GatewayProjection | undefined {
  const id = objectKey(o);
  if (!id) return undefined;
  const listeners: ObservedListener[] = arr(at(o, 'spec', 'listeners')).flatMap((l) => {
    const name = str(obj(l)?.['name']);
    if (!name) return [];
    const hostname = str(at(l, 'hostname'));
    const port = num(at(l, 'port'));
    const protocol = str(at(l, 'protocol'));
    return [{ name, ...(hostname ? { hostname } : {}), ...(port !== undefined ? { port } : {}), ...(protocol ? { protocol } : {}) }];
  });
  const addresses: LoadBalancerIngress[] = [];
  const otherAddresses: string[] = [];
  for (const a of arr(at(o, 'status', 'addresses'))) {
    const value = str(at(a, 'value'));
    const type = str(at(a, 'type')) ?? 'IPAddress';
    if (!value) continue;
    if (type === 'IPAddress') addresses.push({ ip: value });
    else if (type === 'Hostname') addresses.push({ hostname: value });
    else otherAddresses.push(`${type}=${value}`);
  }
  return { ...id, listeners, addresses, otherAddresses };
}

/** Whether two projections say the same to DNS. */
export function sameProjection(a: object | undefined, b: object | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
