// What the member-cluster adapters hand to the pure core: a snapshot of one member cluster,
// already reduced to the facts DNS needs. No Kubernetes client types leak past this point.
import type { LoadBalancerIngress } from '../api/schema.js';

/** online: reachable; offline: unreachable for longer than the grace; unknown: not synced yet. */
export type ClusterState = 'online' | 'offline' | 'unknown';

export interface ObservedIngress {
  namespace: string;
  name: string;
  /** spec.rules[].host and spec.tls[].hosts, as written in the member. */
  hosts: string[];
  /** status.loadBalancer.ingress */
  loadBalancer: LoadBalancerIngress[];
  /** The Services (same namespace) its default backend and paths route to; absent when none. */
  backends?: string[];
  /**
   * Ready endpoints of those backends that mcdns can tell about (Services with EndpointSlices
   * observed); a backend absent here is unknown, not unready.
   */
  backendEndpoints?: { service: string; ready: number }[];
}

export interface ObservedService {
  namespace: string;
  name: string;
  type: string;
  loadBalancer: LoadBalancerIngress[];
  /** Ready endpoints across the Service's EndpointSlices (discovery.k8s.io/v1). */
  readyEndpoints: number;
}

/** A Gateway API listener: what decides which names its Gateway serves. */
export interface ObservedListener {
  name: string;
  /** spec.listeners[].hostname; absent: every name. */
  hostname?: string;
  port?: number;
  protocol?: string;
}

/** A Gateway (gateway.networking.k8s.io) as DNS reads it. */
export interface ObservedGateway {
  namespace: string;
  name: string;
  listeners: ObservedListener[];
  /** status.addresses: type IPAddress as `ip`, Hostname as `hostname` (the Ingress shape). */
  addresses: LoadBalancerIngress[];
  /** status.addresses of other types (a vendor's own), which DNS cannot publish: "type=value". */
  otherAddresses?: string[];
}

/** One spec.parentRefs[] entry of a route that names a Gateway, with what status.parents says of it. */
export interface ObservedRouteParent {
  namespace: string;
  name: string;
  sectionName?: string;
  port?: number;
  /** The Gateway controller set Accepted=True for this parent in the route's status.parents. */
  accepted: boolean;
  /** Why it is not accepted (the condition's reason and message); absent: no status for it yet. */
  notAccepted?: string;
  /** The Gateway itself, when the member holds it. */
  gateway?: ObservedGateway;
}

/** A Gateway API route (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute) as DNS reads it. */
export interface ObservedRoute {
  kind: string;
  namespace: string;
  name: string;
  /** spec.hostnames as written (TCPRoute and UDPRoute have none). */
  hostnames: string[];
  parents: ObservedRouteParent[];
  /** The Services ("namespace/name") its rules send traffic to (backendRefs of weight > 0). */
  backends: string[];
  /** Ready endpoints of those backends that mcdns can tell about; absent ones are unknown, not unready. */
  backendEndpoints?: { service: string; ready: number }[];
}

/** Whether a member can serve a route kind: its API server serves it and mcdns has listed it. */
export interface RouteKindState {
  /** The member's API server serves the kind (discovery). */
  served: boolean;
  /** The kind is listed (its cache is meaningful). */
  synced: boolean;
  /** Why not served or not synced, for the record's status. */
  problem?: string;
}

export interface ClusterObservation {
  cluster: string;
  state: ClusterState;
  /** Why the cluster is offline or unknown (last connection error), for status messages. */
  stateMessage?: string;
  /** ISO time the cluster entered its current state. */
  stateSince?: string;
  /** From the cluster registration if given, else the member's node labels. */
  region?: string;
  zones: string[];
  ingresses: ObservedIngress[];
  services: ObservedService[];
  /** For a RouteDNSRecord: the route it names, when the member holds it. */
  routes?: ObservedRoute[];
  /** For a RouteDNSRecord: whether the member can serve the route kind it names. */
  routeKind?: RouteKindState;
}
