// Members from a merged kubeconfig, one context per cluster (how every seed starts).
import { KubeConfig } from '@kubernetes/client-node';
import type { MemberConfig } from './member-config.js';

/** The kubeconfig at `path`, or client-node's default lookup (KUBECONFIG, ~/.kube/config, in-cluster). */
function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

function where(path: string | undefined): string {
  return path ? ` in ${path}` : ' in the default kubeconfig';
}

/**
 * `kc` switched to `context`, or an error naming the context and listing the available ones.
 * Each caller gets a fresh KubeConfig because the current context is mutable state and
 * client-node caches connection agents per KubeConfig.
 */
function withContext(path: string | undefined, context: string): KubeConfig {
  const kc = loadKubeConfig(path);
  if (!kc.getContextObject(context)) {
    const available = kc.getContexts().map((c) => c.name);
    throw new Error(
      `unknown kubeconfig context "${context}"${where(path)}; available contexts: ${available.length ? available.join(', ') : '(none)'}`,
    );
  }
  kc.setCurrentContext(context);
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new Error(`kubeconfig context "${context}"${where(path)} refers to a cluster that is not defined`);
  }
  return kc;
}

/** One member per context; the cluster name is the context name. */
export function membersFromKubeconfig(path: string | undefined, contexts: string[]): MemberConfig[] {
  const seen = new Set<string>();
  return contexts.map((context) => {
    if (seen.has(context)) throw new Error(`kubeconfig context "${context}" is listed twice`);
    seen.add(context);
    return { name: context, kubeConfig: withContext(path, context), source: 'kubeconfig' as const };
  });
}

/** The host cluster's KubeConfig: `context` if given, else the file's current context. */
export function hostKubeConfig(path: string | undefined, context?: string): KubeConfig {
  if (context) return withContext(path, context);
  const kc = loadKubeConfig(path);
  if (!kc.getCurrentCluster()) throw new Error(`no current context with a cluster${where(path)}`);
  return kc;
}
