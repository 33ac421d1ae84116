// Child-process and temp-dir plumbing shared by every component of the test bed.
//
// Every server runs in its own process group (spawn detached) with stdout+stderr appended to a log
// file in its temp dir. Everything started here is registered in one process-wide table so that a
// crashing test run, Ctrl-C or a forgotten stop() still kills the servers and removes temp dirs.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// ---------------------------------------------------------------------------------------------
// Process-exit cleanup registry
// ---------------------------------------------------------------------------------------------

const liveGroups = new Set<number>();
const liveDirs = new Set<string>();
let hooksInstalled = false;

// If this Node process is killed with SIGKILL (or crashes hard), no 'exit' handler runs and the
// servers, which live in their own process groups, would be orphaned. A tiny detached shell
// watchdog polls this process every second; once it is gone it kills the groups and removes the
// dirs listed in a registry file that is rewritten on every change.
const reaperList = path.join(os.tmpdir(), `mcdns-reaper-${process.pid}.list`);
let reaperPid: number | undefined;
const REAPER_SCRIPT = `
while kill -0 "$1" 2>/dev/null; do sleep 1; done
[ -f "$2" ] || exit 0
while read -r kind val; do
  case "$kind" in
    pid) kill -KILL "-$val" 2>/dev/null ;;
    dir) case "$val" in "$3"/mcdns-*) rm -rf -- "$val" ;; esac ;;
  esac
done < "$2"
rm -f -- "$2"
`;

function writeReaperList(): void {
  const lines = [...[...liveGroups].map((p) => `pid ${p}`), ...[...liveDirs].map((d) => `dir ${d}`)];
  try {
    if (lines.length === 0) fs.rmSync(reaperList, { force: true });
    else fs.writeFileSync(reaperList, lines.join('\n') + '\n');
  } catch {
    // best effort
  }
  if (lines.length > 0 && reaperPid === undefined) {
    const r = spawn('/bin/sh', ['-c', REAPER_SCRIPT, 'mcdns-reaper', String(process.pid), reaperList, os.tmpdir()], {
      detached: true,
      stdio: 'ignore',
    });
    r.unref();
    reaperPid = r.pid;
  }
}

function killGroupSync(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

/** Synchronous last-resort cleanup: SIGKILL every live process group, remove every temp dir. */
function cleanupAllSync(): void {
  for (const pid of liveGroups) killGroupSync(pid, 'SIGKILL');
  liveGroups.clear();
  for (const dir of liveDirs) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  liveDirs.clear();
  writeReaperList();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      cleanupAllSync();
      process.removeListener(sig, handler);
      // Re-raise so the default behaviour (and exit code) is kept.
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

// ---------------------------------------------------------------------------------------------
// Temp dirs
// ---------------------------------------------------------------------------------------------

/** Keep temp dirs after stop (for debugging): MCDNS_KEEP_TMP=1. */
const keepTemp = process.env['MCDNS_KEEP_TMP'] === '1';

/** Creates a temp dir (under $TMPDIR) that is removed at process exit unless removed earlier. */
export function makeTempDir(prefix: string): string {
  installHooks();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mcdns-${prefix}-`));
  if (!keepTemp) {
    liveDirs.add(dir);
    writeReaperList();
  }
  return dir;
}

export function removeTempDir(dir: string): void {
  liveDirs.delete(dir);
  writeReaperList();
  if (keepTemp) return;
  fs.rmSync(dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------
// Managed processes
// ---------------------------------------------------------------------------------------------

export interface SpawnSpec {
  /** Short name used in error messages ("etcd", "kube-apiserver member1"...). */
  name: string;
  command: string;
  args: string[];
  /** File that receives stdout and stderr (appended: a restart keeps the earlier output). */
  logFile: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

function tailFile(file: string, lines = 40): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch (e) {
    return `(no log: ${(e as Error).message})`;
  }
}

/** A server process in its own process group, logging to a file. */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private exitPromise: Promise<void> = Promise.resolve();

  private constructor(private readonly spec: SpawnSpec) {
    this.name = spec.name;
    this.logFile = spec.logFile;
  }

  static start(spec: SpawnSpec): ManagedProcess {
    const p = new ManagedProcess(spec);
    p.spawn();
    return p;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the process has not exited. */
  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  /** Human-readable exit description, or undefined while running. */
  get exitDescription(): string | undefined {
    if (!this.exitInfo) return undefined;
    return this.exitInfo.signal ? `killed by ${this.exitInfo.signal}` : `exit code ${this.exitInfo.code}`;
  }

  logTail(lines = 40): string {
    return tailFile(this.logFile, lines);
  }

  private spawn(): void {
    installHooks();
    fs.appendFileSync(this.logFile, `\n==== ${new Date().toISOString()} ${this.spec.command} ${this.spec.args.join(' ')}\n`);
    const fd = fs.openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.spec.command, this.spec.args, {
        cwd: this.spec.cwd,
        env: this.spec.env ?? process.env,
        stdio: ['ignore', fd, fd],
        detached: true,
      });
    } finally {
      fs.closeSync(fd);
    }
    this.child = child;
    this.exitInfo = undefined;
    this.exitPromise = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
      child.once('error', (err) => {
        fs.appendFileSync(this.logFile, `\n[test-env] spawn error: ${err.message}\n`);
        this.exitInfo = { code: -1, signal: null };
        resolve();
      });
    });
    child.unref();
    if (child.pid !== undefined) {
      liveGroups.add(child.pid);
      writeReaperList();
    }
  }

  /**
   * Stops the whole process group: SIGTERM, then SIGKILL after graceMs. Resolves once the
   * leader has exited. Idempotent.
   */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || child.pid === undefined) return;
    const pid = child.pid;
    if (this.running) {
      killGroupSync(pid, 'SIGTERM');
      const timedOut = await Promise.race([
        this.exitPromise.then(() => false),
        sleep(graceMs).then(() => true),
      ]);
      if (timedOut) {
        killGroupSync(pid, 'SIGKILL');
        await this.exitPromise;
      }
    }
    // Leftover children of the group, if any.
    killGroupSync(pid, 'SIGKILL');
    liveGroups.delete(pid);
    writeReaperList();
  }

  /** Stops (if running) and starts the same command again. */
  async restart(graceMs = 5000): Promise<void> {
    await this.stop(graceMs);
    this.spawn();
  }

  /** Rejects as soon as the process exits (used to fail fast while waiting for readiness). */
  exited(): Promise<never> {
    return this.exitPromise.then(() => {
      throw this.failure(`exited during start-up (${this.exitDescription})`);
    });
  }

  failure(what: string): Error {
    return new Error(`${this.name} ${what}; log ${this.logFile}, last lines:\n${this.logTail()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Waiting
// ---------------------------------------------------------------------------------------------

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `probe` every intervalMs until it returns a value other than undefined/false, or throws
 * after timeoutMs with the last probe error. If `proc` is given and exits, fails at once with the
 * tail of its log.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  opts: { timeoutMs: number; intervalMs?: number; proc?: ManagedProcess },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  const interval = opts.intervalMs ?? 200;
  let lastErr: unknown;
  for (;;) {
    if (opts.proc && !opts.proc.running) throw opts.proc.failure(`exited while waiting for ${what} (${opts.proc.exitDescription})`);
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      lastErr = undefined;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() > deadline) {
      const reason = lastErr ? `: ${(lastErr as Error).message ?? String(lastErr)}` : '';
      const msg = `timed out after ${opts.timeoutMs} ms waiting for ${what}${reason}`;
      throw opts.proc ? opts.proc.failure(msg) : new Error(msg);
    }
    await sleep(interval);
  }
}
