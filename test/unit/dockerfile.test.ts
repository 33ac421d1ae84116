// The Dockerfile, checked without a Docker engine: its structure (multi-stage, non-root, small
// base, pinned), the runtime stage holding Node.js and mcdns's own files only (no stray
// node_modules tree: only the provider SDKs loaded at run time), its labels, and its exact entry
// point and command run against the built dist/ (the image's /app mirrors the repository root).
// test/e2e/image.test.ts builds the runtime stage's files on disk and runs the CLI from them.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { copies, execForm, labelsOf, readDockerfile, runtimeSdkNames, type Stage } from '../env/dockerfile.js';
import { MCDNS_CLI } from '../env/mcdns.js';

const dockerfile = readDockerfile();
const final = dockerfile.at(-1)!;
const stage = (name: string): Stage => dockerfile.find((s) => s.name === name) ?? expect.fail(`no stage ${name}`);
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; type: string; dependencies: Record<string, string> };

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}
/** The SDKs providers/sdk.ts loads at run time, as the providers' code names them. */
const SDKS = runtimeSdkNames(tsFiles('providers').map((f) => readFileSync(f, 'utf8')));

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
    for (const s of dockerfile.filter((x) => !dockerfile.some((o) => o.name === x.from))) {
      expect(s.from, `FROM ${s.from}`).to.match(/@sha256:[0-9a-f]{64}$/);
    }
    expect(stage('build').from).to.match(/^node:24[\w.-]*@/);
  });

  it('ships Node.js and mcdns\'s own files only: the launcher, the bundle, package.json and the SDKs loaded at run time', () => {
    const runtime = copies(final);
    const shipped = runtime.map((c) => `${c.from ?? 'context'}:${c.sources.join(',')}`).sort();
    expect(shipped).to.deep.equal(
      ['build:/src/dist/mcdns-bundle.js', 'build:/src/dist/mcdns-bundle.js.map', 'build:/src/dist/mcdns.js', 'context:package.json', 'sdks:/app/node_modules'].sort(),
    );
    expect(pkg.type, 'the runtime needs package.json for ESM').to.equal('module');
    expect(final.instructions.filter((i) => i.op === 'ADD'), 'ADD in the runtime stage').to.deep.equal([]);
  });

  it('has no stray node_modules tree: the one it copies is pruned to the provider SDKs providers/sdk.ts loads', () => {
    expect(SDKS, 'sdk(...) names in providers/').to.deep.equal(['@azure/arm-dns', '@azure/identity', 'etcd3']);
    const trees = copies(final).filter((c) => c.sources.some((s) => /node_modules/.test(s)));
    expect(trees.length, 'node_modules copied into the runtime stage').to.equal(1);
    const sdks = stage(trees[0]!.from ?? expect.fail('node_modules from the build context'));
    const run = sdks.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join(' && ');
    expect(run).to.match(/^npm ci --omit=dev /);
    // The package.json of that stage is cut down to exactly the SDKs, then npm prunes the rest.
    const kept = /fs\.writeFileSync\('package\.json'[^"]*"\s+([^&]+?)\s*&&/.exec(run)?.[1]?.split(/\s+/).sort();
    expect(kept, 'the packages the stage keeps').to.deep.equal(SDKS);
    expect(run).to.match(/&& npm prune --omit=dev /);
    for (const name of SDKS) expect(pkg.dependencies[name], `${name} is a production dependency`).to.be.a('string');
  });

  it('runs a bundle that needs no package of node_modules but the SDKs: every other import is bundled or part of Node', () => {
    const bundle = readFileSync(MCDNS_CLI.replace(/mcdns\.js$/, 'mcdns-bundle.js'), 'utf8');
    const external = new Set<string>();
    for (const m of bundle.matchAll(/(?:\bfrom|\bimport\(|(?<![\w$.])require\()\s*"((?:@[\w.-]+\/)?[a-z0-9][\w.-]*(?:\/[\w.-]+)*)"/g)) {
      const spec = m[1]!;
      if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)) continue;
      external.add(spec);
    }
    // ajv names its runtime helpers in generated code as text; it calls the bundled functions.
    expect([...external].filter((s) => !s.startsWith('ajv/dist/runtime/')), 'bare imports left in the bundle').to.deep.equal([]);
    expect(builtinModules.length).to.be.greaterThan(30);
  });

  it('labels the image with the OCI annotations: title, description, licence, version, revision, source', () => {
    const labels = labelsOf(final);
    expect(labels['org.opencontainers.image.title']).to.equal('mcdns');
    expect(labels['org.opencontainers.image.licenses']).to.equal('Apache-2.0');
    expect(labels['org.opencontainers.image.version'], 'package.json version').to.equal(pkg.version);
    expect(labels['org.opencontainers.image.revision']).to.equal('${MCDNS_COMMIT}');
    expect(final.instructions.some((i) => i.op === 'ARG' && i.args.startsWith('MCDNS_COMMIT')), 'ARG MCDNS_COMMIT in the runtime stage').to.equal(true);
    expect(labels['org.opencontainers.image.source']).to.match(/^https:\/\//);
    expect(labels['org.opencontainers.image.description']).to.be.a('string').and.not.equal('');
    const build = stage('build').instructions.filter((i) => i.op === 'RUN').at(-1)!.args;
    expect(build, 'the commit reaches the bundle (mcdns --version, mcdns_build_info)').to.contain('MCDNS_COMMIT="${MCDNS_COMMIT}" npm run bundle');
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
    expect(runtime).to.include.members(['package.json', 'node_modules', MCDNS_CLI, 'dist/mcdns-bundle.js']);
  });

  describe('its entry point, run against dist/ as the image runs it', () => {
    const entry = execForm(final, 'ENTRYPOINT')!;
    const cmd = execForm(final, 'CMD')!;
    // The image's node is at the ENTRYPOINT's path; here it is this test's node.
    const argv = (extra: string[]) => [...entry.slice(1), ...extra];
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, args, { cwd: process.cwd(), encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });

    it('is `node dist/mcdns.js` (the launcher, which loads the bundle) with the command `run`', () => {
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
