// Which names a Gateway API route and its Gateways serve. Pure.
//
// Gateway API's hostname matching (the same for a route's spec.hostnames and a listener's
// hostname): a name matches itself; "*.example.org" matches every name below example.org
// ("www.example.org", "a.b.example.org"), not example.org itself. A DNS name mcdns publishes can
// be a wildcard too: "*.shop.example.org" is served by a pattern that covers every name it stands
// for ("*.example.org" or "*.shop.example.org"), not by "www.shop.example.org" alone — publishing
// the wildcard would send names the route does not serve to its Gateway.
//
// A listener without a hostname admits every name; a route without hostnames (and every
// TCPRoute and UDPRoute, whose listeners match no hostname at all) serves every name its
// listeners admit.
import type { ObservedGateway, ObservedListener, ObservedRoute, ObservedRouteParent } from './observation.js';
import { normaliseName } from './names.js';

/** Whether the hostname pattern `pattern` covers every name `name` stands for. */
export function hostnameCovers(pattern: string, name: string): boolean {
  const p = normaliseName(pattern);
  const n = normaliseName(name);
  if (p === n) return true;
  if (!p.startsWith('*.')) return false;
  const suffix = p.slice(1); // ".example.org"
  return n.endsWith(suffix) && n.length > suffix.length;
}

/** Route kinds whose listeners match no hostname (Gateway API ignores a hostname on them). */
const NO_HOSTNAME_MATCHING = new Set(['TCPRoute', 'UDPRoute']);

/** Whether the route's own hostnames let it serve `name` (no hostnames: any name). */
export function routeServes(route: ObservedRoute, name: string): boolean {
  if (NO_HOSTNAME_MATCHING.has(route.kind) || route.hostnames.length === 0) return true;
  return route.hostnames.some((h) => hostnameCovers(h, name));
}

/** The listeners of `gateway` a parentRef attaches to: its sectionName, else its port, else all. */
export function attachedListeners(parent: ObservedRouteParent, gateway: ObservedGateway): ObservedListener[] {
  return gateway.listeners.filter((l) => (parent.sectionName === undefined || l.name === parent.sectionName) && (parent.port === undefined || l.port === parent.port));
}

/** Whether one of the listeners admits `name` for a route of `kind`. */
export function listenersAdmit(kind: string, listeners: readonly ObservedListener[], name: string): boolean {
  if (NO_HOSTNAME_MATCHING.has(kind)) return listeners.length > 0;
  return listeners.some((l) => l.hostname === undefined || l.hostname === '' || hostnameCovers(l.hostname, name));
}
