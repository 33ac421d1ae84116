// `mcdns run`'s options as the controller takes them: the flags commander parsed, checked
// together (a combination that cannot work stops mcdns before it connects anywhere).
import { DEFAULT_WORKERS, type ControllerOptions } from '../controller/options.js';
import { DEFAULT_HEALTH_CHECKED_TTL } from '../core/ttl.js';
import { DEFAULT_PROBE_CONCURRENCY, ProbePolicy } from '../health/index.js';
import { POD_ENV } from './options.js';
import { providerSettings } from './provider-options.js';

function podFromEnv(env: NodeJS.ProcessEnv): ControllerOptions['pod'] {
  const [name, namespace, uid] = POD_ENV.env.map((k) => env[k] || undefined);
  if (!name || !namespace) return undefined;
  return { name, namespace, ...(uid ? { uid } : {}) };
}

export function controllerOptions(raw: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): ControllerOptions {
  const str = (k: string) => (typeof raw[k] === 'string' && raw[k] !== '' ? (raw[k] as string) : undefined);
  const opts: ControllerOptions = {
    kubeconfig: str('kubeconfig'),
    hostContext: str('hostContext'),
    membersKubeconfig: str('membersKubeconfig'),
    memberContexts: (str('memberContexts') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    kubefedClusters: raw.kubefedClusters === true || raw.kubefedClusters === 'true',
    kubefedNamespace: str('kubefedNamespace') ?? 'kube-federation-system',
    namespace: str('namespace'),
    dnsEndpointGroup: str('dnsendpointGroup') ?? 'externaldns.k8s.io',
    offlineGraceMs: Number(raw.offlineGrace ?? 30_000),
    heartbeatMs: Number(raw.heartbeatInterval ?? 5_000),
    gatewayDiscoveryMs: Number(raw.gatewayDiscoveryInterval ?? 30_000),
    workers: Number(raw.workers ?? DEFAULT_WORKERS),
    logLevel: str('logLevel') ?? 'info',
    resyncSchedule: str('resyncSchedule') ?? '*/5 * * * *',
    metricsAddress: str('metricsAddress') ?? '0',
    leaderElect: raw.leaderElect === true || raw.leaderElect === 'true',
    leaderElectionNamespace: str('leaderElectionNamespace'),
    leaderElectionId: str('leaderElectionId') ?? 'mcdns',
    leaseDurationMs: Number(raw.leaseDuration ?? 15_000),
    shutdownTimeoutMs: Number(raw.shutdownTimeout ?? 10_000),
    providers: providerSettings(raw),
    dnsEndpoints: raw.dnsendpoints !== false && raw.dnsendpoints !== 'false',
    failOpen: raw.failOpen !== false && raw.failOpen !== 'false',
    healthCheckedTtlS: raw.healthCheckedTtl === undefined ? DEFAULT_HEALTH_CHECKED_TTL : Number(raw.healthCheckedTtl) / 1000,
    probeConcurrency: Number(raw.probeConcurrency ?? DEFAULT_PROBE_CONCURRENCY),
    probeCaFile: str('probeCaFile'),
    probePolicy: {
      allowCidrs: list(raw.probeAllowCidrs),
      denyCidrs: list(raw.probeDenyCidrs),
      allowedPorts: list(raw.probeAllowedPorts),
    },
  };
  const pod = podFromEnv(env);
  if (pod) opts.pod = pod;
  new ProbePolicy(opts.probePolicy); // a bad network or port fails at start, naming it
  if (!opts.dnsEndpoints && opts.providers.providers.length === 0) {
    throw new Error('--no-dnsendpoints needs a --provider: otherwise nothing would be published');
  }
  if (opts.memberContexts.length === 0 && !opts.membersKubeconfig && !opts.kubefedClusters) {
    throw new Error('no member clusters: give --members-kubeconfig, --member-contexts and/or --kubefed-clusters');
  }
  if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new Error('--workers must be a positive integer');
  if (!Number.isInteger(opts.healthCheckedTtlS) || opts.healthCheckedTtlS < 0) {
    throw new Error('--health-checked-ttl must be a whole number of seconds (0 turns it off)');
  }
  if (!(opts.leaseDurationMs >= 1000) || opts.leaseDurationMs % 1000 !== 0) {
    throw new Error('--lease-duration must be a whole number of seconds, at least 1s');
  }
  return opts;
}

/** A comma-separated flag (or a repeated one) as a list. */
function list(value: unknown): string[] {
  const items = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? [value] : [];
  return items.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}
