// What the scale benchmark learns from its own watches on the host: the DNSEndpoints (complete,
// new addresses, statuses observed by ExternalDNS) and the leader Lease (gaps between renewals).
import type { KubeObject } from '../../env/rest.js';
import type { Fleet } from './fleet.js';

const LEASE_NAME = 'mcdns';

export interface EndpointObject extends KubeObject {
  spec?: { endpoints?: Array<{ dnsName: string; targets?: string[]; recordType?: string }> };
  status?: { observedGeneration?: number };
}

/**
 * Follows the DNSEndpoints in the bench namespace through one watch: how many carry all K
 * targets of their record (and when the last one did), when each new address was first seen,
 * and how many have their status observed by ExternalDNS.
 */
export class EndpointTracker {
  readonly complete = new Set<string>();
  completedAt: number | undefined;
  private readonly ipSeen = new Map<string, number>();
  private readonly watchedIps = new Set<string>();
  private readonly observed = new Set<string>();
  private readonly expected = new Map<string, string>();
  objects = 0;
  /** Times a complete DNSEndpoint lost one of its targets again before all were complete. */
  regressions = 0;
  private readonly names = new Set<string>();
  private readonly latest = new Map<string, string[]>();

  constructor(readonly fleet: Fleet) {
    for (let i = 0; i < fleet.n; i++) this.expected.set(fleet.host(i), [...fleet.addrs(i)].sort().join(','));
  }

  on = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: EndpointObject): void => {
    const now = performance.now();
    const key = obj.metadata.name;
    if (type === 'DELETED') {
      this.names.delete(key);
      this.observed.delete(key);
      this.objects = this.names.size;
      return;
    }
    this.names.add(key);
    this.objects = this.names.size;
    if ((obj.status?.observedGeneration ?? 0) === obj.metadata.generation) this.observed.add(key);
    else this.observed.delete(key);
    for (const ep of obj.spec?.endpoints ?? []) {
      const targets = ep.targets ?? [];
      this.latest.set(ep.dnsName, targets);
      if (this.completedAt === undefined) {
        // Complete means complete now: a DNSEndpoint that loses a target again counts against it.
        const want = this.expected.get(ep.dnsName);
        if (want !== undefined) {
          if ([...targets].sort().join(',') === want) this.complete.add(ep.dnsName);
          else if (this.complete.delete(ep.dnsName)) this.regressions++;
          if (this.complete.size === this.fleet.n) this.completedAt = now;
        }
      }
      for (const t of targets) if (this.watchedIps.has(t) && !this.ipSeen.has(t)) this.ipSeen.set(t, now);
    }
  };

  /** The targets the DNSEndpoints carry for a name now. */
  targets(dnsName: string): string[] | undefined {
    return this.latest.get(dnsName);
  }

  watchIp(ip: string): void {
    this.watchedIps.add(ip);
  }
  seenAt(ip: string): number | undefined {
    return this.ipSeen.get(ip);
  }
  get statusesObserved(): number {
    return this.observed.size;
  }
}

export interface LeaseObject extends KubeObject {
  spec?: { holderIdentity?: string; renewTime?: string; leaseDurationSeconds?: number };
}

/** Follows the leader Lease: the gaps between successive renewals, as written by the holder. */
export class LeaseTracker {
  private last: number | undefined;
  maxGapMs = 0;
  missed = 0;
  renewals = 0;
  constructor(readonly renewDeadlineMs: number) {}
  on = (_type: string, obj: LeaseObject): void => {
    if (obj.metadata.name !== LEASE_NAME || !obj.spec?.renewTime || !obj.spec.holderIdentity) return;
    const t = Date.parse(obj.spec.renewTime);
    if (Number.isNaN(t) || (this.last !== undefined && t <= this.last)) return;
    if (this.last !== undefined) {
      const gap = t - this.last;
      this.maxGapMs = Math.max(this.maxGapMs, gap);
      if (gap > this.renewDeadlineMs) this.missed++;
    }
    this.renewals++;
    this.last = t;
  };
}


export interface RecordObject extends KubeObject {
  status?: { conditions?: Array<{ type: string; status: string; reason?: string }>; targets?: string[] };
}

/**
 * Follows the IngressDNSRecords in the bench namespace: how many say Ready=True/Published with
 * all K targets of the fleet and carry the cleanup finalizer, and when the last one did: the end
 * of a cold start's status and finalizer writes (DNS itself comes first).
 */
export class RecordTracker {
  readonly done = new Set<string>();
  completedAt: number | undefined;
  private readonly expected = new Map<string, string>();

  constructor(readonly fleet: Fleet) {
    for (let i = 0; i < fleet.n; i++) this.expected.set(fleet.name(i), [...fleet.addrs(i)].sort().join(','));
  }

  on = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: RecordObject): void => {
    const name = obj.metadata.name;
    const ready = obj.status?.conditions?.find((c) => c.type === 'Ready');
    const finished =
      type !== 'DELETED' &&
      ready?.status === 'True' &&
      ready.reason === 'Published' &&
      [...(obj.status?.targets ?? [])].sort().join(',') === this.expected.get(name) &&
      ((obj.metadata.finalizers as string[] | undefined) ?? []).includes('multiclusterdns.kubefed.io/cleanup');
    if (finished) this.done.add(name);
    else this.done.delete(name);
    if (this.completedAt === undefined && this.done.size === this.fleet.n) this.completedAt = performance.now();
  };
}
