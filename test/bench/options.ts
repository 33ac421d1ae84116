// The flags of `npm run bench`, in one place: the bench parses them and the docs test checks
// that docs/performance.md names no flag the bench does not have.
import type { ParseArgsConfig } from 'node:util';

export const BENCH_OPTIONS = {
  scenario: { type: 'string', default: 'latency' },
  json: { type: 'string' },
  changes: { type: 'string' },
  'idle-trials': { type: 'string', default: '2' },
  'idle-ms': { type: 'string', default: '35000' },
  'min-event-sync-interval': { type: 'string', default: '1s' },
  trials: { type: 'string', default: '20' },
  records: { type: 'string', default: '1000,5000,10000' },
  clusters: { type: 'string', default: '10' },
  zones: { type: 'string', default: '1' },
  workers: { type: 'string' },
  'bulk-concurrency': { type: 'string', default: '16' },
  'steady-s': { type: 'string', default: '60' },
  'converge-timeout-s': { type: 'string', default: '300' },
  'externaldns-timeout-s': { type: 'string', default: '300' },
  'externaldns-defaults': { type: 'string', default: 'always' },
  'externaldns-defaults-timeout-s': { type: 'string', default: '300' },
  'externaldns-lifted-qps': { type: 'string', default: '10000' },
  'change-timeout-s': { type: 'string', default: '30' },
  'mcdns-args': { type: 'string', default: '' },
  chart: { type: 'string' },
  from: { type: 'string' },
} satisfies ParseArgsConfig['options'];
