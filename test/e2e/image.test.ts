// The image's runtime stage, built on disk without a Docker engine: the Dockerfile's `sdks` stage
// is run as written (its COPY and RUN instructions, in a directory standing for its WORKDIR; npm
// reaches the registry or its cache), the build stage's files are the ones `npm run build` made
// here (the same tsc and `npm run bundle`), and the runtime stage's COPY instructions assemble
// /app from them. That file set must hold mcdns's own files and the provider SDKs with what they
// depend on, nothing else; the CLI must run from it with the image's ENTRYPOINT and ENV, and load
// every SDK from it.
import { expect } from 'chai';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { copies, envOf, execForm, readDockerfile, type Stage } from '../env/dockerfile.js';
import { freePort } from '../env/ports.js';
import { makeTempDir } from '../env/process.js';

const exec = promisify(execFile);
const dockerfile = readDockerfile();
const final = dockerfile.at(-1)!;
const stageNamed = (name: string): Stage => dockerfile.find((s) => s.name === name) ?? expect.fail(`no stage ${name}`);
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };

/** Runs a stage's COPY (from the build context) and RUN instructions in `dir`, its WORKDIR. */
async function runStage(stage: Stage, dir: string): Promise<void> {
  const env = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env['PATH']}`, npm_config_update_notifier: 'false' };
  for (const i of stage.instructions) {
    if (i.op === 'COPY') {
      const c = copies({ ...stage, instructions: [i] })[0]!;
      if (c.from) throw new Error(`the ${stage.name} stage copies from ${c.from}: not expected`);
      for (const src of c.sources) fs.cpSync(src, path.join(dir, c.dest.endsWith('/') ? path.basename(src) : c.dest), { recursive: true });
    } else if (i.op === 'RUN') {
      await exec('bash', ['-euo', 'pipefail', '-c', i.args], { cwd: dir, env, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
    } else if (!['WORKDIR', 'ARG', 'ENV'].includes(i.op)) throw new Error(`${stage.name}: ${i.op} is not handled here`);
  }
}

function du(dir: string): number {
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) * 1024;
}

describe('the image\'s runtime stage, built on disk from the Dockerfile', function () {
  this.timeout(600_000);
  let app: string;
  let sdks: string;
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [...execForm(final, 'ENTRYPOINT')!.slice(1), ...args], {
      cwd: app,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: '/usr/bin:/bin', HOME: makeTempDir('image-home'), ...envOf(final), ...extraEnv },
    });

  before(async () => {
    sdks = makeTempDir('stage-sdks');
    await runStage(stageNamed('sdks'), sdks);
    app = makeTempDir('stage-runtime');
    for (const c of copies(final)) {
      for (const src of c.sources) {
        const from = c.from === undefined ? src : c.from === 'sdks' ? path.join(sdks, path.relative('/app', src)) : c.from === 'build' ? path.relative('/src', src) : expect.fail(`COPY --from=${c.from}`);
        const dest = path.join(app, path.normalize(c.dest));
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.cpSync(from, dest, { recursive: true });
      }
    }
  });

  it('holds mcdns\'s own files and the provider SDKs\' node_modules, nothing else', () => {
    expect(fs.readdirSync(app).sort()).to.deep.equal(['dist', 'node_modules', 'package.json']);
    expect(fs.readdirSync(path.join(app, 'dist')).sort()).to.deep.equal(['mcdns-bundle.js', 'mcdns-bundle.js.map', 'mcdns.js']);
    const top = fs.readdirSync(path.join(app, 'node_modules')).flatMap((d) => (d.startsWith('@') ? fs.readdirSync(path.join(app, 'node_modules', d)).map((s) => `${d}/${s}`) : [d]));
    const sdkNames = ['@azure/arm-dns', '@azure/identity', 'etcd3'];
    expect(top).to.include.members(sdkNames);
    const bundled = Object.keys(pkg.dependencies).filter((d) => !sdkNames.includes(d));
    expect(top.filter((t) => bundled.includes(t)), 'production dependencies already inside the bundle').to.deep.equal([]);
    expect(top.filter((t) => ['typescript', 'esbuild', 'mocha', 'chai', 'knip', 'eslint'].includes(t)), 'build and test tools').to.deep.equal([]);
    // npm agrees that every package there is needed by an SDK, and none is missing.
    const ls = spawnSync('npm', ['ls', '--all', '--omit=dev', '--json'], { cwd: sdks, encoding: 'utf8', env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env['PATH']}` } });
    expect((JSON.parse(ls.stdout) as { problems?: string[] }).problems ?? [], 'extraneous or missing packages').to.deep.equal([]);
    const mib = (b: number) => Math.round(b / 1048576);
    console.log(`      runtime /app: ${mib(du(app))} MiB (node_modules ${mib(du(path.join(app, 'node_modules')))} MiB, ${top.length} top-level packages)`);
  });

  it('runs the CLI with the image\'s entry point and environment, and nothing but its own files', () => {
    const version = cli(['--version']);
    expect(version.status, version.stderr).to.equal(0);
    expect(version.stdout).to.match(/^\d+\.\d+\.\d+\S* \(commit \w+\)\n$/);
    const validate = cli(['validate', path.resolve('manifests/samples/'), path.resolve('test/fixtures/broken-records.yaml')]);
    expect(validate.status, 'invalid fixtures are findings').to.equal(1);
    expect(validate.stderr).to.contain('4 valid, 3 invalid');
    const run = cli(['run', '--help']);
    expect(run.status, run.stderr).to.equal(0);
  });

  it('loads every provider SDK from its node_modules, as providers/sdk.ts does', async () => {
    const bundle = path.join(app, 'dist', 'mcdns-bundle.js');
    for (const name of ['@azure/identity', '@azure/arm-dns', 'etcd3']) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { createRequire } from 'node:module'; createRequire(${JSON.stringify(bundle)})(${JSON.stringify(name)});`], { cwd: app, encoding: 'utf8' });
      expect(r.status, `${name}: ${r.stderr}`).to.equal(0);
    }
    // And through the CLI: the CoreDNS-etcd provider gets as far as the (absent) etcd.
    const port = await freePort();
    const audit = cli(['audit', '--provider', 'coredns-etcd', `--etcd-endpoints=http://127.0.0.1:${port}`, '--coredns-zones=example.org', '--zone=example.org', '--provider-timeout=2s']);
    expect(audit.status).to.equal(2);
    expect(audit.stdout).to.match(/^mcdns audit: cannot read coredns-etcd: /);
    expect(audit.stdout + audit.stderr).to.not.match(/Cannot find module|ERR_MODULE_NOT_FOUND/);
  });

  it('would not run the CoreDNS-etcd provider without its SDK (the check above can fail)', async () => {
    const moved = path.join(app, 'etcd3-moved');
    fs.renameSync(path.join(app, 'node_modules', 'etcd3'), moved);
    try {
      const audit = cli(['audit', '--provider', 'coredns-etcd', `--etcd-endpoints=http://127.0.0.1:${await freePort()}`, '--coredns-zones=example.org', '--zone=example.org']);
      expect(audit.status).to.not.equal(0);
      expect(audit.stdout + audit.stderr).to.match(/Cannot find (module|package) 'etcd3'/);
    } finally {
      fs.renameSync(moved, path.join(app, 'node_modules', 'etcd3'));
    }
  });
});
