// `npm run bench [-- --scenario latency|failover] [--json FILE] [--changes N]`
// Runs a scenario on the real sandbox and prints its figures; --json writes them to FILE.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { latencyScenario } from './latency.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'latency' },
    json: { type: 'string' },
    changes: { type: 'string', default: '50' },
    'idle-trials': { type: 'string', default: '2' },
    'idle-ms': { type: 'string', default: '35000' },
    'min-event-sync-interval': { type: 'string', default: '1s' },
    trials: { type: 'string', default: '20' },
  },
});

const log = (s: string) => console.log(s);

async function main(): Promise<void> {
  // Keeps the process alive while it waits on the bed's (unref'd) server processes.
  const keepAlive = setInterval(() => undefined, 60_000);
  let result: unknown;
  if (values.scenario === 'latency') {
    log(`scenario latency: ${values.changes} load-balancer changes in a member`);
    result = await latencyScenario(
      {
        changes: Number(values.changes),
        idleTrials: Number(values['idle-trials']),
        idleMs: Number(values['idle-ms']),
        minEventSyncInterval: values['min-event-sync-interval'] as string,
      },
      log,
    );
  } else if (values.scenario === 'failover') {
    const { failoverScenario } = await import('./failover.js');
    result = await failoverScenario({ trials: Number(values.trials) }, log);
  } else {
    throw new Error(`unknown scenario ${values.scenario}: use latency or failover`);
  }
  clearInterval(keepAlive);
  console.log(JSON.stringify(result, null, 2));
  if (values.json) writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
