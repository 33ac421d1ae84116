// The `mcdns` commands: run the controller, validate YAML offline, plan and audit a provider,
// print shell completion. Every flag and its environment variable is defined here (and in
// provider-options.ts); README's configuration table is generated from these.
import { Command, Option } from 'commander';
import { validateFiles } from './validate.js';
import { readInputs } from './inputs.js';
import { addProviderOptions } from './provider-options.js';
import { durationOption, POD_ENV, strictBooleanEnv } from './options.js';
import { DEFAULT_HEALTH_CHECKED_TTL } from '../core/ttl.js';
import { BUILD } from '../build-info.js';
import { exitCodesHelp } from './exit-codes.js';

export const program = new Command();
program
  .name('mcdns')
  .description(
    'Multi-cluster DNS controller: KubeFed IngressDNSRecord/ServiceDNSRecord (and RouteDNSRecord for Gateway API routes) in, ExternalDNS DNSEndpoints out',
  )
  .version(`${BUILD.version} (commit ${BUILD.commit})`, '--version', 'print the version and the commit it was built from')
  .showHelpAfterError()
  // Usage errors end the process in src/cli.ts, with exit code 2 (a finding is 1).
  .exitOverride()
  .addHelpText('after', exitCodesHelp())
  // Boolean environment variables mean what they say (true/false/1/0), or stop the command.
  .hook('preAction', (_program, command) => strictBooleanEnv(command));

/** -o/--output of the commands that print a report (no environment variable: per invocation). */
const output = () => new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table');

/** -R, as kubectl's: directories given are read with the directories below them. */
const recursive = () => new Option('-R, --recursive', 'read the directories given with every directory below them');

program
  .command('validate')
  .description('check IngressDNSRecord, ServiceDNSRecord, RouteDNSRecord and Domain YAML offline (multi-document files too)')
  .argument('<file...>', 'YAML files, directories (their .yaml, .yml and .json files), or - for stdin')
  .addOption(recursive())
  .addOption(output())
  .action((files: string[], opts: { output: 'table' | 'json'; recursive?: boolean }) => {
    const inputs = readInputs(files, { recursive: opts.recursive });
    const texts = new Map(inputs.map((i) => [i.name, i.text]));
    const report = validateFiles(
      inputs.map((i) => i.name),
      (f) => texts.get(f) ?? '',
    );
    if (opts.output === 'json') {
      const { valid, invalid, ignored, problems, notes } = report;
      process.stdout.write(`${JSON.stringify({ valid, invalid, ignored, problems, notes }, null, 2)}\n`);
    } else {
      for (const line of report.lines) console.log(line);
      for (const note of report.notes) console.error(`note: ${note}`);
      console.error(`${report.valid} valid, ${report.invalid} invalid, ${report.ignored} other objects ignored`);
    }
    process.exitCode = report.invalid > 0 ? 1 : 0;
  });

const dur = durationOption;

