// The Gateway API objects one member keeps, indexed the way route records ask for them: routes by
// "Kind/namespace/name", Gateways by "namespace/name", and the reverse links a change follows (a
// Gateway → the routes naming it; a backend Service → the routes sending traffic to it). Only
// routes some record names are here, and only the Gateways and backends of those routes.
import { routeKey } from '../interest.js';
import type { ObservedRoute } from '../../core/observation.js';
import type { GatewayProjection, RouteProjection } from './reduce.js';

const gatewayKey = (g: { namespace: string; name: string }): string => `${g.namespace}/${g.name}`;

/** Adds or removes `member` under each key of `keys`. */
function relink(index: Map<string, Set<string>>, keys: readonly string[], member: string, add: boolean): void {
  for (const k of keys) {
    let set = index.get(k);
    if (add) {
      if (!set) index.set(k, (set = new Set()));
      set.add(member);
    } else if (set) {
      set.delete(member);
      if (set.size === 0) index.delete(k);
    }
  }
}

export class RouteIndex {
  private readonly routes = new Map<string, RouteProjection>();
  private readonly gateways = new Map<string, GatewayProjection>();
  private readonly routesByGateway = new Map<string, Set<string>>();
  private readonly routesByBackend = new Map<string, Set<string>>();

  /** Sets (undefined: removes) a route; returns whether anything DNS reads changed. */
  setRoute(key: string, next: RouteProjection | undefined): boolean {
    const before = this.routes.get(key);
    // Even when nothing DNS reads changed, next replaces before: it is what the cache now holds.
    if (before && next && before.sameForDNS(next)) {
      this.routes.set(key, next);
      return false;
    }
    if (!before && !next) return false;
    if (before) {
      relink(this.routesByGateway, before.parents.map(gatewayKey), key, false);
      relink(this.routesByBackend, before.backends, key, false);
      this.routes.delete(key);
    }
    if (next) {
      relink(this.routesByGateway, next.parents.map(gatewayKey), key, true);
      relink(this.routesByBackend, next.backends, key, true);
      this.routes.set(key, next);
    }
    return true;
  }

  /** Sets (undefined: removes) a Gateway; returns the routes naming it when anything DNS reads changed. */
  setGateway(key: string, next: GatewayProjection | undefined): string[] {
    const before = this.gateways.get(key);
    if (next) this.gateways.set(key, next);
    else this.gateways.delete(key);
    if ((before && next && before.sameForDNS(next)) || (!before && !next)) return [];
    return [...(this.routesByGateway.get(key) ?? [])];
  }

  route(key: string): RouteProjection | undefined {
    return this.routes.get(key);
  }

  /** The routes sending traffic to the Service "namespace/name". */
  routesBackedBy(svc: string): string[] {
    return [...(this.routesByBackend.get(svc) ?? [])];
  }

  /** Routes of `kind` (what a stopped watch of that kind lets go of). */
  routesOf(kind: string): string[] {
    return [...this.routes.values()].filter((r) => r.kind === kind).map(routeKey);
  }

  /** The route as the core reads it: its parents with their Gateways, its backends with their readiness. */
  observed(key: string, readyEndpoints: (svc: string) => number | undefined): ObservedRoute | undefined {
    const r = this.routes.get(key);
    if (!r) return undefined;
    const parents = r.parents.map((p) => {
      const g = this.gateways.get(gatewayKey(p));
      if (!g) return p;
      const gateway = { namespace: g.namespace, name: g.name, listeners: g.listeners.map((l) => ({ ...l })), addresses: g.addresses, otherAddresses: [...g.otherAddresses] };
      return { ...p, gateway };
    });
    const backendEndpoints = r.backends.flatMap((service) => {
      const ready = readyEndpoints(service);
      return ready === undefined ? [] : [{ service, ready }];
    });
    return {
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      hostnames: [...r.hostnames],
      parents,
      backends: [...r.backends],
      ...(backendEndpoints.length > 0 ? { backendEndpoints } : {}),
    };
  }

  /** Objects kept, by kind (Gateway, and each route kind), of the kinds that have any. */
  counts(): Record<string, number> {
    const out: Record<string, number> = this.gateways.size > 0 ? { Gateway: this.gateways.size } : {};
    for (const r of this.routes.values()) out[r.kind] = (out[r.kind] ?? 0) + 1;
    return out;
  }
}
