// One level-triggered reconcile of one record: read the record and the member observations,
// compute the desired endpoints with the pure core, make the DNSEndpoint say exactly that,
// and tell the admin what happened through status and Events. Writes only on change.
import type { DNSEndpoint, DNSRecord, Domain, Endpoint, IngressDNSRecord, RecordKind, ServiceDNSRecord } from '../api/schema.js';
import { formatProblems, validateObject } from '../api/validate.js';
import { desiredForIngressRecord, desiredForServiceRecord } from '../core/desired.js';
import { dnsEndpointFor, dnsEndpointName, sameDNSEndpoint, MANAGED_BY, MANAGED_BY_LABEL, type RecordRef } from '../core/dnsendpoint.js';
import type { ClusterObservation } from '../core/observation.js';
import { nextStatus, readyTransition, canonicalStatus, type RecordStatus, type Verdict } from '../core/status.js';
import type { Logger } from 'winston';

export interface RecordKey {
  kind: RecordKind;
  namespace: string;
  name: string;
}

export function keyOf(k: RecordKey): string {
  return `${k.kind}/${k.namespace}/${k.name}`;
}

export function parseKey(key: string): RecordKey {
  const [kind, namespace, name] = key.split('/') as [RecordKind, string, string];
  return { kind, namespace, name };
}

/** What the reconciler reads: informer caches on the host and the member snapshots. */
export interface HostView {
  record(key: RecordKey): DNSRecord | undefined;
  /** A Domain by name, looked up in the record's namespace first, then the shared namespace. */
  domain(namespace: string, name: string): Domain | undefined;
  domainNamespaces(namespace: string): string[];
  dnsEndpoint(namespace: string, name: string): DNSEndpoint | undefined;
  members(): ClusterObservation[];
}

/** What the reconciler writes. Each call is one API request. */
export interface HostWrites {
  createDNSEndpoint(obj: DNSEndpoint): Promise<void>;
  replaceDNSEndpoint(obj: DNSEndpoint): Promise<void>;
  deleteDNSEndpoint(namespace: string, name: string): Promise<void>;
  replaceStatus(kind: RecordKind, record: DNSRecord): Promise<void>;
  event(record: RecordRef, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

export interface ReconcileResult {
  dnsEndpoint: 'created' | 'updated' | 'unchanged' | 'deleted' | 'skipped';
  status: 'updated' | 'unchanged' | 'none';
  verdict?: Verdict;
}

export class Reconciler {
  constructor(
    private readonly view: HostView,
    private readonly writes: HostWrites,
    private readonly group: string,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async reconcile(key: RecordKey): Promise<ReconcileResult> {
    const record = this.view.record(key);
    if (!record || record.metadata.deletionTimestamp) return this.forget(key);
    const ref: RecordRef = { ...key, uid: record.metadata.uid };

    const problems = validateObject({ apiVersion: record.apiVersion, kind: key.kind, ...record });
    let domain: Domain | undefined;
    if (problems.length === 0 && key.kind === 'ServiceDNSRecord') {
      const domainRef = (record as ServiceDNSRecord).spec.domainRef;
      domain = this.view.domain(key.namespace, domainRef);
      if (!domain) {
        const where = this.view.domainNamespaces(key.namespace).join(', ');
        problems.push({ path: 'spec.domainRef', message: `Domain "${domainRef}" not found in namespace(s) ${where}` });
      }
    }
    if (problems.length > 0) {
      // Nothing already published is touched: the DNSEndpoint keeps its last good content.
      const verdict: Verdict = { status: 'False', reason: 'InvalidSpec', message: formatProblems(problems) };
      return { dnsEndpoint: 'skipped', status: await this.writeStatus(key, record, verdict, {}), verdict };
    }

    const members = this.view.members();
    const desired: { endpoints: Endpoint[]; ready: Verdict; dns: unknown[]; domain?: string } =
      key.kind === 'IngressDNSRecord'
        ? desiredForIngressRecord(record as IngressDNSRecord, members)
        : desiredForServiceRecord(record as ServiceDNSRecord, domain as Domain, members);
    const dnsEndpoint = await this.writeDNSEndpoint(dnsEndpointFor(ref, desired.endpoints, this.group));
    const targets = [...new Set(desired.endpoints.flatMap((e) => e.targets))].sort();
    const status = await this.writeStatus(key, record, desired.ready, { dns: desired.dns, domain: desired.domain, targets });
    return { dnsEndpoint, status, verdict: desired.ready };
  }

  private async forget(key: RecordKey): Promise<ReconcileResult> {
    // The garbage collector removes DNSEndpoints by ownerReference; doing it here too covers
    // clusters without one and makes a deletion reach ExternalDNS without waiting for it.
    const name = dnsEndpointName(key.kind, key.name);
    const live = this.view.dnsEndpoint(key.namespace, name);
    if (!live || live.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) return { dnsEndpoint: 'unchanged', status: 'none' };
    await this.writes.deleteDNSEndpoint(key.namespace, name);
    this.log.info('deleted DNSEndpoint of a deleted record', { record: keyOf(key), dnsEndpoint: name });
    return { dnsEndpoint: 'deleted', status: 'none' };
  }

  private async writeDNSEndpoint(desired: DNSEndpoint): Promise<ReconcileResult['dnsEndpoint']> {
    const { namespace, name } = desired.metadata as { namespace: string; name: string };
    const live = this.view.dnsEndpoint(namespace, name);
    if (!live) {
      await this.writes.createDNSEndpoint(desired);
      return 'created';
    }
    if (sameDNSEndpoint(live, desired)) return 'unchanged';
    const labels = { ...live.metadata.labels, ...desired.metadata.labels };
    const next = { ...desired, metadata: { ...live.metadata, labels, ownerReferences: desired.metadata.ownerReferences } };
    await this.writes.replaceDNSEndpoint(next);
    return 'updated';
  }

  private async writeStatus(
    key: RecordKey,
    record: DNSRecord,
    verdict: Verdict,
    published: { dns?: unknown[]; domain?: string; targets?: string[] },
  ): Promise<ReconcileResult['status']> {
    const before = record.status as RecordStatus | undefined;
    const after = nextStatus(before, verdict, record.metadata.generation, published, this.now());
    if (canonicalStatus(before) === canonicalStatus(after)) return 'unchanged';
    await this.writes.replaceStatus(key.kind, { ...record, status: after } as DNSRecord);
    const ref: RecordRef = { ...key, uid: record.metadata.uid };
    if (readyTransition(before, after)) {
      const type = verdict.status === 'True' ? 'Normal' : 'Warning';
      await this.writes.event(ref, type, verdict.reason, verdict.message).catch((err: unknown) =>
        this.log.warn('could not record event', { record: keyOf(key), error: (err as Error).message }),
      );
    }
    this.log.info('status updated', { record: keyOf(key), ready: verdict.status, reason: verdict.reason, message: verdict.message });
    return 'updated';
  }
}
