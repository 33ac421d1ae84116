// `npm run bench [-- --scenario latency|failover|client-failover|scale|powerdns-rectify|scale-chart] [--json FILE] ...`
// Runs a scenario on the real sandbox and prints its figures; --json writes them to FILE.
//   latency   --changes N --idle-trials N --idle-ms MS --min-event-sync-interval D
//   failover  --trials N
//   client-failover --trials N (per fault and TTL setting; all run at once, ~4 minutes)
//   scale     --records N[,N...] --clusters K[,K...] [--api-servers S] [--zones Z] [--workers W]
//             [--member-rtt MS[,LOSS%]] [--background N] [--churn R] [--chart FILE.svg]
//             [--changes N] [--steady-s S] [--converge-timeout-s S] [--externaldns-timeout-s S]
//             [--externaldns-defaults always|never] [--externaldns-defaults-timeout-s S] [--mcdns-args "..."]
//             [--pdns-api-rectify on|off] [--source ingress|route]
//             (with --member-rtt, --background or --churn, each N × K runs plain first, then with them)
//   powerdns-rectify --records N[,N...] --clusters K[,K...] [--changes N]
//             (one small PATCH's cost by zone size, N names × K addresses, API-RECTIFY on and off)
//   scale-chart --from FILE.json[,FILE.json...] --chart FILE.svg [--json FILE]
//             (redraws the chart of earlier scale runs; several files are merged into one result)
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { latencyScenario } from './latency.js';
import { BENCH_OPTIONS } from './options.js';

const { values } = parseArgs({ options: BENCH_OPTIONS });

const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

/** A positive integer flag, or a clear error naming it. */
function int(name: string, raw: string | undefined): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer (got "${raw}")`);
  return v;
}

/** An on/off flag, or a clear error naming it. */
function onOff(name: string, raw: string): boolean {
  if (raw !== 'on' && raw !== 'off') throw new Error(`--${name} must be on or off (got "${raw}")`);
  return raw === 'on';
}

function fleetSource(raw: string): 'ingress' | 'route' {
  if (raw !== 'ingress' && raw !== 'route') throw new Error(`--source must be ingress or route (got "${raw}")`);
  return raw;
}

async function main(): Promise<void> {
  // Keeps the process alive while it waits on the bed's (unref'd) server processes.
  const keepAlive = setInterval(() => undefined, 60_000);
  let result: unknown;
  if (values.scenario === 'latency') {
    const changes = int('changes', values.changes ?? '50');
    log(`scenario latency: ${changes} load-balancer changes in a member`);
    result = await latencyScenario(
      {
        changes,
        idleTrials: Number(values['idle-trials']),
        idleMs: Number(values['idle-ms']),
        minEventSyncInterval: values['min-event-sync-interval'] as string,
      },
      log,
    );
  } else if (values.scenario === 'failover') {
    const { failoverScenario } = await import('./failover.js');
    result = await failoverScenario({ trials: Number(values.trials) }, log);
  } else if (values.scenario === 'client-failover') {
    const { clientFailoverScenario } = await import('./client-failover.js');
    result = await clientFailoverScenario({ trials: int('trials', values.trials) }, log);
  } else if (values.scenario === 'scale') {
    const { scaleScenario } = await import('./scale.js');
    const { count, parseMemberRtt } = await import('./scale/variants.js');
    const defaults = values['externaldns-defaults'];
    if (defaults !== 'always' && defaults !== 'never') throw new Error('--externaldns-defaults must be always or never');
    const rtt = parseMemberRtt(values['member-rtt'] as string);
    const churnPerS = count('churn', values.churn as string);
    const background = count('background', values.background as string);
    if (churnPerS > 0 && background === 0) throw new Error('--churn flips the EndpointSlices of --background: give both');
    result = await scaleScenario(
      {
        records: (values.records as string).split(',').map((r) => int('records', r.trim())),
        clusters: (values.clusters as string).split(',').map((k) => int('clusters', k.trim())),
        ...(values['api-servers'] !== undefined ? { apiServers: int('api-servers', values['api-servers']) } : {}),
        reality: { memberRttMs: rtt.rttMs, memberLossPct: rtt.lossPct, background, churnPerS },
        zones: int('zones', values.zones),
        source: fleetSource(values.source as string),
        workers: values.workers !== undefined ? int('workers', values.workers) : undefined,
        bulkConcurrency: int('bulk-concurrency', values['bulk-concurrency']),
        changes: int('changes', values.changes ?? '50'),
        steadyS: int('steady-s', values['steady-s']),
        convergeTimeoutS: int('converge-timeout-s', values['converge-timeout-s']),
        externalDnsTimeoutS: int('externaldns-timeout-s', values['externaldns-timeout-s']),
        externalDnsDefaultsTimeoutS: int('externaldns-defaults-timeout-s', values['externaldns-defaults-timeout-s']),
        externalDnsLiftedQps: int('externaldns-lifted-qps', values['externaldns-lifted-qps']),
        externalDnsDefaults: defaults,
        changeTimeoutS: int('change-timeout-s', values['change-timeout-s']),
        mcdnsArgs: (values['mcdns-args'] as string).split(/\s+/).filter(Boolean),
        pdnsApiRectify: onOff('pdns-api-rectify', values['pdns-api-rectify'] as string),
      },
      log,
      (partial) => {
        if (values.json) writeFileSync(values.json, `${JSON.stringify(partial, null, 2)}\n`);
      },
    );
  } else if (values.scenario === 'powerdns-rectify') {
    const { rectifyScenario } = await import('./powerdns-rectify.js');
    const list = (name: 'records' | 'clusters') => (values[name] as string).split(',').map((v) => int(name, v.trim()));
    result = await rectifyScenario({ records: list('records'), clusters: list('clusters'), changes: int('changes', values.changes ?? '30') }, log);
  } else if (values.scenario === 'scale-chart') {
    if (!values.from || !values.chart) throw new Error('scale-chart needs --from FILE.json[,FILE.json...] and --chart FILE.svg');
    // Several results (e.g. one per N, run one after the other) become one: the first's machine, all runs by N.
    const parts = values.from.split(',').map((f) => JSON.parse(readFileSync(f.trim(), 'utf8')) as import('./scale.js').ScaleResult);
    result = { ...parts[0]!, runs: parts.flatMap((p) => p.runs).sort((a, b) => a.records - b.records || a.clusters - b.clusters) };
  } else {
    throw new Error(`unknown scenario ${values.scenario}: use latency, failover, client-failover, scale, powerdns-rectify or scale-chart`);
  }
  clearInterval(keepAlive);
  console.log(JSON.stringify(result, null, 2));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
  if (values.chart) {
    if (!values.scenario?.startsWith('scale')) throw new Error('--chart is for the scale scenario');
    const { renderScaleChart } = await import('./scale-chart.js');
    writeFileSync(values.chart, await renderScaleChart(result as import('./scale.js').ScaleResult));
    log(`chart written to ${values.chart}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
