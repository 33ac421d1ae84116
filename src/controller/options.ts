// What `mcdns run` builds the controller from: the options (commands/run.ts fills them from the
// flags), and the parts every piece of the wiring shares (wiring/, run.ts).
import type { KubeConfig } from '@kubernetes/client-node';
import type { ProviderSettings } from '../apply/config.js';
import type { ProbePolicyOptions } from '../health/index.js';
import type { Logger } from '../log.js';
import type { PodRef } from './events/member-sources.js';
import type { OwnWrites } from './host/own-writes.js';
import type { Manager } from './runtime/manager.js';
import type { WorkQueue } from './runtime/queue.js';
import type { ServedRecords } from './triggers/served.js';

/**
 * Records reconciled at once. A reconcile is mostly waiting on host API writes, so this is a
 * bound on concurrent I/O, not on CPU; one waiting for its provider batch gives its place back
 * (queue.ts Slot), so batches are not bounded by it.
 */
export const DEFAULT_WORKERS = 64;

export interface ControllerOptions {
  kubeconfig?: string;
  hostContext?: string;
  /** Kubeconfig of the members alone (default: `kubeconfig`); all its contexts when memberContexts is empty. */
  membersKubeconfig?: string;
  memberContexts: string[];
  kubefedClusters: boolean;
  kubefedNamespace: string;
  namespace?: string;
  dnsEndpointGroup: string;
  offlineGraceMs: number;
  heartbeatMs: number;
  /** How often a member is asked again for the Gateway API kinds it serves while a wanted one is missing. */
  gatewayDiscoveryMs?: number;
  workers: number;
  logLevel: string;
  /** Cron expression of the full resync (default every 5 minutes). */
  resyncSchedule: string;
  /** Address of /metrics, /healthz, /readyz ("0" or "" = none). */
  metricsAddress: string;
  leaderElect: boolean;
  /** Namespace of the Lease (default: the pod's namespace, else the host context's, else "default"). */
  leaderElectionNamespace?: string;
  /** Name of the Lease. */
  leaderElectionId: string;
  leaseDurationMs: number;
  /** How long SIGTERM waits for in-flight reconciles before abandoning them. */
  shutdownTimeoutMs: number;
  /** Direct DNS providers (none: DNSEndpoints for ExternalDNS only). */
  providers: ProviderSettings;
  /** Emit DNSEndpoints (on by default; may be turned off when a provider is configured). */
  dnsEndpoints: boolean;
  /** Keep the last published targets of a name whose targets all fail (default on). */
  failOpen: boolean;
  /** TTL (seconds) of health-checked names without a recordTTL; 0: KubeFed's 180 s. */
  healthCheckedTtlS: number;
  probeConcurrency: number;
  /** Extra CA bundle (PEM file) trusted by https probes. */
  probeCaFile?: string;
  /** Which networks and ports health probes may reach. */
  probePolicy: ProbePolicyOptions;
  /** The pod mcdns runs in, for Events about mcdns itself (none outside a pod). */
  pod?: PodRef;
}

/** What every part of the wiring is built with. */
export interface ControllerBase {
  opts: ControllerOptions;
  logger: Logger;
  /** The host cluster's connection, shared by every host client. */
  hostKc: KubeConfig;
  /** Starts the parts in order, stops them in reverse. */
  manager: Manager;
  queue: WorkQueue;
  /** Which records each member cluster serves, for the records a member change affects. */
  served: ServedRecords;
  /** The host writes of this process, so their watch events queue nothing. */
  own: OwnWrites;
}
