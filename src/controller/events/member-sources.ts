// The member sources mcdns is asked to read beside the kubeconfig's contexts (KubeFedCluster
// objects, opt-in) may not be readable: the CRD not installed, its namespace absent, RBAC
// refusing. That never holds the controller hostage (readiness waits only for sources that are
// being read, and members from the other sources publish); it is said where an operator looks:
// one log line and one Event on mcdns's pod when it changes, the mcdns_member_source_available
// gauge, and the body of /readyz.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { describeError } from '../../errors.js';
import { eventBody } from '../../kube/event-body.js';
import { timeoutOptions } from '../../kube/request.js';
import type { Logger } from '../../log.js';

/** What a source is now: read (available), not readable and why, or still being read the first time. */
export interface SourceState {
  /** kubeconfig, kubefedclusters */
  source: string;
  state: 'available' | 'unavailable' | 'pending';
  reason?: string;
}

/** The pod mcdns runs in (downward API: MCDNS_POD_NAME, MCDNS_POD_NAMESPACE, MCDNS_POD_UID). */
export interface PodRef {
  name: string;
  namespace: string;
  uid?: string;
}

export const SourceEventReason = {
  /** A member source cannot be read; members come from the others. */
  Unavailable: 'MemberSourceUnavailable',
  /** It can be read again. */
  Available: 'MemberSourceAvailable',
} as const;

const DESCRIPTION: Record<string, string> = {
  kubeconfig: 'kubeconfig contexts',
  kubefedclusters: 'KubeFedCluster objects',
};

export interface MemberSourceReportOptions {
  sources: () => SourceState[];
  logger: Logger;
  /** Events go to this pod (none when mcdns does not run in one). */
  pod?: PodRef;
  kc: KubeConfig;
  intervalMs?: number;
}

export class MemberSourceReport {
  private readonly last = new Map<string, SourceState>();
  private timer: NodeJS.Timeout | undefined;
  private readonly core: CoreV1Api;

  constructor(private readonly opts: MemberSourceReportOptions) {
    this.core = opts.kc.makeApiClient(CoreV1Api);
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), this.opts.intervalMs ?? 2_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Each source's state now. */
  states(): SourceState[] {
    return this.opts.sources();
  }

  /** Each source and whether it can be read (pending ones count as available: nothing is known against them yet). */
  availability(): Array<{ source: string; available: boolean }> {
    return this.opts.sources().map((s) => ({ source: s.source, available: s.state !== 'unavailable' }));
  }

  /** One line per source that cannot be read, for /readyz. */
  problems(): string[] {
    return this.opts.sources().filter((s) => s.state === 'unavailable').map((s) => `member source ${s.source} unavailable: ${s.reason ?? 'unknown'}`);
  }

  /** Logs and records an Event for every source whose availability changed since the last check. */
  check(): void {
    for (const s of this.opts.sources()) {
      const before = this.last.get(s.source);
      if (s.state === 'pending' || (before?.state === s.state && before.reason === s.reason)) continue;
      this.last.set(s.source, s);
      const what = DESCRIPTION[s.source] ?? s.source;
      if (s.state === 'unavailable') {
        const message = `member clusters from ${what} cannot be read: ${s.reason ?? 'unknown'}; members from the other sources are published`;
        this.opts.logger.warn('member source unavailable', { source: s.source, reason: s.reason });
        void this.event('Warning', SourceEventReason.Unavailable, message);
      } else if (before) {
        this.opts.logger.info('member source available again', { source: s.source });
        void this.event('Normal', SourceEventReason.Available, `member clusters from ${what} can be read again`);
      }
    }
  }

  private async event(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const pod = this.opts.pod;
    if (!pod) return;
    const involvedObject = { apiVersion: 'v1', kind: 'Pod', name: pod.name, namespace: pod.namespace, ...(pod.uid ? { uid: pod.uid } : {}) };
    try {
      await this.core.createNamespacedEvent({ namespace: pod.namespace, body: eventBody({ involvedObject, type, reason, message, component: 'mcdns' }) }, timeoutOptions(10_000));
    } catch (err) {
      this.opts.logger.warn('could not record event', { reason, pod: `${pod.namespace}/${pod.name}`, error: describeError(err) });
    }
  }
}
