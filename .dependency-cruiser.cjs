// The layering of src/ and providers/, checked by `npm run lint` (dependency-cruiser). A rule's name
// is what a CI failure shows, so each says what it protects. docs/architecture.md's folder map
// describes the same layers in prose, and test/unit/lint/layering.test.ts shows each rule catching
// a deliberate violation.
//
// Lowest layer first. "base" is the files directly in src/ (errors, parse, log, backoff, build-info)
// but the executables, cli.ts and launcher.ts.
// Type-only imports count (tsPreCompilationDeps): a contract in the wrong layer is still a leak.

const base = '^src/(?!(cli|launcher)\\.ts$)[^/]+\\.ts$';
const api = '^src/api/';
const core = '^src/core/';
const plan = '^src/plan/';
const metrics = '^src/metrics/';
const kube = '^src/kube/';
const health = '^src/health/';
const observe = '^src/observe/';
const providers = '^providers/';
const apply = '^src/apply/';
const controller = '^src/controller/';
const commands = '^src/commands/';
const cli = '^src/cli\\.ts$';
const launcher = '^src/launcher\\.ts$';
const mcdns = '^(src|providers)/';

const either = (...layers) => layers.map((l) => `(${l})`).join('|');

// Modules that talk to the outside world (files, network, processes, the Kubernetes API, DNS
// providers, logs, metrics, timers). node:net is not here: core/targets.ts uses its isIP, which is
// pure. Core modules resolve without their node: prefix.
const io = either(
  '^(fs|http|https|http2|dns|child_process|tls|dgram|worker_threads|cluster|readline)(/|$)',
  '(^|/)node_modules/(@kubernetes/client-node|axios|etcd3|@azure/[^/]+|winston|prom-client|node-cron)/',
);

/** "files in `from` may import, of mcdns, only files in `allowed`" */
function onlyImports(name, comment, from, ...allowed) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from },
    to: { path: mcdns, pathNot: either(...allowed) },
  };
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular-imports',
      comment: 'Import cycles (type-only ones too) mean a contract lives in the wrong file: move it down a layer.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'src/cli.ts is the executable: nothing imports it.',
      severity: 'error',
      from: {},
      to: { path: cli },
    },
    {
      name: 'only-the-cli-imports-commands',
      comment: 'src/commands/ is the command line; the controller, the providers and the libraries below never depend on it.',
      severity: 'error',
      from: { path: mcdns, pathNot: either(commands, cli) },
      to: { path: commands },
    },
    onlyImports('cli-imports-only-commands', 'src/cli.ts only starts src/commands/program.ts.', cli, commands),
    {
      name: 'launcher-imports-nothing',
      comment: 'src/launcher.ts checks the Node.js version before anything else loads: it imports nothing at all (the bundle is loaded by path).',
      severity: 'error',
      from: { path: launcher },
      to: {},
    },
    {
      name: 'nothing-imports-the-launcher',
      comment: 'src/launcher.ts is the executable npm and the image start: nothing imports it.',
      severity: 'error',
      from: {},
      to: { path: launcher },
    },
    {
      name: 'production-code-imports-no-tests',
      comment: 'src/ and providers/ never import test/.',
      severity: 'error',
      from: { path: mcdns },
      to: { path: '^test/' },
    },
    onlyImports('base-imports-only-base', 'errors, parse, log, backoff sit under everything: they import no other mcdns file.', base, base),
    onlyImports('api-imports-only-api', 'The CRD types and schemas are the bottom contract: they import nothing of mcdns.', api, api),
    onlyImports('core-imports-only-api-and-core', 'core/ is the pure model: records and observations in, endpoints and verdicts out.', core, api, core),
    onlyImports('plan-imports-only-api-core-plan', 'plan/ is pure zone planning and TXT ownership.', plan, api, core, plan),
    {
      name: 'api-core-plan-do-no-io',
      comment:
        'api/, core/ and plan/ are pure (they carry most of the tests): no files, network, Kubernetes client, provider SDKs, logger, metrics or timers. ' +
        'src/api/write-crds.ts is the `npm run manifests` script and may write files.',
      severity: 'error',
      from: { path: either(api, core, plan), pathNot: '^src/api/write-crds\\.ts$' },
      to: { path: io },
    },
    onlyImports('metrics-imports-only-base', 'metrics/ is the Prometheus registry and HTTP endpoints: every layer may feed it, so it depends on nothing but base.', metrics, base, metrics),
    onlyImports('kube-imports-only-base-api-core-metrics', 'kube/ is the client-node adapters (informers, lists, leader election).', kube, base, api, core, metrics, kube),
    onlyImports('health-imports-only-base-api-core-metrics', 'health/ is the active probes.', health, base, api, core, metrics, health),
    onlyImports('observe-imports-only-base-api-core-kube-metrics', 'observe/ watches member clusters through kube/.', observe, base, api, core, kube, metrics, observe),
    onlyImports('providers-import-only-plan-core-api-base', 'providers/ is the plug-in face: a provider sees the plan types, never the controller or the CLI.', providers, providers, plan, core, api, base),
    onlyImports('apply-imports-only-base-api-core-plan-metrics-providers', 'apply/ is the provider side (config, sink, zones, batches, outputs).', apply, base, api, core, plan, metrics, providers, apply),
    {
      name: 'controller-runtime-imports-no-other-controller-folder',
      comment: 'controller/runtime/ (queue, manager, readiness) is generic machinery the rest of the controller runs on.',
      severity: 'error',
      from: { path: '^src/controller/runtime/' },
      to: { path: controller, pathNot: '^src/controller/runtime/' },
    },
    {
      name: 'controller-host-imports-only-host-and-runtime-of-the-controller',
      comment: 'controller/host/ holds the host read/write ports that reconcile/, events/ and triggers/ build on.',
      severity: 'error',
      from: { path: '^src/controller/host/' },
      to: { path: controller, pathNot: either('^src/controller/host/', '^src/controller/runtime/') },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
  },
};
