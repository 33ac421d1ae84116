// A user following a page of the docs: its ```sh blocks, parsed out of the Markdown and run as
// written, each in a fresh `bash -euo pipefail` (so a block must not rely on a variable another
// block set), in a working directory that looks like a checkout of this repository, with the
// environment a test gives (the sandbox's kubeconfig, tools on PATH). Three readings of the text,
// all visible in the docs themselves:
// - a command line ending in `# exit code N` must end with exit code N (documented findings);
// - `mcdns run` (or `npx mcdns run`) is the controller: started in the background, as a user
//   starts it in a second terminal, and stopped by the test;
// - every other command must succeed.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ManagedProcess, makeTempDir, sleep } from './process.js';

export interface DocBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The headings above it: `## 4. Install mcdns`, `### With Helm`... */
  headings: string[];
  text: string;
}

/** The ```sh blocks of a Markdown file, with the headings they sit under. */
export function shellBlocks(file: string): DocBlock[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  const headings: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^(#{1,6}) /.exec(line);
    if (heading) {
      headings.splice(heading[1]!.length - 1);
      headings[heading[1]!.length - 1] = line.trim();
      continue;
    }
    const fence = /^```(\S*)/.exec(line);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    if (fence[1] === 'sh') blocks.push({ file, line: start + 1, headings: headings.filter(Boolean), text: body.join('\n') });
  }
  return blocks;
}

const RUN = /^(npx )?mcdns run\b/;
const EXIT_CODE = /\s+#\s*exit code (\d+)\b.*$/;

export interface BlockResult {
  stdout: string;
  stderr: string;
}

export class DocRunner {
  /** Where the blocks run: a checkout's root (manifests/ and the built CLI are links to this one). */
  readonly cwd: string;
  readonly controllers: ManagedProcess[] = [];
  readonly transcript: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.cwd = makeTempDir('walkthrough');
    for (const entry of ['manifests', 'package.json', 'package-lock.json', 'node_modules', 'dist']) {
      fs.symlinkSync(path.resolve(entry), path.join(this.cwd, entry));
    }
  }

  /** Runs one block: its lines in order, `mcdns run` in the background; rejects with the transcript on a failure. */
  async run(block: DocBlock): Promise<BlockResult> {
    const where = `${block.file}:${block.line} (${block.headings.at(-1) ?? ''})`;
    const out: BlockResult = { stdout: '', stderr: '' };
    let script: string[] = [];
    const flush = async () => {
      if (script.length === 0) return;
      const r = await this.bash(script.join('\n'), where);
      out.stdout += r.stdout;
      out.stderr += r.stderr;
      script = [];
    };
    for (const line of block.text.replace(/\\\n/g, ' ').split('\n')) {
      if (RUN.test(line.trim())) {
        await flush();
        this.transcript.push(`$ ${line.trim()} &   (${where}: the controller, in the background)`);
        this.controllers.push(
          ManagedProcess.start({ name: 'mcdns run (from the docs)', command: 'bash', args: ['-c', `exec ${line.trim()}`], logFile: path.join(this.cwd, `controller-${this.controllers.length}.log`), cwd: this.cwd, env: this.env }),
        );
        continue;
      }
      const expected = EXIT_CODE.exec(line);
      if (expected) {
        const command = line.replace(EXIT_CODE, '');
        script.push(`if ${command}; then rc=0; else rc=$?; fi; if [ "$rc" -ne ${expected[1]} ]; then echo "expected exit code ${expected[1]}, got $rc: ${command.replace(/["$`\\]/g, '\\$&')}" >&2; exit 1; fi`);
      } else script.push(line);
    }
    await flush();
    return out;
  }

  private bash(script: string, where: string): Promise<BlockResult> {
    this.transcript.push(...script.split('\n').map((l) => `$ ${l}`));
    return new Promise((resolve, reject) => {
      const child = execFile('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', script], { cwd: this.cwd, env: this.env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        this.transcript.push(stdout.trimEnd(), stderr.trimEnd());
        if (err) reject(new Error(`${where} failed (${err.message.split('\n')[0]}):\n${this.transcript.slice(-40).join('\n')}`));
        else resolve({ stdout, stderr });
      });
      child.stdin?.end();
    });
  }

  /**
   * Stops the controllers as Ctrl-C in a user's terminal does: the signal (SIGTERM here) to the
   * whole process group (npx, the shell it runs, mcdns), then waits for every one of them to exit,
   * so that mcdns finishes its shutdown; whatever is left after 15 s is killed.
   */
  async stop(): Promise<void> {
    await Promise.all(this.controllers.map((c) => stopController(c)));
  }
}

/** A directory holding the named executables as links (kubectl, helm, ...): put it first on PATH. */
export function toolDir(tools: Record<string, string>): string {
  const dir = makeTempDir('tools');
  for (const [name, target] of Object.entries(tools)) fs.symlinkSync(target, path.join(dir, name));
  return dir;
}

async function stopController(c: ManagedProcess): Promise<void> {
  const group = c.pid;
  if (group !== undefined) {
    const alive = () => {
      try {
        process.kill(-group, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (alive()) process.kill(-group, 'SIGTERM');
    for (let waited = 0; alive() && waited < 15_000; waited += 100) await sleep(100);
  }
  await c.stop(5_000);
}