addProviderOptions(program.command('run'))
  .description('start the controller')
  .addHelpText('after', `\nSet by the Deployment (downward API):\n  ${POD_ENV.env.join(', ')}\n      ${POD_ENV.meaning}`)
  .addOption(
    new Option(
      '--kubeconfig <path>',
      'kubeconfig with the host (and member) contexts (default: the files KUBECONFIG lists, merged as kubectl does, else ~/.kube/config, else in-cluster)',
    ),
  )
  .addOption(new Option('--host-context <name>', 'context of the host cluster (default: current context)').env('MCDNS_HOST_CONTEXT'))
  .addOption(
    new Option('--members-kubeconfig <path>', 'kubeconfig of the member clusters alone, e.g. mounted from a Secret (default: --kubeconfig)').env(
      'MCDNS_MEMBERS_KUBECONFIG',
    ),
  )
  .addOption(
    new Option('--member-contexts <a,b,c>', 'member clusters as kubeconfig contexts (default: with --members-kubeconfig, all of its contexts)').env(
      'MCDNS_MEMBER_CONTEXTS',
    ),
  )
  .addOption(
    new Option('--kubefed-clusters', 'also take member clusters from KubeFedCluster objects on the host (watched)').env(
      'MCDNS_KUBEFED_CLUSTERS',
    ),
  )
  .addOption(
    new Option('--kubefed-namespace <ns>', 'namespace of KubeFedCluster objects, their Secrets and shared Domains')
      .default('kube-federation-system')
      .env('MCDNS_KUBEFED_NAMESPACE'),
  )
  .addOption(
    new Option('--namespace <ns>', 'watch records in this namespace only (default: all)').env('MCDNS_NAMESPACE'),
  )
  .addOption(
    new Option('--dnsendpoint-group <group>', 'API group of emitted DNSEndpoints')
      .choices(['externaldns.k8s.io', 'multiclusterdns.kubefed.io'])
      .default('externaldns.k8s.io')
      .env('MCDNS_DNSENDPOINT_GROUP'),
  )
  .addOption(
    new Option('--offline-grace <duration>', 'how long a member may be unreachable before its addresses leave DNS')
      .default(30_000, '30s')
      .argParser(dur)
      .env('MCDNS_OFFLINE_GRACE'),
  )
  .addOption(
    new Option('--heartbeat-interval <duration>', 'how often each member API server is checked')
      .default(5_000, '5s')
      .argParser(dur)
      .env('MCDNS_HEARTBEAT_INTERVAL'),
  )
  .addOption(
    new Option('--gateway-discovery-interval <duration>', 'how often a member is asked again for the Gateway API kinds it serves, while a route kind a RouteDNSRecord names is missing there')
      .default(30_000, '30s')
      .argParser(dur)
      .env('MCDNS_GATEWAY_DISCOVERY_INTERVAL'),
  )
  .addOption(new Option('--workers <n>', 'records reconciled at once (a record waiting for its DNS provider batch gives its place back)').default(64).argParser(Number).env('MCDNS_WORKERS'))
  .addOption(
    new Option('--metrics-address <host:port>', 'serve /metrics, /healthz and /readyz here (e.g. :8080, 127.0.0.1:8080; 0 = off)')
      .default('0')
      .env('MCDNS_METRICS_ADDRESS'),
  )
  .addOption(
    new Option('--leader-elect', 'run several replicas: only the holder of a coordination.k8s.io Lease on the host writes').env(
      'MCDNS_LEADER_ELECT',
    ),
  )
  .addOption(
    new Option('--leader-election-namespace <ns>', "namespace of the Lease (default: the pod's namespace, else the host context's)").env(
      'MCDNS_LEADER_ELECTION_NAMESPACE',
    ),
  )
  .addOption(
    new Option('--leader-election-id <name>', 'name of the Lease').default('mcdns').env('MCDNS_LEADER_ELECTION_ID'),
  )
  .addOption(
    new Option('--lease-duration <duration>', 'a new leader takes over this long after the leader stopped renewing (whole seconds)')
      .default(15_000, '15s')
      .argParser(dur)
      .env('MCDNS_LEASE_DURATION'),
  )
  .addOption(
    new Option('--shutdown-timeout <duration>', 'on SIGTERM, how long in-flight reconciles may finish before they are abandoned')
      .default(10_000, '10s')
      .argParser(dur)
      .env('MCDNS_SHUTDOWN_TIMEOUT'),
  )
  .addOption(
    new Option('--no-dnsendpoints', 'do not emit DNSEndpoints (only with --provider: publish directly only)').env('MCDNS_NO_DNSENDPOINTS'),
  )
  .addOption(
    new Option('--fail-open', 'keep the last healthy set of a name whose targets all fail')
      .default(true),
  )
  .addOption(
    new Option('--no-fail-open', 'publish nothing for a name whose targets all fail, instead of its last healthy set').env(
      'MCDNS_NO_FAIL_OPEN',
    ),
  )
  .addOption(
    new Option('--health-checked-ttl <duration>', 'TTL of health-checked names (spec.healthCheck, Services by readiness, route records) without a recordTTL; 0 = 180s like other names')
      .default(DEFAULT_HEALTH_CHECKED_TTL * 1000, `${DEFAULT_HEALTH_CHECKED_TTL}s`)
      .argParser(dur)
      .env('MCDNS_HEALTH_CHECKED_TTL'),
  )
  .addOption(
    new Option('--probe-concurrency <n>', 'health probes in flight, shared fairly between namespaces').default(32).argParser(Number).env('MCDNS_PROBE_CONCURRENCY'),
  )
  .addOption(new Option('--probe-ca-file <path>', 'extra CA bundle (PEM) trusted by https probes').env('MCDNS_PROBE_CA_FILE'))
  .addOption(
    new Option(
      '--probe-allow-cidrs <cidrs>',
      'networks health probes may reach although a built-in rule refuses them (loopback, link-local, unspecified, multicast); comma-separated',
    ).env('MCDNS_PROBE_ALLOW_CIDRS'),
  )
  .addOption(
    new Option(
      '--probe-deny-cidrs <cidrs>',
      "networks health probes never reach, e.g. the cluster's pod and service networks; comma-separated; the most specific rule wins",
    ).env('MCDNS_PROBE_DENY_CIDRS'),
  )
  .addOption(
    new Option('--probe-allowed-ports <ports>', 'ports and ranges health probes may use, e.g. 80,443,8000-8999 (default: any)').env(
      'MCDNS_PROBE_ALLOWED_PORTS',
    ),
  )
  .addOption(
    new Option('--resync-schedule <cron>', 'cron schedule of the full resync that catches anything a watch missed')
      .default('*/5 * * * *')
      .env('MCDNS_RESYNC_SCHEDULE'),
  )
  .addOption(
    new Option('--log-level <level>', 'level of the JSON log lines')
      .choices(['error', 'warn', 'info', 'debug'])
      .default('info')
      .env('MCDNS_LOG_LEVEL'),
  )
  .action(async (opts: Record<string, unknown>) => {
    const { runController } = await import('../controller/run.js');
    const { controllerOptions } = await import('./run.js');
    await runController(controllerOptions(opts));
  });

