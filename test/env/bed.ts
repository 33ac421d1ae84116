// The composite test bed: one etcd, a host API server plus N member API servers, PowerDNS,
// ExternalDNS and CoreDNS, all on 127.0.0.1. Used by the end-to-end tests, the demo and the bench.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { startApiServers, type ApiServerHandle, type ApiServers } from './apiserver.js';
import { startCoreDns, type CoreDnsHandle } from './coredns.js';
import { startEtcd, type EtcdHandle } from './etcd.js';
import { installDnsEndpointCrd, startExternalDns, type ExternalDnsHandle, type ExternalDnsOptions } from './externaldns.js';
import { installGatewayApi } from './gateway-api.js';
import { applyManifests, kubeConfigFor, kubectl, type Manifests } from './kube.js';
import { startPowerDns, type PowerDnsHandle } from './powerdns.js';

export interface BedOptions {
  /** Member cluster names (default ['member1', 'member2']). */
  members?: string[];
  /** Host cluster name (default 'host'). */
  host?: string;
  /** Start PowerDNS (default true). */
  powerdns?: boolean;
  /** Start ExternalDNS --source=crd --provider=pdns on the host (default: same as powerdns; needs powerdns). */
  externalDns?: boolean;
  /** Start CoreDNS serving `zone` from the bed's etcd under /skydns (default false). */
  coredns?: boolean;
  /** DNS zone (default 'example.org'): created in PowerDNS, ExternalDNS --domain-filter, CoreDNS zone. */
  zone?: string;
  /** Create `zone` in PowerDNS at start (default true). */
  createZone?: boolean;
  /** DNSEndpoint CRD to install on the host (default: manifests/crds/... or test/env/fixtures/...). */
  dnsEndpointCrd?: Manifests;
  /** Install the DNSEndpoint CRD on the host (default true; forced when externalDns). */
  installDnsEndpointCrd?: boolean;
  /** ExternalDNS settings (the bed fills in kubeconfig, provider and domain filter). */
  externalDnsOptions?: Pick<ExternalDnsOptions, 'ownerId' | 'interval' | 'minEventSyncInterval' | 'policy' | 'version' | 'extraArgs'>;
  /** Extra kube-apiserver flags. */
  apiServerArgs?: string[];
  /** How long each API server may take to answer /readyz (default 90 s; many servers on few cores need more). */
  apiServerStartTimeoutMs?: number;
  /** CoreDNS etcd path (default '/skydns'). */
  corednsPath?: string;
  /** Members whose API servers get the Gateway API CRDs (standard channel, test/env/gateway-api.ts); default none. */
  gatewayApi?: string[];
}

export interface Bed {
  host: string;
  members: string[];
  /** host first, then members. */
  clusters: string[];
  zone: string;
  etcd: EtcdHandle;
  kube: ApiServers;
  /** Kubeconfig with a context per cluster (current-context: host). */
  kubeconfigPath: string;
  /** client-node KubeConfig for one context (cluster name). */
  kubeConfig(context: string): KubeConfig;
  apiServer(cluster: string): ApiServerHandle;
  /** Applies manifests on a cluster: CRDs with kubectl (and waited for until Established), the rest server-side. */
  apply(context: string, manifests: Manifests): Promise<KubernetesObject[]>;
  /** Runs kubectl with the bed's kubeconfig on a context. */
  kubectl(context: string, args: string[], input?: string): Promise<string>;
  powerdns?: PowerDnsHandle;
  externalDns?: ExternalDnsHandle;
  coredns?: CoreDnsHandle;
  /** Start-up time of each component and of the whole bed, in ms. */
  timings: Record<string, number>;
  /** Stops everything (reverse order) and removes the temp dirs. Idempotent. */
  stop(): Promise<void>;
}

/** Runs one start step; on failure the error names the component. */
async function step<T>(component: string, timings: Record<string, number>, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    const v = await fn();
    timings[component] = Date.now() - t0;
    return v;
  } catch (e) {
    const err = new Error(`test bed: ${component} failed to start: ${(e as Error).message}`);
    (err as Error & { cause?: unknown }).cause = e;
    throw err;
  }
}

