// Gateway API objects in the members of the test bed, through the real API with the real CRDs
// (sigs.k8s.io/gateway-api, cached by install-tools.sh). There is no Gateway controller on the bed:
// the tests set Gateway.status.addresses and a route's status.parents themselves, as a controller
// would (the Ingress tests set status.loadBalancer the same way).
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { basename } from 'node:path';
import { kubectl, waitForCrdEstablished } from './kube.js';
import { gatewayApiCrds } from './tools.js';

const GROUP = 'gateway.networking.k8s.io';
const VERSION = 'v1';
/** The GatewayClass every test Gateway names, and the controller that "accepts" routes. */
const TEST_GATEWAY_CLASS = 'mcdns-test';
const TEST_CONTROLLER = 'mcdns.test/gateway-controller';

type RouteKindName = 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | 'TCPRoute' | 'UDPRoute';
const plural = (kind: string): string => `${kind.toLowerCase()}s`;
const code = (e: unknown) => (e as { code?: number }).code;

/**
 * Installs the Gateway API CRDs into one member (server-side apply: the HTTPRoute CRD is too big
 * for kubectl's last-applied annotation) and waits until each is Established, then the test
 * GatewayClass.
 */
export async function installGatewayApi(kubeconfig: string, context: string, kc: KubeConfig): Promise<void> {
  for (const file of gatewayApiCrds()) {
    await kubectl(kubeconfig, ['apply', '--server-side', '--force-conflicts', '-f', file], { context, timeoutMs: 120_000 });
    await waitForCrdEstablished(kc, basename(file, '.yaml').replace(/^gateway\.networking\.k8s\.io_/, '') + `.${GROUP}`, 60_000);
  }
  await createOrReplace(kc, undefined, 'gatewayclasses', TEST_GATEWAY_CLASS, {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'GatewayClass',
    metadata: { name: TEST_GATEWAY_CLASS },
    spec: { controllerName: TEST_CONTROLLER },
  });
}

async function createOrReplace(kc: KubeConfig, namespace: string | undefined, resource: string, name: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = { group: GROUP, version: VERSION, plural: resource };
  try {
    const current = (namespace
      ? await api.getNamespacedCustomObject({ ...base, namespace, name })
      : await api.getClusterCustomObject({ ...base, name })) as { metadata: { resourceVersion: string } };
    const next = { ...body, metadata: { ...(body['metadata'] as object), resourceVersion: current.metadata.resourceVersion } };
    return (namespace ? await api.replaceNamespacedCustomObject({ ...base, namespace, name, body: next }) : await api.replaceClusterCustomObject({ ...base, name, body: next })) as Record<string, unknown>;
  } catch (e) {
    if (code(e) !== 404) throw e;
    return (namespace ? await api.createNamespacedCustomObject({ ...base, namespace, body }) : await api.createClusterCustomObject({ ...base, body })) as Record<string, unknown>;
  }
}

export interface TestListener {
  name: string;
  port?: number;
  protocol?: string;
  hostname?: string;
}

/** A Gateway of the test class with `listeners` (default: one HTTP listener on 80, any hostname). */
export async function putGateway(kc: KubeConfig, ns: string, name: string, listeners: TestListener[] = [{ name: 'http' }]): Promise<void> {
  await createOrReplace(kc, ns, 'gateways', name, {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'Gateway',
    metadata: { name, namespace: ns },
    spec: {
      gatewayClassName: TEST_GATEWAY_CLASS,
      listeners: listeners.map((l) => ({
        name: l.name,
        port: l.port ?? 80,
        protocol: l.protocol ?? 'HTTP',
        ...(l.hostname ? { hostname: l.hostname } : {}),
        allowedRoutes: { namespaces: { from: 'All' } },
      })),
    },
  });
}

/** Sets Gateway.status.addresses as a controller would: IPs as IPAddress, names as Hostname. */
export async function setGatewayAddresses(kc: KubeConfig, ns: string, name: string, addresses: Array<string | { type: string; value: string }>): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const current = (await api.getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: ns, plural: 'gateways', name })) as Record<string, unknown>;
  const status = {
    addresses: addresses.map((a) => (typeof a === 'string' ? { type: /^[0-9.:]+$/.test(a) ? 'IPAddress' : 'Hostname', value: a } : a)),
  };
  await api.replaceNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace: ns, plural: 'gateways', name, body: { ...current, status } });
}

export interface TestRoute {
  hostnames?: string[];
  /** Gateways ("namespace/name", or a name in the route's namespace), optionally "…#section". */
  parents: string[];
  /** Backend Services of the one rule, with their weights (default 1). */
  backends?: Array<{ name: string; port?: number; weight?: number; namespace?: string }>;
}

function parentRef(ref: string, routeNamespace: string): { namespace: string; name: string; sectionName?: string } {
  const [gw = '', sectionName] = ref.split('#');
  const [namespace, name] = gw.includes('/') ? (gw.split('/') as [string, string]) : [routeNamespace, gw];
  return { namespace, name, ...(sectionName ? { sectionName } : {}) };
}

/** A route of any kind with one rule; TCPRoute and UDPRoute take no hostnames. */
export async function putRoute(kc: KubeConfig, kind: RouteKindName, ns: string, name: string, route: TestRoute): Promise<void> {
  const hostnames = kind === 'TCPRoute' || kind === 'UDPRoute' ? {} : route.hostnames ? { hostnames: route.hostnames } : {};
  const backendRefs = (route.backends ?? []).map((b) => ({ name: b.name, port: b.port ?? 8080, ...(b.namespace ? { namespace: b.namespace } : {}), ...(b.weight !== undefined ? { weight: b.weight } : {}) }));
  await createOrReplace(kc, ns, plural(kind), name, {
    apiVersion: `${GROUP}/${VERSION}`,
    kind,
    metadata: { name, namespace: ns },
    spec: { parentRefs: route.parents.map((p) => parentRef(p, ns)), ...hostnames, rules: [{ backendRefs }] },
  });
}

/**
 * Sets a route's status.parents as the test controller would: one entry per parent ("ns/name" or
 * "name", optionally "#section"), Accepted=True or False with a reason.
 */
export async function setRouteParents(kc: KubeConfig, kind: RouteKindName, ns: string, name: string, parents: Array<{ parent: string; accepted: boolean; reason?: string }>): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = { group: GROUP, version: VERSION, namespace: ns, plural: plural(kind), name };
  const current = (await api.getNamespacedCustomObject(base)) as Record<string, unknown> & { metadata: { generation?: number } };
  const now = new Date().toISOString();
  const status = {
    parents: parents.map((p) => ({
      parentRef: { group: GROUP, kind: 'Gateway', ...parentRef(p.parent, ns) },
      controllerName: TEST_CONTROLLER,
      conditions: [
        {
          type: 'Accepted',
          status: p.accepted ? 'True' : 'False',
          reason: p.reason ?? (p.accepted ? 'Accepted' : 'NotAllowedByListeners'),
          message: p.accepted ? 'Route accepted' : 'no listener of the Gateway allows this route',
          lastTransitionTime: now,
          observedGeneration: current.metadata.generation ?? 1,
        },
      ],
    })),
  };
  await api.replaceNamespacedCustomObjectStatus({ ...base, body: { ...current, status } });
}
