// The V8 heap mcdns runs with is set once, in the Deployment's NODE_OPTIONS: the Helm chart
// renders the same by default, `npm run bench` starts mcdns with it, and it leaves the rest of
// the process room under the container's memory limit.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { deploymentNodeOptions, mcdnsProcessEnv } from '../../bench/options.js';

const MANIFEST = 'manifests/deployment.yaml';
const VALUES = 'manifests/helm/mcdns/values.yaml';

/**
 * What the mcdns process holds besides its V8 heap: the node binary (about 61 MiB resident),
 * malloc'd memory of Node.js, V8 and OpenSSL, buffers and sockets. The bench measured 128 MiB
 * (RSS less V8's heap total) at 10,000 records x 2 clusters, 119 MiB at 10,000 x 10 with
 * MALLOC_ARENA_MAX=2, and about 110 MiB since the image runs the bundle (docs/operations.md, Sizing).
 */
const OUTSIDE_HEAP_MIB = 128;

function mib(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`memory quantity ${quantity}: expected Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

function flag(options: string, name: string): number {
  const m = new RegExp(`(?:^|\\s)--${name}=(\\d+)(?:\\s|$)`).exec(options);
  if (!m) throw new Error(`NODE_OPTIONS "${options}" has no --${name}`);
  return Number(m[1]);
}

function manifestLimit(): string {
  const d = parseDocument(readFileSync(MANIFEST, 'utf8')).toJS() as { spec: { template: { spec: { containers: Array<{ name: string; resources: { limits: { memory: string } } }> } } } };
  return d.spec.template.spec.containers.find((c) => c.name === 'mcdns')!.resources.limits.memory;
}

const values = parseDocument(readFileSync(VALUES, 'utf8')).toJS() as { nodeOptions: string; resources: { limits: { memory: string } } };

describe('manifests: the V8 heap of mcdns', () => {
  it('is capped in the Deployment: old space and young generation', () => {
    const options = deploymentNodeOptions(MANIFEST);
    expect(flag(options, 'max-old-space-size')).to.be.greaterThan(0);
    expect(flag(options, 'max-semi-space-size')).to.be.greaterThan(0);
  });

  it('is the same in the Helm chart by default, with the same memory limit', () => {
    expect(values.nodeOptions).to.equal(deploymentNodeOptions(MANIFEST));
    expect(values.resources.limits.memory).to.equal(manifestLimit());
  });

  it('leaves the rest of the process room under the memory limit', () => {
    const options = deploymentNodeOptions(MANIFEST);
    // V8's young generation is three semi-spaces (two for scavenges, one for large objects).
    const heap = flag(options, 'max-old-space-size') + 3 * flag(options, 'max-semi-space-size');
    expect(heap + OUTSIDE_HEAP_MIB, `heap ${heap} MiB + ${OUTSIDE_HEAP_MIB} MiB outside it`).to.be.at.most(mib(manifestLimit()));
  });

  it('is what the bench starts mcdns with, followed by NODE_OPTIONS of its own environment, with the same malloc arenas', () => {
    const options = deploymentNodeOptions(MANIFEST);
    expect(mcdnsProcessEnv({}, MANIFEST)).to.deep.equal({ NODE_OPTIONS: options, MALLOC_ARENA_MAX: '2' });
    expect(mcdnsProcessEnv({ NODE_OPTIONS: '--heapsnapshot-signal=SIGUSR2' }, MANIFEST).NODE_OPTIONS).to.equal(`${options} --heapsnapshot-signal=SIGUSR2`);
  });

  it('fails the bench loudly when the Deployment sets none', () => {
    expect(() => deploymentNodeOptions('manifests/pdb.yaml')).to.throw(/sets no NODE_OPTIONS/);
  });
});
