// The layering rules (.dependency-cruiser.cjs) catch what they say they catch: dependency-cruiser's
// CLI, run with the repo's rule file on test/fixtures/layering/ (a miniature tree in which each file
// breaks one rule on purpose), reports each violation under the expected rule name and exits
// non-zero; run on the real src/ and providers/, it reports nothing.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const RULES = resolve('.dependency-cruiser.cjs');
const DEPCRUISE = resolve('node_modules/dependency-cruiser/bin/dependency-cruiser.mjs');
const FIXTURES = 'test/fixtures/layering';

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** dependency-cruiser's CLI in `cwd` on `paths`, with the repo's rules, reporting as `outputType`. */
function depcruise(cwd: string, paths: string[], outputType: 'json' | 'err-long') {
  const run = spawnSync(process.execPath, [DEPCRUISE, ...paths, '--config', RULES, '--output-type', outputType], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  return run;
}

/** The violations dependency-cruiser finds in `paths` (run in `cwd`). */
function violations(cwd: string, paths: string[]): Violation[] {
  return (JSON.parse(depcruise(cwd, paths, 'json').stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

/** Each rule of the rule file, with the fixture that breaks it (from → to), in the file's order. */
const EXPECTED: Record<string, string[]> = {
  'no-circular-imports': ['src/plan/a.ts → src/plan/b.ts'],
  'nothing-imports-cli': ['src/controller/uses-cli.ts → src/cli.ts'],
  'only-the-cli-imports-commands': ['src/controller/reads-cli-options.ts → src/commands/options.ts'],
  'cli-imports-only-commands': ['src/cli.ts → src/controller/run.ts'],
  'launcher-imports-nothing': ['src/launcher.ts → src/log.ts'],
  'nothing-imports-the-launcher': ['src/commands/starts-launcher.ts → src/launcher.ts'],
  'production-code-imports-no-tests': ['src/core/uses-test.ts → test/helper.ts'],
  'base-imports-only-base': ['src/log.ts → src/core/record-key.ts'],
  'api-imports-only-api': ['src/api/kinds.ts → src/core/record-key.ts'],
  'core-imports-only-api-and-core': ['src/core/decide.ts → src/controller/run.ts'],
  'plan-imports-only-api-core-plan': ['src/plan/uses-kube.ts → src/kube/lists.ts'],
  'api-core-plan-do-no-io': ['src/core/logs.ts → winston', 'src/core/reads-files.ts → fs'],
  'metrics-imports-only-base': ['src/metrics/metrics.ts → src/controller/runtime/queue.ts'],
  'kube-imports-only-base-api-core-metrics': ['src/kube/lists.ts → src/observe/member.ts'],
  'health-imports-only-base-api-core-metrics': ['src/health/prober.ts → src/observe/member.ts'],
  'observe-imports-only-base-api-core-kube-metrics': ['src/observe/member.ts → src/apply/sink.ts'],
  'providers-import-only-plan-core-api-base': ['providers/fake/provider.ts → src/controller/run.ts'],
  'apply-imports-only-base-api-core-plan-metrics-providers': ['src/apply/sink.ts → src/controller/reconcile/reconciler.ts'],
  'controller-runtime-imports-no-other-controller-folder': ['src/controller/runtime/queue.ts → src/controller/host/ports.ts'],
  'controller-host-imports-only-host-and-runtime-of-the-controller': ['src/controller/host/ports.ts → src/controller/reconcile/reconciler.ts'],
};

/** `to` as the fixture names it: a package by its name, not by its file under node_modules/. */
const target = (to: string) => to.match(/node_modules\/((@[^/]+\/)?[^/]+)\//)?.[1] ?? to;

describe('layering rules (.dependency-cruiser.cjs)', () => {
  it('has a fixture breaking each rule, named in the same order', () => {
    const rules = (createRequire(import.meta.url)(RULES) as { forbidden: { name: string }[] }).forbidden;
    expect(Object.keys(EXPECTED)).to.deep.equal(rules.map((r) => r.name));
  });

  it('reports each fixture under its rule, and nothing else', () => {
    const found: Record<string, string[]> = {};
    for (const v of violations(FIXTURES, ['src', 'providers', 'test'])) (found[v.rule.name] ??= []).push(`${v.from} → ${target(v.to)}`);
    for (const list of Object.values(found)) list.sort();
    expect(found).to.deep.equal(EXPECTED);
  });

  it('fails as `npm run lint` runs it: a non-zero exit, each broken rule named', () => {
    const run = depcruise(FIXTURES, ['src', 'providers', 'test'], 'err-long');
    expect(run.status).to.not.equal(0);
    for (const rule of Object.keys(EXPECTED)) expect(run.stdout).to.include(`error ${rule}: `);
  });

  it('counts a type-only import: the a ↔ b cycle closes through `import type`', () => {
    const cycle = violations(FIXTURES, ['src/plan/a.ts', 'src/plan/b.ts']).filter((v) => v.rule.name === 'no-circular-imports');
    expect(cycle.map((v) => `${v.from} → ${v.to}`)).to.deep.equal(['src/plan/a.ts → src/plan/b.ts']);
  });

  it('finds no violation in src/ and providers/', () => {
    const found = violations('.', ['src', 'providers']);
    expect(found.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).to.deep.equal([]);
  });
});
