// The cached helm (and promtool) run on the repository's chart and monitoring files.
import { execFile } from 'node:child_process';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseYamlObjects } from './kube.js';
import { bins } from './tools.js';

export const CHART = 'manifests/helm/mcdns';

/** Runs a cached tool; resolves with stdout and stderr, rejects with both on a non-zero exit. */
export function runTool(bin: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin.split('/').pop()} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export const helm = (args: string[]): Promise<{ stdout: string; stderr: string }> => runTool(bins.helm(), args);

export interface TemplateOptions {
  release?: string;
  namespace?: string;
  values?: string[];
  set?: string[];
  /** Render crds/ too (default true). */
  includeCrds?: boolean;
}

/** `helm template` of the chart: the rendered objects. */
export async function helmTemplate(opts: TemplateOptions = {}): Promise<KubernetesObject[]> {
  return parseYamlObjects(await helmTemplateText(opts));
}

export async function helmTemplateText(opts: TemplateOptions = {}): Promise<string> {
  const args = ['template', opts.release ?? 'mcdns', CHART, '--namespace', opts.namespace ?? 'mcdns-system'];
  if (opts.includeCrds ?? true) args.push('--include-crds');
  for (const v of opts.values ?? []) args.push('--values', v);
  for (const s of opts.set ?? []) args.push('--set', s);
  return (await helm(args)).stdout;
}

/** A rendered object by kind and name; throws listing what was rendered when absent. */
export function objectOf<T extends KubernetesObject = KubernetesObject>(objects: KubernetesObject[], kind: string, name: string): T {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  return found as T;
}
