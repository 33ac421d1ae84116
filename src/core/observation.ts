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
}
