// Which Gateway API kinds a member's API server serves, and at which version: its discovery
// documents (GET /apis, then /apis/gateway.networking.k8s.io/<version> per version the group
// serves). A member without the Gateway API CRDs is normal: it simply serves none. Every
// authenticated user may read discovery (system:discovery), so this needs no RBAC of its own.
import { ApisApi, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { GATEWAY_API_GROUP } from '../../api/route-ref.js';
import { timeoutOptions } from '../../kube/request.js';

/** A kind the member serves: the version to watch and the resource's plural. */
export interface ServedKind {
  version: string;
  plural: string;
}

export interface GatewayApiDiscovery {
  /** The group is served at all (some Gateway API CRD is installed). */
  group: boolean;
  /** Kind → where to watch it; only kinds served by some version. */
  kinds: Map<string, ServedKind>;
}

/** The kinds mcdns reads: Gateway and the five route kinds. */
const KINDS = new Set(['Gateway', 'HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute', 'UDPRoute']);

/**
 * Asks the member which Gateway API kinds it serves. A kind served by several versions is read at
 * the first the API server lists (its own order: v1 before v1beta1 before v1alpha2).
 */
export async function discoverGatewayApi(kc: KubeConfig, timeoutMs: number): Promise<GatewayApiDiscovery> {
  const opts = timeoutOptions(timeoutMs);
  const groups = await kc.makeApiClient(ApisApi).getAPIVersions(opts);
  const group = groups.groups.find((g) => g.name === GATEWAY_API_GROUP);
  const kinds = new Map<string, ServedKind>();
  if (!group) return { group: false, kinds };
  const custom = kc.makeApiClient(CustomObjectsApi);
  const versions = [group.preferredVersion?.version, ...group.versions.map((v) => v.version)].filter((v, i, all): v is string => !!v && all.indexOf(v) === i);
  for (const version of versions) {
    const list = await custom.getAPIResources({ group: GATEWAY_API_GROUP, version }, opts);
    for (const r of list.resources) {
      if (r.name.includes('/') || !KINDS.has(r.kind) || kinds.has(r.kind)) continue;
      if (!r.verbs.includes('list') || !r.verbs.includes('watch')) continue;
      kinds.set(r.kind, { version, plural: r.name });
    }
  }
  return { group: true, kinds };
}
