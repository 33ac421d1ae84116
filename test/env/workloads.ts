// What the member clusters would hold in real life, created through the real API: namespaces,
// Ingresses and LoadBalancer Services whose status the tests set themselves (there is no
// load-balancer controller on the bed), EndpointSlices and labelled Nodes.
import { readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  NetworkingV1Api,
  type KubeConfig,
} from '@kubernetes/client-node';

const code = (e: unknown) => (e as { code?: number }).code;
async function ignoreConflict(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (code(e) !== 409) throw e;
  }
}

export async function ensureNamespace(kc: KubeConfig, name: string): Promise<void> {
  await ignoreConflict(kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } }));
}

const lbStatus = (addresses: string[]) => ({
  loadBalancer: { ingress: addresses.map((a) => (isIP(a) ? { ip: a } : { hostname: a })) },
});

/** An Ingress with one rule per host, and its load-balancer addresses set through /status. */
export async function putIngress(kc: KubeConfig, ns: string, name: string, hosts: string[], addresses: string[]): Promise<void> {
  const api = kc.makeApiClient(NetworkingV1Api);
  const rules = hosts.map((host) => ({
    host,
    http: {
      paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'helloworld', port: { number: 8080 } } } }],
    },
  }));
  let current;
  try {
    current = await api.readNamespacedIngress({ name, namespace: ns });
  } catch (e) {
    if (code(e) !== 404) throw e;
  }
  if (!current) {
    current = await api.createNamespacedIngress({ namespace: ns, body: { metadata: { name, namespace: ns }, spec: { rules } } });
  } else {
    current.spec = { ...current.spec, rules };
    current = await api.replaceNamespacedIngress({ name, namespace: ns, body: current });
  }
  await setIngressAddresses(kc, ns, name, addresses);
}

export async function setIngressAddresses(kc: KubeConfig, ns: string, name: string, addresses: string[]): Promise<void> {
  const api = kc.makeApiClient(NetworkingV1Api);
  const current = await api.readNamespacedIngress({ name, namespace: ns });
  current.status = lbStatus(addresses);
  await api.replaceNamespacedIngressStatus({ name, namespace: ns, body: current });
}

/** A LoadBalancer Service with `ready` ready endpoints in one EndpointSlice. */
export async function putLoadBalancerService(
  kc: KubeConfig,
  ns: string,
  name: string,
  addresses: string[],
  ready = 1,
): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await ignoreConflict(
    core.createNamespacedService({
      namespace: ns,
      body: {
        metadata: { name, namespace: ns },
        spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 8080, protocol: 'TCP' }] },
      },
    }),
  );
  await setServiceAddresses(kc, ns, name, addresses);
  await setReadyEndpoints(kc, ns, name, ready);
}

async function setServiceAddresses(kc: KubeConfig, ns: string, name: string, addresses: string[]): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const svc = await core.readNamespacedService({ name, namespace: ns });
  svc.status = lbStatus(addresses);
  await core.replaceNamespacedServiceStatus({ name, namespace: ns, body: svc });
}

export async function setReadyEndpoints(kc: KubeConfig, ns: string, service: string, ready: number): Promise<void> {
  const api = kc.makeApiClient(DiscoveryV1Api);
  const name = `${service}-mcdns-test`;
  const body = {
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ port: 8080, protocol: 'TCP' }],
    endpoints: Array.from({ length: Math.max(ready, 1) }, (_, i) => ({
      addresses: [`10.1.0.${i + 1}`],
      conditions: { ready: i < ready },
    })),
  };
  try {
    const current = await api.readNamespacedEndpointSlice({ name, namespace: ns });
    await api.replaceNamespacedEndpointSlice({ name, namespace: ns, body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion } } });
  } catch (e) {
    if (code(e) !== 404) throw e;
    await api.createNamespacedEndpointSlice({ namespace: ns, body });
  }
}

/** A Node carrying topology labels, as a cloud provider would label it. */
export async function putNode(kc: KubeConfig, name: string, region?: string, zone?: string): Promise<void> {
  const labels: Record<string, string> = {};
  if (region) labels['topology.kubernetes.io/region'] = region;
  if (zone) labels['topology.kubernetes.io/zone'] = zone;
  await ignoreConflict(kc.makeApiClient(CoreV1Api).createNode({ body: { metadata: { name, labels } } }));
}

/** A KubeFedCluster + token Secret, as `kubefedctl join` leaves them on the host. */
export async function joinKubeFedCluster(
  host: KubeConfig,
  opts: { name: string; apiEndpoint: string; caPem: string; token: string; namespace?: string },
): Promise<void> {
  const namespace = opts.namespace ?? 'kube-federation-system';
  await ensureNamespace(host, namespace);
  const secretName = `${opts.name}-token`;
  await host.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace,
    body: { metadata: { name: secretName, namespace }, data: { token: Buffer.from(opts.token).toString('base64') } },
  });
  await host.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: 'core.kubefed.io',
    version: 'v1beta1',
    namespace,
    plural: 'kubefedclusters',
    body: {
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'KubeFedCluster',
      metadata: { name: opts.name, namespace },
      spec: {
        apiEndpoint: opts.apiEndpoint,
        caBundle: Buffer.from(opts.caPem).toString('base64'),
        secretRef: { name: secretName },
      },
    },
  });
}

/** Polls `probe` until it returns a value `accept` likes; the error says what was seen last. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (v: T) => boolean,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${JSON.stringify(last)}${lastErr ? `; last error: ${(lastErr as Error).message}` : ''}`,
  );
}

/**
 * Every CRD under manifests/crds (and its externaldns/ and kubefed/) on the host, each waited
 * for until Established: with one missing, mcdns waits its offline grace for that watch before
 * it starts reconciling.
 */
export async function installMcdnsCrds(apply: (manifests: string) => Promise<unknown>): Promise<void> {
  const crds = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((e) => (e.isDirectory() ? crds(join(dir, e.name)) : e.name.endsWith('.yaml') && e.name !== 'kustomization.yaml' ? [join(dir, e.name)] : []));
  for (const file of crds('manifests/crds')) await apply(readFileSync(file, 'utf8'));
}
