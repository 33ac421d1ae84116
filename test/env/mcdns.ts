// Runs the built controller exactly as a user would: `node dist/mcdns.js run ...` (the bundle the image runs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, makeTempDir } from './process.js';

/** The built CLI as the package declares it (its `bin`): the bundle `npm run build` writes. */
export const MCDNS_CLI: string = (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: { mcdns: string } }).bin.mcdns;

export interface McdnsHandle {
  process: ManagedProcess;
  logFile: string;
  logs(): string;
  stop(): Promise<void>;
}

export function startMcdns(args: string[], env: NodeJS.ProcessEnv = {}): McdnsHandle {
  const dir = makeTempDir('mcdns-controller-');
  const logFile = join(dir, 'mcdns.log');
  const proc = ManagedProcess.start({
    name: 'mcdns',
    command: process.execPath,
    args: [MCDNS_CLI, 'run', ...args],
    logFile,
    env: { ...process.env, ...env },
  });
  return {
    process: proc,
    logFile,
    logs: () => proc.logTail(400),
    stop: () => proc.stop(),
  };
}

/**
 * Lets health probes reach the bed's fake load balancers: everything here listens on
 * 127.0.0.0/8, which the probe policy refuses by default.
 */
export const ALLOW_LOOPBACK_PROBES = '--probe-allow-cidrs=127.0.0.0/8';

/**
 * The flags that point mcdns at a bed: its kubeconfig, its host and the given members (default
 * all), and the loopback probe allowance.
 */
export function bedFlags(bed: { kubeconfigPath: string; host: string; members: string[] }, members = bed.members): string[] {
  return [`--kubeconfig=${bed.kubeconfigPath}`, `--host-context=${bed.host}`, `--member-contexts=${members.join(',')}`, ALLOW_LOOPBACK_PROBES];
}
