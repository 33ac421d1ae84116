// Which records a change can affect, found through indexes instead of by scanning:
//   record or its DNSEndpoint changed     → that record (not when the change is our own write)
//   Domain                                → the ServiceDNSRecords naming it
//   Ingress ns/name (old and new hosts)   → the IngressDNSRecord ns/name and those of ns listing a host
//   Service / EndpointSlice ns/name       → the ServiceDNSRecord ns/name
//   Route kind ns/name (the route, its Gateways or backends, its kind's availability)
//                                         → the RouteDNSRecords of ns naming it
//   node labels of a cluster              → the ServiceDNSRecords that cluster serves (region/zones)
//   cluster state (transition, join, leave) → the records that cluster serves
//   cluster observer replaced (new credentials) → every record (rare; its objects may all differ)
// Identical keys coalesce in the queue.
import type { ClusterChange } from '../../observe/members.js';
import type { HostChange } from '../host/host-view.js';
import type { OwnWrites } from '../host/own-writes.js';
import { type HostView } from '../host/ports.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';
import type { ServedRecords } from './served.js';
import type { WorkQueue } from '../runtime/queue.js';

/** The host view's record lookups fan-out needs. */
export interface RecordLookup extends Pick<HostView, 'record'> {
  ingressRecordsForHosts(namespace: string, hosts: readonly string[]): RecordKey[];
  serviceRecordsForDomain(namespace: string, name: string): RecordKey[];
  routeRecordsFor(kind: string, namespace: string, name: string): RecordKey[];
}

export class FanOut {
  /**
   * Host events that arrived while their record was being reconciled, before the write they
   * may echo had returned: judged when the reconcile has finished (settle).
   */
  private readonly held = new Map<string, Array<{ key: string; resourceVersion?: string }>>();

  constructor(
    private readonly view: RecordLookup,
    private readonly served: ServedRecords,
    private readonly queue: WorkQueue,
    private readonly own: OwnWrites,
    private readonly allKeys: () => string[] = () => [],
  ) {}

  host(change: HostChange): void {
    if (change.kind === 'Domain') {
      this.enqueue(this.view.serviceRecordsForDomain(change.namespace, change.name));
      return;
    }
    const k = keyOf(change);
    const object = change.object;
    if (object) {
      if (this.queue.isProcessing(k)) {
        const list = this.held.get(k) ?? [];
        list.push(object);
        this.held.set(k, list);
        return;
      }
      if (this.own.isEcho(object.key, object.resourceVersion)) return;
    }
    this.queue.add(k);
  }

  /** A reconcile of `k` has finished: held host events that were not our own writes queue it again. */
  settle(k: string): void {
    const list = this.held.get(k);
    if (!list) return;
    this.held.delete(k);
    if (list.some((o) => !this.own.isEcho(o.key, o.resourceVersion))) this.queue.add(k);
  }

  member(change: ClusterChange): void {
    const { cluster, namespace = '', name = '' } = change;
    switch (change.kind) {
      case 'Ingress': {
        const own: RecordKey = { kind: 'IngressDNSRecord', namespace, name };
        this.enqueue([...(this.view.record(own) ? [own] : []), ...this.view.ingressRecordsForHosts(namespace, change.hosts ?? [])], cluster);
        break;
      }
      case 'Service':
      case 'EndpointSlice': {
        const own: RecordKey = { kind: 'ServiceDNSRecord', namespace, name };
        if (this.view.record(own)) this.enqueue([own], cluster);
        break;
      }
      case 'Route':
        this.enqueue(this.view.routeRecordsFor(change.routeKind ?? '', namespace, name), cluster);
        break;
      case 'Node':
        this.enqueue(this.served.recordsOf(cluster, 'ServiceDNSRecord'));
        break;
      case 'State':
        if (change.replaced) for (const k of this.allKeys()) this.queue.add(k, 'sweep');
        else this.enqueue(this.served.recordsOf(cluster));
        break;
    }
  }

  /**
   * With `cluster`, the keys were woken by that cluster's objects: they count as served by it
   * from now on, since their reconcile may still read the cluster in its previous state.
   */
  private enqueue(keys: RecordKey[], cluster?: string): void {
    for (const k of keys) {
      if (cluster !== undefined) this.served.add(k, cluster);
      this.queue.add(keyOf(k));
    }
  }
}