export async function startBed(opts: BedOptions = {}): Promise<Bed> {
  const t0 = Date.now();
  const host = opts.host ?? 'host';
  const members = opts.members ?? ['member1', 'member2'];
  const clusters = [host, ...members];
  const zone = (opts.zone ?? 'example.org').replace(/\.$/, '');
  const wantPdns = opts.powerdns ?? true;
  const wantXdns = opts.externalDns ?? wantPdns;
  if (wantXdns && !wantPdns) throw new Error('test bed: externalDns needs powerdns: true');
  const timings: Record<string, number> = {};

  // Everything started so far, stopped in reverse order.
  const stoppers: Array<{ name: string; stop: () => Promise<void> }> = [];
  let stopped = false;
  const stopAll = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const errors: string[] = [];
    for (const s of stoppers.reverse()) {
      try {
        await s.stop();
      } catch (e) {
        errors.push(`${s.name}: ${(e as Error).message}`);
      }
    }
    if (errors.length > 0) throw new Error(`test bed: stop failed: ${errors.join('; ')}`);
  };

  try {
    const etcd = await step('etcd', timings, () => startEtcd());
    stoppers.push({ name: 'etcd', stop: etcd.stop });

    // Independent of each other: start in parallel, but register every success for cleanup.
    const [kubeR, pdnsR, corednsR] = await Promise.allSettled([
      step('kube-apiservers', timings, () => startApiServers({ etcd, clusters, currentContext: host, extraArgs: opts.apiServerArgs, startTimeoutMs: opts.apiServerStartTimeoutMs })),
      wantPdns ? step('powerdns', timings, () => startPowerDns()) : Promise.resolve(undefined),
      opts.coredns ? step('coredns', timings, () => startCoreDns({ etcd, zones: zone, path: opts.corednsPath })) : Promise.resolve(undefined),
    ]);
    if (kubeR.status === 'fulfilled') stoppers.push({ name: 'kube-apiservers', stop: kubeR.value.stop });
    if (pdnsR.status === 'fulfilled' && pdnsR.value) stoppers.push({ name: 'powerdns', stop: pdnsR.value.stop });
    if (corednsR.status === 'fulfilled' && corednsR.value) stoppers.push({ name: 'coredns', stop: corednsR.value.stop });
    for (const r of [kubeR, pdnsR, corednsR]) if (r.status === 'rejected') throw r.reason;
    const kube = (kubeR as PromiseFulfilledResult<ApiServers>).value;
    const powerdns = (pdnsR as PromiseFulfilledResult<PowerDnsHandle | undefined>).value;
    const coredns = (corednsR as PromiseFulfilledResult<CoreDnsHandle | undefined>).value;
    const kubeconfigPath = kube.kubeconfigPath;

    for (const member of opts.gatewayApi ?? []) if (!members.includes(member)) throw new Error(`test bed: gatewayApi names "${member}", which is no member`);
    await Promise.all(
      (opts.gatewayApi ?? []).map((member) => step(`Gateway API CRDs on ${member}`, timings, () => installGatewayApi(kubeconfigPath, member, kubeConfigFor(kubeconfigPath, member)))),
    );
    if (opts.installDnsEndpointCrd ?? true) {
      await step('DNSEndpoint CRD on host', timings, () => installDnsEndpointCrd(kubeConfigFor(kubeconfigPath, host), opts.dnsEndpointCrd));
    }
    if (powerdns && (opts.createZone ?? true)) {
      await step(`PowerDNS zone ${zone}`, timings, () => powerdns.createZone(zone));
    }
    let externalDns: ExternalDnsHandle | undefined;
    if (wantXdns && powerdns) {
      const x = opts.externalDnsOptions ?? {};
      externalDns = await step('external-dns', timings, () =>
        startExternalDns({
          kubeconfig: kubeconfigPath,
          context: host,
          provider: { pdns: { apiUrl: powerdns.apiUrl, apiKey: powerdns.apiKey } },
          domainFilter: zone,
          ...x,
        }),
      );
      stoppers.push({ name: 'external-dns', stop: externalDns.stop });
    }
    timings['total'] = Date.now() - t0;

    const bed: Bed = {
      host,
      members,
      clusters,
      zone,
      etcd,
      kube,
      kubeconfigPath,
      kubeConfig: (context) => kubeConfigFor(kubeconfigPath, context),
      apiServer(cluster) {
        const s = kube.servers[cluster];
        if (!s) throw new Error(`test bed: no cluster "${cluster}" (have ${clusters.join(', ')})`);
        return s;
      },
      apply: (context, manifests) => applyManifests(kubeConfigFor(kubeconfigPath, context), manifests),
      kubectl: (context, args, input) => kubectl(kubeconfigPath, args, { context, input }),
      powerdns,
      externalDns,
      coredns,
      timings,
      stop: stopAll,
    };
    return bed;
  } catch (e) {
    await stopAll().catch(() => undefined);
    throw e;
  }
}
