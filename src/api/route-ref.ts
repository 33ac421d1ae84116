// What a RouteDNSRecord names in the members: a Gateway API route (gateway.networking.k8s.io) of
// one kind, by name, in the record's namespace — KubeFed's pairing of a record with the object of
// its own namespace in every member, with the kind said outright since five kinds can share a
// name. schema.ts builds the record from it; the rule below is the CEL rule of its spec.
import { Type } from '@sinclair/typebox';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** The route kinds a RouteDNSRecord can name; TCPRoute and UDPRoute have no hostnames. */
const ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute'] as const;
export type RouteKind = (typeof ROUTE_KINDS)[number];

/** Route kinds without spec.hostnames: their names can only come from the record. */
const ROUTE_KINDS_WITHOUT_HOSTNAMES: readonly RouteKind[] = ['TCPRoute', 'UDPRoute'];

export const RouteRef = Type.Object({
  kind: Type.Union(
    ROUTE_KINDS.map((k) => Type.Literal(k)),
    { description: 'the route kind (gateway.networking.k8s.io): HTTPRoute, GRPCRoute, TLSRoute, TCPRoute or UDPRoute' },
  ),
  name: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 253,
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
      description: "the route's name in the record's namespace of every member (default: the record's own name)",
    }),
  ),
});

const kindOf = (spec: unknown): unknown => (spec as { routeRef?: { kind?: unknown } } | undefined)?.routeRef?.kind;
const hostCount = (spec: unknown): number => {
  const hosts = (spec as { hosts?: unknown } | undefined)?.hosts;
  return Array.isArray(hosts) ? hosts.length : 0;
};

/** The CEL rule of a RouteDNSRecord's spec, with its JavaScript twin (see schema.ts NameRule). */
export const ROUTE_RULES = {
  hostsOfRoutesWithoutHostnames: {
    rule: "!(self.routeRef.kind in ['TCPRoute', 'UDPRoute']) || (has(self.hosts) && size(self.hosts) > 0)",
    message: 'a TCPRoute or UDPRoute has no hostnames: list the names to publish in spec.hosts',
    test: (spec: unknown) => !(ROUTE_KINDS_WITHOUT_HOSTNAMES as readonly unknown[]).includes(kindOf(spec)) || hostCount(spec) > 0,
  },
};
