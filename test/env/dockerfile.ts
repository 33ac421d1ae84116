// The Dockerfile read without a Docker engine: its stages and instructions (line continuations
// joined, comments dropped, the global ARGs substituted in FROM), for the tests that check it, the
// one that builds its runtime stage's files on disk, and the sandbox kubelet that runs the image's
// entry point.
import { readFileSync } from 'node:fs';

interface Instruction {
  op: string;
  args: string;
}

export interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

export interface Copy {
  /** The stage copied from (--from=), or undefined for the build context. */
  from?: string;
  sources: string[];
  dest: string;
}

function parseDockerfile(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const op = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (op === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      if (k && v !== undefined) args.set(k, v);
      continue;
    }
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      const image = (f?.[1] ?? rest).replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? '');
      stages.push({ from: image, name: f?.[2], instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push({ op, args: rest });
  }
  return stages;
}

export const readDockerfile = (file = 'Dockerfile'): Stage[] => parseDockerfile(readFileSync(file, 'utf8'));

/** The stage's COPY instructions. */
export function copies(stage: Stage): Copy[] {
  return stage.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const parts = i.args.split(/\s+/);
      const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
      const paths = parts.filter((p) => !p.startsWith('--'));
      return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });
}

/** The JSON array of the stage's last `op` (ENTRYPOINT, CMD). */
export function execForm(stage: Stage, op: string): string[] | undefined {
  const i = stage.instructions.filter((x) => x.op === op).at(-1);
  return i ? (JSON.parse(i.args) as string[]) : undefined;
}

/** The stage's ENV settings (KEY=value forms). */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.op === 'ENV')) {
    for (const m of i.args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return env;
}

/** The stage's LABELs (key="value" pairs). */
export function labelsOf(stage: Stage): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.op === 'LABEL')) {
    for (const m of i.args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) labels[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  }
  return labels;
}

/** The names providers/sdk.ts loads at run time: every `sdk<...>('<name>')` in providers/. */
export function runtimeSdkNames(sources: string[]): string[] {
  const names = new Set<string>();
  for (const text of sources) for (const m of text.matchAll(/\bsdk<[^>]*>\(\s*'([^']+)'\s*\)/g)) names.add(m[1]!);
  return [...names].sort();
}