addProviderOptions(program.command('plan'))
  .description('dry run: what mcdns would change at a DNS provider for the given DNSEndpoints, without writing')
  .addOption(
    new Option('-f, --file <path>', 'DNSEndpoints as mcdns emits them (kubectl get dnsendpoints -A -o yaml): a file, a directory, or - for stdin; repeatable')
      .argParser((v: string, p: string[] = []) => [...p, v])
      .makeOptionMandatory(),
  )
  .addOption(recursive())
  .addOption(output())
  .action(async (opts: Record<string, unknown>) => {
    const { providerSettings } = await import('./provider-options.js');
    const { sinksFrom } = await import('../apply/outputs.js');
    const { desiredFromDNSEndpoints, runPlan } = await import('./plan.js');
    const { createLogger } = await import('../log.js');
    const ignored: string[] = [];
    const desired = readInputs(opts.file as string[], { recursive: opts.recursive === true }).flatMap((i) => desiredFromDNSEndpoints(i.text, ignored));
    // What plan does not read is said, never silently planned as "no changes".
    const skipped = ignored.length > 0 ? `${ignored.length} object${ignored.length === 1 ? '' : 's'} that ${ignored.length === 1 ? 'is' : 'are'} not a DNSEndpoint: ${ignored.join(', ')}` : '';
    if (desired.length === 0) {
      throw new Error(`no DNSEndpoint to plan${skipped ? `, only ${skipped}` : ''}; plan reads DNSEndpoints as mcdns emits them: kubectl get dnsendpoints -A -o yaml | mcdns plan -f - ...`);
    }
    if (skipped) console.error(`mcdns plan: ignored ${skipped}`);
    const [sink, ...extra] = sinksFrom(providerSettings(opts), createLogger('warn'));
    if (!sink || extra.length > 0) throw new Error('plan needs exactly one --provider');
    const result = await runPlan({ sink: sink.sink, desired, output: opts.output as 'table' | 'json' });
    process.stdout.write(result.output);
    process.exitCode = result.exitCode;
  });

addProviderOptions(program.command('audit'))
  .description('for DNS teams: every record of a zone with its owner; exit 1 when orphaned ownership TXTs exist')
  .addOption(new Option('--zone <zone>', 'zone to audit (repeatable; default every zone of the provider)').argParser((v: string, p: string[] = []) => [...p, v]))
  .addOption(output())
  .action(async (opts: Record<string, unknown>) => {
    const { providerSettings } = await import('./provider-options.js');
    const { providerFromConfig, ownershipFromConfig } = await import('../apply/config.js');
    const { runAudit } = await import('./audit.js');
    const settings = providerSettings(opts);
    const [cfg, ...extra] = settings.providers;
    if (!cfg || extra.length > 0) throw new Error('audit needs exactly one --provider');
    const result = await runAudit({
      provider: providerFromConfig(cfg),
      ownership: ownershipFromConfig(settings.sink),
      zones: opts.zone as string[] | undefined,
      output: opts.output as 'table' | 'json',
    });
    process.stdout.write(result.output);
    process.exitCode = result.exitCode;
  });

program
  .command('completion')
  .description('print a shell completion script: source <(mcdns completion bash), or mcdns completion zsh > "${fpath[1]}/_mcdns"')
  .argument('<shell>', 'bash or zsh')
  .action(async (shell: string) => {
    const { completionScript } = await import('./completion.js');
    process.stdout.write(completionScript(program, shell));
  });

