// The scale benchmark's fleet: record i is named r<i>, lives in zone i mod Z, and member m serves
// it at 127.m.x.y; the objects a bare client creates for it are shaped as mcdns writes its own.
// With source "route", record i is a RouteDNSRecord naming HTTPRoute r<i>, which each member
// attaches to a Gateway r<i> of its own (its address is the record's address in that member): the
// DNS content and the address plan are those of the Ingress fleet, with two objects per record
// in each member where the Ingress fleet has one.
import type { KubeObject } from '../../env/rest.js';

export const NS = 'bench';
export const FLOOR_NS = 'bench-floor';

/** The fleet's names and addresses: record i in zone i mod Z, member k's address for it. */
/** What the records name in the members: an Ingress each, or an HTTPRoute and its Gateway. */
export type FleetSource = 'ingress' | 'route';

export class Fleet {
  constructor(
    readonly n: number,
    readonly k: number,
    readonly z: number,
    readonly source: FleetSource = 'ingress',
  ) {
    if (n > 65_536) throw new Error('scale: at most 65,536 records (the loopback address plan)');
    if (k > 99) throw new Error('scale: at most 99 member clusters');
  }
  zone = (j: number) => `z${j}.example.org`;
  zones = () => Array.from({ length: this.z }, (_, j) => this.zone(j));
  name = (i: number) => `r${i}`;
  host = (i: number) => `r${i}.${this.zone(i % this.z)}`;
  members = () => Array.from({ length: this.k }, (_, j) => `member${j + 1}`);
  /** The records' plural and kind, and the DNSEndpoint mcdns names after record i. */
  recordPlural = () => (this.source === 'route' ? 'routednsrecords' : 'ingressdnsrecords');
  recordKind = () => (this.source === 'route' ? 'RouteDNSRecord' : 'IngressDNSRecord');
  dnsEndpointName = (i: number) => `${this.source === 'route' ? 'route' : 'ingress'}-${this.name(i)}`;
  /** Addresses changed since creation, by "m/i". */
  private readonly changed = new Map<string, string>();
  /** Member m (1-based) serves record i at 127.m.x.y (until a change moves it). */
  addr = (m: number, i: number) => this.changed.get(`${m}/${i}`) ?? `127.${m}.${(i >> 8) & 255}.${i & 255}`;
  addrs = (i: number) => Array.from({ length: this.k }, (_, j) => this.addr(j + 1, i));
  /** The c-th load-balancer change moves member m's address of record i to 127.(100+m).x.y, never used before. */
  change(m: number, i: number, c: number): string {
    const ip = `127.${100 + m}.${(c >> 8) & 255}.${c & 255}`;
    this.changed.set(`${m}/${i}`, ip);
    return ip;
  }
}

export function recordBody(fleet: Fleet, ns: string, i: number): KubeObject {
  const spec = fleet.source === 'route' ? { routeRef: { kind: 'HTTPRoute' }, hosts: [fleet.host(i)], recordTTL: 60 } : { hosts: [fleet.host(i)], recordTTL: 60 };
  return { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: fleet.recordKind(), metadata: { name: fleet.name(i), namespace: ns }, spec };
}

/** Gateway r<i> of a member: one HTTP listener; its address is set through /status. */
export function gatewayBody(fleet: Fleet, i: number, ns = NS): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: fleet.name(i), namespace: ns },
    spec: { gatewayClassName: 'bench', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  };
}

/** HTTPRoute r<i>: the record's host, attached to Gateway r<i>, one backend; accepted through /status. */
export function routeBody(fleet: Fleet, i: number, ns = NS): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: fleet.name(i), namespace: ns },
    spec: { parentRefs: [{ name: fleet.name(i) }], hostnames: [fleet.host(i)], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
  };
}

/** A route's status.parents as a Gateway controller sets it: accepted by its Gateway. */
export function routeAccepted(fleet: Fleet, i: number): Record<string, unknown> {
  const condition = { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'accepted', lastTransitionTime: new Date().toISOString(), observedGeneration: 1 };
  return { parents: [{ parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: fleet.name(i) }, controllerName: 'bench.mcdns/gateway', conditions: [condition] }] };
}

export function ingressBody(fleet: Fleet, i: number, ns = NS): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: fleet.name(i), namespace: ns },
    spec: {
      rules: [{ host: fleet.host(i), http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    },
  };
}

/** A DNSEndpoint of the size and shape mcdns writes (labels, owner reference, K targets). */
export function dnsEndpointBody(fleet: Fleet, ns: string, i: number, owner: KubeObject): KubeObject {
  return {
    apiVersion: 'externaldns.k8s.io/v1alpha1',
    kind: 'DNSEndpoint',
    metadata: {
      name: fleet.dnsEndpointName(i),
      namespace: ns,
      labels: {
        'app.kubernetes.io/managed-by': 'bench-floor',
        'multiclusterdns.kubefed.io/record-kind': fleet.recordKind().toLowerCase(),
        'multiclusterdns.kubefed.io/record-name': fleet.name(i),
      },
      ownerReferences: [
        { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: fleet.recordKind(), name: fleet.name(i), uid: (owner.metadata as { uid?: string }).uid, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: { endpoints: [{ dnsName: fleet.host(i), recordType: 'A', recordTTL: 60, targets: fleet.addrs(i) }] },
  };
}

/** A record status of the size and shape mcdns writes (Ready condition, targets, per-cluster DNS). */
export function recordStatus(fleet: Fleet, i: number, members: string[]): Record<string, unknown> {
  return {
    observedGeneration: 1,
    conditions: [
      { type: 'Ready', status: 'True', reason: 'Published', message: `${fleet.k} targets published`, observedGeneration: 1, lastTransitionTime: new Date().toISOString() },
    ],
    targets: fleet.addrs(i),
    dns: members.map((c, j) => ({ cluster: c, loadBalancer: { ingress: [{ ip: fleet.addr(j + 1, i) }] } })),
  };
}
