// The controller's ports to the host cluster: what a reconcile reads (HostView: informer caches
// and member snapshots), what it writes (HostWrites: one API request per call) and whether this
// replica may write at all (WriteGate). Implementations: host-view.ts, host-writes.ts; tests use
// in-memory ones.
import type { DNSEndpoint, DNSRecord, Domain, RecordKind } from '../../api/schema.js';
import type { RecordRef } from '../../core/dnsendpoint.js';
import type { ClusterObservation } from '../../core/observation.js';
import type { RecordKey } from '../../core/record-key.js';

/** What the reconciler reads: informer caches on the host and the member snapshots. */
export interface HostView {
  record(key: RecordKey): DNSRecord | undefined;
  /** A Domain by name, looked up in the record's namespace first, then the shared namespace. */
  domain(namespace: string, name: string): Domain | undefined;
  domainNamespaces(namespace: string): string[];
  dnsEndpoint(namespace: string, name: string): DNSEndpoint | undefined;
  /**
   * Each member cluster as this record sees it: at least the Ingress (or Service) of the
   * record's namespace/name and, for an IngressDNSRecord, the Ingresses of its namespace that
   * list one of `hosts` (normalised); for a RouteDNSRecord, the route it names. More is allowed;
   * the core picks what it uses.
   */
  members(key: RecordKey, hosts: readonly string[], route?: { kind: string; name: string }): ClusterObservation[];
}

/** What the reconciler writes. Each call is one API request. */
export interface HostWrites {
  createDNSEndpoint(obj: DNSEndpoint): Promise<void>;
  replaceDNSEndpoint(obj: DNSEndpoint): Promise<void>;
  deleteDNSEndpoint(namespace: string, name: string): Promise<void>;
  /** Returns the record as stored (its new resourceVersion), where the implementation has it. */
  replaceStatus(kind: RecordKind, record: DNSRecord): Promise<DNSRecord | void>;
  /** Reads one DNSEndpoint from the API server (not a cache); undefined when there is none. */
  readDNSEndpoint(namespace: string, name: string): Promise<DNSEndpoint | undefined>;
  /** Sets metadata.finalizers (optimistic: carries the record's resourceVersion); returns the updated record. */
  updateFinalizers(kind: RecordKind, record: DNSRecord, finalizers: string[]): Promise<DNSRecord>;
  event(record: RecordRef, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

/** Whether this replica may write now: the leader lease is held and fresh, and it is not shutting down. */
export interface WriteGate {
  allowed(): boolean;
}
