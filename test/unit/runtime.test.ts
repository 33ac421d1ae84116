// The supported Node.js line is the one the tests run on: `npm test` puts the `node` dev
// dependency (Node 24 LTS) first on PATH, so this process and every child it spawns with
// process.execPath (the built CLI, the e2e controller) run on it, whatever node the machine has.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import semver from 'semver';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const major = (v: string) => Number(/(\d+)/.exec(v)?.[1]);

describe('the Node.js runtime', () => {
  it('is the Node line pinned as a dev dependency (24 LTS)', () => {
    expect(major(pkg.devDependencies['node'] ?? '')).to.equal(24);
    expect(major(process.versions.node), `tests run on ${process.version}`).to.equal(24);
  });

  it('is the Node of the processes the tests spawn', () => {
    const child = execFileSync(process.execPath, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
    expect(major(child)).to.equal(24);
  });

  it('is within the engines range the package declares (whose floor test/e2e/node-floor.test.ts checks)', () => {
    expect(semver.satisfies(process.versions.node, pkg.engines.node), `${process.version} in ${pkg.engines.node}`).to.equal(true);
  });
});
