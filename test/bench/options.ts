// The flags of `npm run bench`, in one place: the bench parses them and the docs test checks
// that docs/performance.md names no flag the bench does not have.
import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { parseDocument } from 'yaml';

export const BENCH_OPTIONS = {
  scenario: { type: 'string', default: 'latency' },
  json: { type: 'string' },
  changes: { type: 'string' },
  'idle-trials': { type: 'string', default: '2' },
  'idle-ms': { type: 'string', default: '35000' },
  'min-event-sync-interval': { type: 'string', default: '1s' },
  trials: { type: 'string', default: '20' },
  records: { type: 'string', default: '1000,5000,10000' },
  clusters: { type: 'string', default: '10' },
  zones: { type: 'string', default: '1' },
  source: { type: 'string', default: 'ingress' },
  workers: { type: 'string' },
  'bulk-concurrency': { type: 'string', default: '16' },
  'steady-s': { type: 'string', default: '60' },
  'converge-timeout-s': { type: 'string', default: '300' },
  'externaldns-timeout-s': { type: 'string', default: '300' },
  'externaldns-defaults': { type: 'string', default: 'always' },
  'externaldns-defaults-timeout-s': { type: 'string', default: '300' },
  'externaldns-lifted-qps': { type: 'string', default: '10000' },
  'change-timeout-s': { type: 'string', default: '30' },
  'mcdns-args': { type: 'string', default: '' },
  'pdns-api-rectify': { type: 'string', default: 'on' },
  'api-servers': { type: 'string' },
  'member-rtt': { type: 'string', default: '0' },
  background: { type: 'string', default: '0' },
  churn: { type: 'string', default: '0' },
  chart: { type: 'string' },
  from: { type: 'string' },
} satisfies ParseArgsConfig['options'];

/**
 * The process environment the Deployment gives mcdns (manifests/deployment.yaml; the Helm chart
 * renders the same by default): NODE_OPTIONS (the V8 heap) and the glibc malloc settings, so that
 * the bench measures mcdns as users run it and cannot drift from it. NODE_OPTIONS of the bench's
 * own environment is appended after the Deployment's (a diagnostic such as
 * --heapsnapshot-signal, or an override to compare).
 */
export function mcdnsProcessEnv(env: NodeJS.ProcessEnv = process.env, manifest = 'manifests/deployment.yaml'): Record<string, string> {
  const fromDeployment = deploymentProcessEnv(manifest);
  const nodeOptions = [fromDeployment['NODE_OPTIONS'], env['NODE_OPTIONS']].filter((o) => o !== undefined && o.trim() !== '').join(' ');
  return { ...fromDeployment, NODE_OPTIONS: nodeOptions };
}

/** NODE_OPTIONS of the mcdns container in a Deployment manifest; throws if it has none. */
export function deploymentNodeOptions(manifest = 'manifests/deployment.yaml'): string {
  const value = deploymentProcessEnv(manifest)['NODE_OPTIONS'];
  if (value === undefined || value.trim() === '') throw new Error(`${manifest}: the mcdns container sets no NODE_OPTIONS`);
  return value;
}

/** The mcdns container's literal NODE_OPTIONS and MALLOC_* variables in a Deployment manifest. */
function deploymentProcessEnv(manifest = 'manifests/deployment.yaml'): Record<string, string> {
  const deployment = parseDocument(readFileSync(manifest, 'utf8')).toJS() as {
    spec?: { template?: { spec?: { containers?: Array<{ name?: string; env?: Array<{ name?: string; value?: unknown }> }> } } };
  };
  const container = deployment.spec?.template?.spec?.containers?.find((c) => c.name === 'mcdns');
  const out: Record<string, string> = {};
  for (const e of container?.env ?? []) {
    if (typeof e.name === 'string' && (e.name === 'NODE_OPTIONS' || e.name.startsWith('MALLOC_')) && typeof e.value === 'string') out[e.name] = e.value;
  }
  return out;
}
