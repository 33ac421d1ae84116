import { expect } from 'chai';
import { WorkQueue } from '../../../src/controller/runtime/queue.js';
import { type ReconcileResult } from '../../../src/controller/reconcile/types.js';
import { keyOf, type RecordKey } from '../../../src/core/record-key.js';
import { Workers } from '../../../src/controller/workers.js';
import { createLogger } from '../../../src/log.js';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));
const silent = createLogger('silent');
const keys = ['IngressDNSRecord/ns/a', 'IngressDNSRecord/ns/b', 'ServiceDNSRecord/ns/c'];

/** Workers over a log of what happened, in order. */
function workersLogging(opts: { writing?: () => boolean; orphans?: () => Promise<string[]>; outputs?: (k: RecordKey, o: { providers: boolean; dnsEndpoint: boolean }) => Promise<void>; recordsSynced?: () => boolean } = {}) {
  const log: string[] = [];
  const queue = new WorkQueue();
  const workers = new Workers({
    queue,
    reconciler: {
      reconcile: async (k: RecordKey): Promise<ReconcileResult> => {
        log.push(`reconcile ${keyOf(k)}`);
        return { dnsEndpoint: 'unchanged', status: 'unchanged' };
      },
    },
    workers: 2,
    logger: silent,
    writing: opts.writing ?? (() => true),
    mayStart: () => true,
    allKeys: () => keys,
    publishOutputs: opts.outputs ?? (async (k, o) => void log.push(`${o.providers ? 'providers' : ''}${o.dnsEndpoint ? 'dnsendpoint' : ''} ${keyOf(k)}`)),
    ...(opts.orphans ? { orphans: opts.orphans } : {}),
    ...(opts.recordsSynced ? { recordsSynced: opts.recordsSynced } : {}),
  });
  return { log, queue, workers };
}

describe('workers taking up work', () => {
  it('hand every record to the providers, then write every DNSEndpoint, before any full reconcile', async () => {
    const { log, workers } = workersLogging();
    workers.start();
    await tick(50);
    await workers.stop(1000, true);
    // The providers' batches must not wait for the host API's pace of DNSEndpoint writes.
    expect(log.slice(0, 3)).to.deep.equal(keys.map((k) => `providers ${k}`));
    expect(log.slice(3, 6).sort()).to.deep.equal(keys.map((k) => `dnsendpoint ${k}`).sort());
    expect(log.slice(6).sort()).to.deep.equal(keys.map((k) => `reconcile ${k}`).sort());
  });

  it('leave a record whose DNS-first pass failed to its full reconcile', async () => {
    const { log, workers } = workersLogging({
      outputs: async (k) => {
        if (k.name === 'b') throw new Error('409 conflict');
      },
    });
    workers.start();
    await tick(50);
    await workers.stop(1000, true);
    expect(log.sort()).to.deep.equal(keys.map((k) => `reconcile ${k}`).sort());
  });

  it('queue the records that are gone but still own DNS records at a provider', async () => {
    const gone = 'IngressDNSRecord/ns/deleted-while-down';
    const { log, workers } = workersLogging({ orphans: async () => [gone] });
    workers.start();
    await tick(50);
    await workers.stop(1000, true);
    expect(log).to.include(`reconcile ${gone}`);
  });

  it('never look for orphans while the record caches have not synced (a record not yet listed is not gone)', async () => {
    let asked = false;
    const { log, workers } = workersLogging({
      recordsSynced: () => false,
      orphans: async () => {
        asked = true;
        return ['IngressDNSRecord/ns/not-listed-yet'];
      },
    });
    workers.start();
    await tick(50);
    await workers.stop(1000, true);
    expect(asked).to.equal(false);
    expect(log).not.to.include('reconcile IngressDNSRecord/ns/not-listed-yet');
  });

  it('start reconciling even when the zones cannot be read for the sweep (nothing is deleted blind)', async () => {
    const { log, workers } = workersLogging({ orphans: async () => Promise.reject(new Error('zone read failed')) });
    workers.start();
    await tick(50);
    await workers.stop(1000, true);
    expect(log.filter((l) => l.startsWith('reconcile')).sort()).to.deep.equal(keys.map((k) => `reconcile ${k}`).sort());
  });

  it('end the DNS-first pass as soon as this replica may no longer write', async () => {
    let allowed = true;
    const { log, workers } = workersLogging({
      writing: () => allowed,
      outputs: async (k) => {
        log.push(`outputs ${keyOf(k)}`);
        allowed = false;
      },
    });
    workers.start();
    await tick(50);
    await workers.stop(1000, true);
    expect(log.filter((l) => l.startsWith('outputs')).length, 'one per runner at most').to.be.at.most(2);
  });
});
