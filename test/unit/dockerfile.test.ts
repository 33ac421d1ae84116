// The Dockerfile, checked without a Docker engine: its structure (multi-stage, production
// dependencies only, non-root, small base), the files it copies, and its exact entry point and
// command run against the built dist/ (the image's /app mirrors the repository root).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { MCDNS_CLI } from '../env/mcdns.js';

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Parses a Dockerfile into stages (line continuations joined, comments dropped, ARGs substituted in FROM). */
export function parseDockerfile(text: string): Stage[] {
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

const dockerfile = parseDockerfile(readFileSync('Dockerfile', 'utf8'));
const final = dockerfile.at(-1)!;
const exec = (stage: Stage, op: string): string[] | undefined => {
  const i = stage.instructions.filter((x) => x.op === op).at(-1);
  return i ? (JSON.parse(i.args) as string[]) : undefined;
};
const copies = (stage: Stage) =>
  stage.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      const parts = i.args.split(/\s+/);
      const from = parts.find((p) => p.startsWith('--from='))?.slice('--from='.length);
      const paths = parts.filter((p) => !p.startsWith('--'));
      return { from, sources: paths.slice(0, -1), dest: paths.at(-1)! };
    });

function jsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? jsFiles(p) : p.endsWith('.js') ? [p] : [];
  });
}

describe('Dockerfile', () => {
  it('is multi-stage and ends on a small, non-root Node 24 base with no shell step', () => {
    expect(dockerfile.length).to.be.at.least(2);
    expect(final.from).to.match(/^gcr\.io\/distroless\/nodejs24-debian\d+:nonroot@/);
    const user = final.instructions.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
    const uid = Number(user.split(':')[0]);
    expect(Number.isInteger(uid) && uid > 0, `USER ${user} must be a numeric non-root uid`).to.equal(true);
    expect(final.instructions.filter((i) => i.op === 'RUN'), 'RUN in the runtime stage').to.deep.equal([]);
  });

  it('pins every base image by digest, and builds on the Node line it runs on', () => {
    for (const stage of dockerfile.filter((s) => !dockerfile.some((o) => o.name === s.from))) {
      expect(stage.from, `FROM ${stage.from}`).to.match(/@sha256:[0-9a-f]{64}$/);
    }
    const build = dockerfile.find((s) => s.name === 'build')!;
    expect(build.from).to.match(/^node:24[\w.-]*@/);
  });

  it('ships production dependencies only, from a stage that installed them with --omit=dev', () => {
    const modules = copies(final).find((c) => c.sources.some((s) => s.endsWith('node_modules')));
    expect(modules?.from, 'node_modules come from another stage').to.be.a('string');
    const stage = dockerfile.find((s) => s.name === modules!.from)!;
    const installs = stage.instructions.filter((i) => i.op === 'RUN' && /npm ci/.test(i.args));
    expect(installs.length).to.equal(1);
    expect(installs[0]!.args).to.match(/--omit=dev/);
    // Everything the compiled code imports is a production dependency (or part of Node).
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string>; type: string };
    expect(pkg.type, 'the runtime needs package.json for ESM').to.equal('module');
    const bare = new Set<string>();
    for (const dir of ['dist/src', 'dist/providers']) {
      for (const f of jsFiles(dir)) {
        for (const m of readFileSync(f, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) {
          const spec = m[1] ?? m[2] ?? m[3]!;
          if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
          bare.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
        }
      }
    }
    expect(bare.size).to.be.greaterThan(3);
    expect([...bare].filter((p) => !pkg.dependencies[p]), 'imported at run time but not a production dependency').to.deep.equal([]);
  });

  it('copies files that exist (and are not excluded by .dockerignore), and the runtime files the build makes', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const stage of dockerfile) {
      for (const c of copies(stage)) {
        for (const src of c.sources) {
          if (c.from === undefined) {
            expect(existsSync(src), `COPY ${src}`).to.equal(true);
            expect(ignored.some((i) => src === i || src.startsWith(`${i}/`)), `${src} is in .dockerignore`).to.equal(false);
          } else if (c.from === 'build') {
            // /src/dist/<x> of the build stage is dist/<x> here.
            expect(existsSync(src.replace(/^\/src\//, '')), `COPY --from=build ${src}`).to.equal(true);
          }
        }
      }
    }
    const runtime = copies(final).map((c) => c.dest.replace(/^\.\//, '').replace(/\/$/, ''));
    expect(runtime).to.include.members(['package.json', 'node_modules', MCDNS_CLI]);
  });

  describe('its entry point, run against dist/ as the image runs it', () => {
    const entry = exec(final, 'ENTRYPOINT')!;
    const cmd = exec(final, 'CMD')!;
    // The image's node is at the ENTRYPOINT's path; here it is this test's node.
    const argv = (extra: string[]) => [...entry.slice(1), ...extra];
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, args, { cwd: process.cwd(), encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });

    it('is `node dist/mcdns.js` (the bundle) with the command `run`', () => {
      expect(path.basename(entry[0]!)).to.equal('node');
      expect(entry.slice(1)).to.deep.equal([MCDNS_CLI]);
      expect(cmd).to.deep.equal(['run']);
    });

    it('starts the `run` command (its --help lists the production flags)', () => {
      const r = run(argv([...cmd, '--help']));
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^Usage: mcdns run/);
      for (const flag of ['--leader-elect', '--metrics-address', '--kubefed-clusters', '--lease-duration']) expect(r.stdout).to.contain(flag);
    });

    it('accepts exactly the Deployment\'s arguments (and fails only on the missing cluster)', () => {
      const deployment = parseAllDocuments(readFileSync('manifests/deployment.yaml', 'utf8'))[0]!.toJS() as {
        spec: { template: { spec: { containers: Array<{ image: string; args: string[] }> } } };
      };
      const args = deployment.spec.template.spec.containers[0]!.args;
      expect(args[0]).to.equal(cmd[0]);
      const home = mkdtempSync(path.join(tmpdir(), 'mcdns-dockerfile-'));
      try {
        // No kubeconfig: the controller stops at loading it, before it binds any address.
        const r = run(argv(args), { KUBECONFIG: path.join(home, 'no-such-kubeconfig'), HOME: home });
        expect(r.status).to.equal(2);
        expect(r.stderr).to.match(/^mcdns: .*no-such-kubeconfig/);
        expect(r.stderr).not.to.match(/unknown option|error: option/);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    });
  });
});
