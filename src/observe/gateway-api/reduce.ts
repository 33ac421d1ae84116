// Gateway API objects (gateway.networking.k8s.io) reduced to what DNS reads: a route's hostnames,
// the Gateways it names with whether each accepted it, and its backends; a Gateway's listeners and
// addresses. Read by field name, like ../reduce.ts, from list items and watch events.
//
// What a member keeps of each is the projection itself, its own metadata (name, namespace and
// resourceVersion are all the cache reads), built the way IngressProjection is: no array for one
// value, a packed resourceVersion, the recurring strings and listener sets shared. At 10,000 routes
// with their Gateways in each of 10 members, plain objects were about 1.3 kB per route and Gateway.
import type { LoadBalancerIngress } from '../../api/schema.js';
import { GATEWAY_API_GROUP } from '../../api/route-ref.js';
import { SharedCopies } from '../../core/shared-copies.js';
import type { ObservedListener, ObservedRouteParent } from '../../core/observation.js';
import { many, NONE, oneOrMany, packVersion, type OneOrMany } from '../projections.js';
import { arr, at, obj, objectKey, str } from '../reduce.js';

type Parent = Omit<ObservedRouteParent, 'gateway'>;

/** Namespaces, "namespace/name" backend keys and listener sets: the same few in every object. */
const shared = new SharedCopies<unknown>(4096);
const sharedString = (s: string): string => shared.of(`s:${s}`, () => s) as string;

const unpack = (v: number | string | undefined): string | undefined => (typeof v === 'number' ? String(v) : v);

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A parentRef or backendRef of the default group and kind (absent means the default). */
function isOf(ref: unknown, group: string, kind: string): boolean {
  const g = at(ref, 'group');
  const k = at(ref, 'kind');
  return (g === undefined || g === group) && (k === undefined || k === kind);
}

type ParentKey = Pick<Parent, 'namespace' | 'name' | 'sectionName' | 'port'>;

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

function parentsOf(o: unknown, namespace: string): Parent[] {
  const statuses = arr(at(o, 'status', 'parents')).flatMap((entry) => {
    const key = parentKey(at(entry, 'parentRef'), namespace);
    const verdict = key && acceptance(entry);
    return key && verdict ? [{ key, ...verdict }] : [];
  });
  const parents: Parent[] = [];
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
  return [...out].sort().map(sharedString);
}

/**
 * A parent as kept: the common one (a Gateway of the route's namespace, no section or port,
 * accepted) is only the Gateway's name; any other, the whole entry.
 */
type KeptParent = string | Parent;

/** One route of any of the five kinds, as a member keeps it. */
export class RouteProjection {
  constructor(
    readonly kind: string,
    readonly namespace: string,
    readonly name: string,
    private readonly version: number | string | undefined,
    private readonly hostname: OneOrMany<string>,
    private readonly parent: KeptParent | readonly KeptParent[],
    private readonly backend: OneOrMany<string>,
  ) {}

  get metadata(): this {
    return this;
  }

  get resourceVersion(): string | undefined {
    return unpack(this.version);
  }

  get hostnames(): string[] {
    return many(this.hostname);
  }

  get parents(): Parent[] {
    const kept = Array.isArray(this.parent) ? (this.parent as readonly KeptParent[]) : [this.parent as KeptParent];
    return kept.map((p) => (typeof p === 'string' ? { namespace: this.namespace, name: p, accepted: true } : { ...p }));
  }

  get backends(): string[] {
    return many(this.backend);
  }

  /** Same hostnames, parents and backends: nothing DNS reads differs. */
  sameForDNS(o: RouteProjection): boolean {
    return JSON.stringify([this.hostnames, this.parents, this.backends]) === JSON.stringify([o.hostnames, o.parents, o.backends]);
  }
}

/** A route of any of the five kinds (`kind` is the watch's, one shared string). */
export function routeOf(o: unknown, kind: string): RouteProjection | undefined {
  const id = objectKey(o);
  if (!id) return undefined;
  const namespace = sharedString(id.namespace);
  const hostnames = [...new Set(arr(at(o, 'spec', 'hostnames')).filter((h): h is string => typeof h === 'string' && h !== ''))];
  const parents: KeptParent[] = parentsOf(o, namespace).map((p) =>
    p.accepted && p.namespace === namespace && p.sectionName === undefined && p.port === undefined ? (p.name === id.name ? id.name : p.name) : p,
  );
  const parent = parents.length === 1 ? parents[0]! : parents.length === 0 ? NONE : parents;
  const rv = str(at(o, 'metadata', 'resourceVersion'));
  return new RouteProjection(kind, namespace, id.name, packVersion(rv), oneOrMany(hostnames), parent, oneOrMany(backendsOf(o, namespace)));
}

/** A Gateway as a member keeps it. */
export class GatewayProjection {
  constructor(
    readonly namespace: string,
    readonly name: string,
    private readonly version: number | string | undefined,
    /** Shared by every Gateway with the same listeners. */
    readonly listeners: readonly ObservedListener[],
    /** status.addresses; when that is one IP, only the IP. */
    private readonly address: string | readonly LoadBalancerIngress[],
    readonly otherAddresses: readonly string[],
  ) {}

  get metadata(): this {
    return this;
  }

  get resourceVersion(): string | undefined {
    return unpack(this.version);
  }

  get addresses(): LoadBalancerIngress[] {
    return typeof this.address === 'string' ? [{ ip: this.address }] : [...this.address];
  }

  /** Same listeners and addresses: nothing DNS reads differs. */
  sameForDNS(o: GatewayProjection): boolean {
    return JSON.stringify([this.listeners, this.addresses, this.otherAddresses]) === JSON.stringify([o.listeners, o.addresses, o.otherAddresses]);
  }
}

/** A Gateway: its listeners, and status.addresses by type (IPAddress is the default). */
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
  const keptListeners = shared.of(`l:${JSON.stringify(listeners)}`, () => Object.freeze(listeners)) as readonly ObservedListener[];
  const single = addresses.length === 1 && addresses[0]!.ip !== undefined ? addresses[0]!.ip : undefined;
  const rv = str(at(o, 'metadata', 'resourceVersion'));
  return new GatewayProjection(sharedString(id.namespace), id.name, packVersion(rv), keptListeners, single ?? (addresses.length === 0 ? NONE : addresses), otherAddresses.length === 0 ? NONE : otherAddresses);
}
