// Small builders for member-cluster observations and records, so each test states only what it is about.
import type { Domain, IngressDNSRecord, LoadBalancerIngress, ServiceDNSRecord } from '../../../src/api/schema.js';
import type { ClusterObservation, ObservedIngress, ObservedService } from '../../../src/core/observation.js';

export const NAMESPACE = 'fed-namespace';

export function online(cluster: string, parts: Partial<ClusterObservation> = {}): ClusterObservation {
  return { cluster, state: 'online', zones: [], ingresses: [], services: [], ...parts };
}

export function offline(cluster: string, parts: Partial<ClusterObservation> = {}): ClusterObservation {
  return { ...online(cluster, parts), state: 'offline', ...parts };
}

export function ip(address: string): LoadBalancerIngress {
  return { ip: address };
}

export function host(hostname: string): LoadBalancerIngress {
  return { hostname };
}

export function ingress(
  name: string,
  hosts: string[],
  loadBalancer: LoadBalancerIngress[],
  namespace = NAMESPACE,
): ObservedIngress {
  return { name, namespace, hosts, loadBalancer };
}

export function ingressRecord(
  name: string,
  hosts: string[] | undefined,
  recordTTL?: number,
  namespace = NAMESPACE,
): IngressDNSRecord {
  return {
    apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
    kind: 'IngressDNSRecord',
    metadata: { name, namespace },
    spec: { ...(hosts === undefined ? {} : { hosts }), ...(recordTTL === undefined ? {} : { recordTTL }) },
  };
}

export function lbService(
  name: string,
  loadBalancer: LoadBalancerIngress[],
  options: { readyEndpoints?: number; type?: string; namespace?: string } = {},
): ObservedService {
  return {
    name,
    namespace: options.namespace ?? NAMESPACE,
    type: options.type ?? 'LoadBalancer',
    loadBalancer,
    readyEndpoints: options.readyEndpoints ?? 1,
  };
}

export function serviceRecord(
  name: string,
  spec: Partial<ServiceDNSRecord['spec']> = {},
  namespace = NAMESPACE,
): ServiceDNSRecord {
  return {
    apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
    kind: 'ServiceDNSRecord',
    metadata: { name, namespace },
    spec: { domainRef: 'galactic', ...spec },
  };
}

export function domainObject(domain: string, name = 'galactic'): Domain {
  return {
    apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
    kind: 'Domain',
    metadata: { name, namespace: 'kube-federation-system' },
    domain,
  };
}
