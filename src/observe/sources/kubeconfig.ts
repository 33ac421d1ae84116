// Members from kubeconfig contexts, one context per cluster, and the host's KubeConfig. A
// kubeconfig is read as kubectl reads it: --kubeconfig names one file; without it, the files
// KUBECONFIG lists are merged (the first file to set a cluster, user, context or the current
// context wins; files that do not exist are skipped); without KUBECONFIG, ~/.kube/config; without
// that, the pod's in-cluster ServiceAccount.
import { existsSync } from 'node:fs';
import { delimiter } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import type { MemberConfig } from './member-config.js';

interface Loaded {
  kc: KubeConfig;
  /** Where it came from, for messages: " in <file>", " in KUBECONFIG (a:b)". */
  where: string;
}

function fromFile(file: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(file);
  } catch (err) {
    throw new Error(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
  return kc;
}

/** The files of a KUBECONFIG list merged as kubectl merges them. */
function merged(list: string): KubeConfig {
  const files = list.split(delimiter).filter((f) => f !== '' && existsSync(f));
  if (files.length === 0) throw new Error(`KUBECONFIG=${list} names no file that exists`);
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let current = '';
  for (const file of files) {
    const kc = fromFile(file);
    current ||= kc.getCurrentContext() ?? '';
    for (const c of kc.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of kc.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of kc.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext: current });
  return kc;
}

function loadKubeConfig(path: string | undefined): Loaded {
  if (path) return { kc: fromFile(path), where: ` in ${path}` };
  const list = process.env['KUBECONFIG'];
  if (list) return { kc: merged(list), where: ` in KUBECONFIG (${list})` };
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return { kc, where: ' in the default kubeconfig' };
}

/**
 * The kubeconfig switched to `context`, or an error naming the context and listing the
 * available ones. Each caller gets a fresh KubeConfig because the current context is mutable
 * state and client-node caches connection agents per KubeConfig.
 */
function withContext(path: string | undefined, context: string): KubeConfig {
  const { kc, where } = loadKubeConfig(path);
  if (!kc.getContextObject(context)) {
    const available = kc.getContexts().map((c) => c.name);
    throw new Error(`unknown kubeconfig context "${context}"${where}; available contexts: ${available.length ? available.join(', ') : '(none)'}`);
  }
  kc.setCurrentContext(context);
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new Error(`kubeconfig context "${context}"${where} refers to a cluster that is not defined`);
  }
  return kc;
}

/**
 * One member per context; the cluster name is the context name. Without `contexts`, every
 * context of the file is a member (a kubeconfig given for the members alone, --members-kubeconfig).
 */
export function membersFromKubeconfig(path: string | undefined, contexts: string[], allContexts = false): MemberConfig[] {
  let names = contexts;
  if (names.length === 0 && allContexts) {
    const { kc, where } = loadKubeConfig(path);
    names = kc.getContexts().map((c) => c.name);
    if (names.length === 0) throw new Error(`no member clusters: no context${where}`);
  }
  const seen = new Set<string>();
  return names.map((context) => {
    if (seen.has(context)) throw new Error(`kubeconfig context "${context}" is listed twice`);
    seen.add(context);
    return { name: context, kubeConfig: withContext(path, context), source: 'kubeconfig' as const };
  });
}

/** The host cluster's KubeConfig: `context` if given, else the current context. */
export function hostKubeConfig(path: string | undefined, context?: string): KubeConfig {
  if (context) return withContext(path, context);
  const { kc, where } = loadKubeConfig(path);
  if (!kc.getCurrentCluster()) throw new Error(`no current context with a cluster${where}`);
  return kc;
}
