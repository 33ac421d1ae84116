// The fleet's interest set, fed from the host's records: what each record wants of the members
// (observe/interest.ts). When a change makes a record want objects the members dropped before (a
// new record whose Service already existed, new hosts), the members read them first and the
// record is queued once they have: its first reconcile then sees them, instead of publishing
// nothing and then, a round trip later, the real answer.
import type { DNSRecord, IngressDNSRecord, RouteDNSRecord } from '../../api/schema.js';
import { namedRoute } from '../../core/desired-route.js';
import { keyOf, type RecordKey } from '../../core/record-key.js';
import { wantKey, type FleetInterest, type RecordWants } from '../../observe/interest.js';
import type { HostChange } from '../host/host-view.js';
import { safeHosts } from '../host/record-index.js';

/** What one record wants of every member; undefined when it is gone. */
export function recordWants(key: RecordKey, record: DNSRecord | undefined): RecordWants | undefined {
  if (!record) return undefined;
  if (key.kind === 'ServiceDNSRecord') return { services: [wantKey(key.namespace, key.name)] };
  if (key.kind === 'RouteDNSRecord') {
    const route = namedRoute(record as RouteDNSRecord);
    return route ? { route } : undefined; // an invalid spec names none: the reconcile reports it
  }
  return { ingress: { namespace: key.namespace, name: key.name, hosts: safeHosts(record as IngressDNSRecord) } };
}

/**
 * Hands a host change to `next` (the fan-out): at once, or, when the record began to want
 * member objects, once the members have read them.
 */
export function throughInterest(
  interest: FleetInterest,
  record: (key: RecordKey) => DNSRecord | undefined,
  next: (change: HostChange) => void,
): (change: HostChange) => void {
  return (change) => {
    if (change.kind === 'Domain') return next(change);
    const key: RecordKey = { kind: change.kind, namespace: change.namespace, name: change.name };
    const reads = interest.refer(keyOf(key), recordWants(key, record(key)));
    if (reads) void reads.then(() => next(change));
    else next(change);
  };
}
