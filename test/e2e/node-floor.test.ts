// The Node.js floor is real and cannot drift: package.json's engines.node is the highest floor
// any runtime dependency declares, the built CLI works on exactly that release (fetched as the
// npm package `node` by test/env/install-tools.sh, node-floor), and on an older one it stops with
// one line naming both versions and exit code 2 (before the bundle, which would fail while it
// loads, is evaluated).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { MCDNS_CLI } from '../env/mcdns.js';
import { bins, versions } from '../env/tools.js';

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  engines?: { node?: string } | string[];
}

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockEntry> };

/** Runs the built CLI on a given node binary, outside any npm script (no PATH help). */
function mcdnsOn(node: string, args: string[], input?: string) {
  return spawnSync(node, [MCDNS_CLI, ...args], { encoding: 'utf8', timeout: 60_000, input, env: { PATH: '/usr/bin:/bin', HOME: process.env['HOME'] } });
}

describe('the Node.js floor (package.json engines)', function () {
  this.timeout(120_000);

  it('is the highest floor a runtime dependency declares, and every one of them accepts it', () => {
    const floor = versions.nodeFloor;
    expect(pkg.engines.node, 'engines.node reads ">=x.y.z"').to.match(/^>=\d+\.\d+\.\d+$/);
    const runtime = Object.entries(lock.packages).filter(([p, e]) => p.startsWith('node_modules/') && !e.dev && !e.devOptional);
    expect(runtime.length, 'production packages in package-lock.json').to.be.greaterThan(50);
    const ranges = runtime
      .map(([p, e]) => ({ pkg: `${p.replace(/^.*node_modules\//, '')}@${e.version}`, range: Array.isArray(e.engines) ? undefined : e.engines?.node }))
      .filter((r): r is { pkg: string; range: string } => typeof r.range === 'string');
    const refusing = ranges.filter((r) => !semver.satisfies(floor, r.range)).map((r) => `${r.pkg} wants ${r.range}`);
    expect(refusing, `runtime dependencies that refuse Node.js ${floor}`).to.deep.equal([]);
    const highest = ranges.map((r) => ({ ...r, min: semver.minVersion(r.range)!.version })).sort((a, b) => semver.compare(b.min, a.min))[0]!;
    expect(floor, `the highest floor among runtime dependencies is ${highest.pkg}'s ${highest.range}`).to.equal(highest.min);
  });

  describe(`Node.js ${versions.nodeFloor}, the lowest supported`, () => {
    const node = () => bins.node(versions.nodeFloor);

    it('runs `mcdns --help` and `mcdns --version`', () => {
      expect(mcdnsOn(node(), ['--version']).stdout).to.match(/^\d+\.\d+\.\d+\S* \(commit \w+\)\n$/);
      const help = mcdnsOn(node(), ['--help']);
      expect(help.status, help.stderr).to.equal(0);
      expect(help.stdout).to.match(/^Usage: mcdns /);
      const run = mcdnsOn(node(), ['run', '--help']);
      expect(run.status, run.stderr).to.equal(0);
      expect(run.stdout).to.contain('--leader-elect');
    });

    it('runs `mcdns validate` on files and on stdin: exit 0 when valid, 1 when not', () => {
      const ok = mcdnsOn(node(), ['validate', 'manifests/samples/ingressdnsrecord.yaml', 'manifests/samples/servicednsrecord.yaml']);
      expect(ok.status, ok.stderr).to.equal(0);
      expect(ok.stderr).to.contain('3 valid, 0 invalid');
      const bad = mcdnsOn(node(), ['validate', '-'], readFileSync('test/fixtures/broken-records.yaml', 'utf8'));
      expect(bad.status, bad.stderr).to.equal(1);
      expect(bad.stdout).to.contain('-: IngressDNSRecord/bad-host: spec.hosts[1]');
    });
  });

  describe(`Node.js ${versions.nodeOld}, below the floor`, () => {
    it('stops every command with one line naming the found and the required version, and exit code 2', () => {
      for (const args of [['--help'], ['--version'], ['validate', 'manifests/samples/ingressdnsrecord.yaml'], ['run']]) {
        const r = mcdnsOn(bins.node(versions.nodeOld), args);
        expect(r.status, args.join(' ')).to.equal(2);
        expect(r.stdout).to.equal('');
        expect(r.stderr).to.equal(`mcdns: needs Node.js ${versions.nodeFloor} or later; this is Node.js ${versions.nodeOld}\n`);
      }
    });

    it('would fail without the check: the bundle itself does not start there (so the check is needed)', () => {
      const r = spawnSync(bins.node(versions.nodeOld), ['dist/mcdns-bundle.js', '--help'], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).to.not.equal(0);
      expect(r.stderr).to.match(/TypeError/);
    });
  });
});
