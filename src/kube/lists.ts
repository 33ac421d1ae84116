// List functions for watchResource over APIs whose generated client returns untyped JSON.
import { CustomObjectsApi, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { ListPage } from './informer.js';
import { timeoutOptions } from './request.js';

/** Narrows an untyped list answer; throws if it is not a Kubernetes list. */
function asList(value: unknown): KubernetesListObject<KubernetesObject> {
  const items = value !== null && typeof value === 'object' ? (value as { items?: unknown }).items : undefined;
  if (!Array.isArray(items)) throw new Error('API answer is not a list (no items array)');
  return value as KubernetesListObject<KubernetesObject>;
}

export interface CustomResource {
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  labelSelector?: string;
}

/** The collection path a watch of this custom resource uses. */
export function customResourcePath(r: CustomResource): string {
  return r.namespace
    ? `/apis/${r.group}/${r.version}/namespaces/${r.namespace}/${r.plural}`
    : `/apis/${r.group}/${r.version}/${r.plural}`;
}

/** Lists the custom resource; one page (limit/continue) when the informer asks for pages. */
export function customObjectLister(kc: KubeConfig, r: CustomResource, timeoutMs: number): (page?: ListPage) => Promise<KubernetesListObject<KubernetesObject>> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const opts = timeoutOptions(timeoutMs);
  return async (page) => {
    const req = { ...r, ...page };
    return asList(
      r.namespace
        ? ((await api.listNamespacedCustomObject({ ...req, namespace: r.namespace }, opts)) as unknown)
        : ((await api.listClusterCustomObject(req, opts)) as unknown),
    );
  };
}
