import { expect } from 'chai';
import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { watchResource, type ResourceWatch, type WatchOptions } from '../../../src/kube/informer.js';
import { createLogger } from '../../../src/log.js';
import { FakeApiServer, eventually, freePort, kubeConfigFor, sleep } from './fake-apiserver.js';

const PATH = '/api/v1/configmaps';
const quiet = createLogger('silent');

function cm(name: string, value = 'v'): { metadata: { name: string; namespace: string }; data: Record<string, string> } {
  return { metadata: { name, namespace: 'default' }, data: { value } };
}

interface Recorder {
  events: string[];
  errors: { at: number; retryInMs: number }[];
  synced: number;
}

function start(kc: KubeConfig, opts: WatchOptions<V1ConfigMap> = {}): { w: ResourceWatch<V1ConfigMap>; rec: Recorder } {
  const api = kc.makeApiClient(CoreV1Api);
  const rec: Recorder = { events: [], errors: [], synced: 0 };
  const w = watchResource<V1ConfigMap>(kc, PATH, () => api.listConfigMapForAllNamespaces(), {
    name: 'configmaps',
    logger: quiet,
    initialBackoffMs: 50,
    maxBackoffMs: 400,
    ...opts,
    on: {
      add: (o) => rec.events.push(`add ${o.metadata?.name}`),
      update: (o) => rec.events.push(`update ${o.metadata?.name}=${o.data?.['value']}`),
      delete: (o) => rec.events.push(`delete ${o.metadata?.name}`),
      error: (_err, retryInMs) => rec.errors.push({ at: Date.now(), retryInMs }),
      synced: () => rec.synced++,
    },
  });
  return { w, rec };
}

const names = (w: ResourceWatch<V1ConfigMap>): string[] => w.list().map((o) => o.metadata?.name ?? '').sort();

describe('watchResource (list + watch with self-restart)', () => {
  let server: FakeApiServer;
  let watches: ResourceWatch<V1ConfigMap>[];

  beforeEach(async () => {
    server = await FakeApiServer.start();
    watches = [];
  });
  afterEach(async () => {
    await Promise.all(watches.map((w) => w.stop()));
    await server.stop();
  });

  function run(opts: WatchOptions<V1ConfigMap> = {}, kc = server.kubeConfig()): { w: ResourceWatch<V1ConfigMap>; rec: Recorder } {
    const r = start(kc, opts);
    watches.push(r.w);
    return r;
  }

  it('lists first, reports synced once, then streams adds, updates and deletes into its cache', async () => {
    server.put(PATH, cm('a'));
    const { w, rec } = run();
    expect(w.synced).to.equal(false);
    await eventually(() => w.synced, 3000, 'synced');
    expect(names(w)).to.deep.equal(['a']);
    await eventually(() => server.openWatchCount === 1, 3000, 'watch open');

    server.put(PATH, cm('b'));
    server.put(PATH, cm('a', 'changed'));
    server.remove(PATH, 'b', 'default');
    await eventually(() => rec.events.length === 4, 3000, 'four events');
    expect(rec.events).to.deep.equal(['add a', 'add b', 'update a=changed', 'delete b']);
    expect(names(w)).to.deep.equal(['a']);
    expect(w.get('a', 'default')?.data?.['value']).to.equal('changed');
    expect(rec.synced).to.equal(1);
    expect(rec.errors).to.deep.equal([]);
  });

  it('lists in pages of pageSize and keeps only what the transform returns, for listed and watched objects alike', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) server.put(PATH, cm(n, `big-${n}`));
    const api = server.kubeConfig().makeApiClient(CoreV1Api);
    const slim = (o: { metadata?: { name?: string; namespace?: string; resourceVersion?: string }; data?: Record<string, string> }) =>
      ({ metadata: { name: o.metadata?.name, namespace: o.metadata?.namespace, resourceVersion: o.metadata?.resourceVersion }, data: { len: String(o.data?.['value']?.length ?? 0) } }) as V1ConfigMap;
    const w = watchResource<V1ConfigMap>(server.kubeConfig(), PATH, (page) => api.listConfigMapForAllNamespaces({ ...page }), {
      logger: quiet,
      pageSize: 2,
      transform: slim,
    });
    watches.push(w);
    await eventually(() => w.synced, 3000, 'synced');
    const lists = server.lists(PATH);
    expect(lists.map((r) => [r.query.get('limit'), r.query.get('continue') ?? ''])).to.deep.equal([
      ['2', ''],
      ['2', '2'],
      ['2', '4'],
    ]);
    expect(names(w)).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
    expect(w.get('a', 'default')?.data).to.deep.equal({ len: '5' });
    server.put(PATH, cm('f', 'bigger-f'));
    await eventually(() => w.get('f', 'default') !== undefined, 3000, 'watched f');
    expect(w.get('f', 'default')?.data).to.deep.equal({ len: '8' });
  });

  it('asks the API server for bookmarks so quiet watches keep a fresh resourceVersion', async () => {
    const { w } = run();
    await eventually(() => w.synced && server.watchRequests(PATH).length > 0, 3000, 'watch');
    expect(server.watchRequests(PATH)[0]?.query.get('allowWatchBookmarks')).to.equal('true');
  });

  it('re-lists when a watch is answered 410 Gone, and reports objects deleted meanwhile', async () => {
    server.put(PATH, cm('keep'));
    server.put(PATH, cm('doomed'));
    const { w, rec } = run();
    await eventually(() => w.synced && server.openWatchCount === 1, 3000, 'synced');
    expect(server.lists(PATH)).to.have.length(1);

    // While the client is disconnected the server moves on and compacts its history.
    server.removeSilently(PATH, 'doomed', 'default');
    server.putSilently(PATH, cm('new'));
    server.compact();
    server.closeWatches();

    await eventually(() => server.lists(PATH).length === 2, 3000, 'second list');
    await eventually(() => names(w).join() === 'keep,new', 3000, 'cache after re-list');
    expect(rec.events).to.include.members(['delete doomed', 'add new']);
    expect(rec.errors, '410 is not an error for the caller').to.deep.equal([]);
  });

  it('re-lists when the watch stream carries a 410 ERROR event instead of an HTTP status', async () => {
    server.goneMode = 'event';
    server.put(PATH, cm('a'));
    const { w, rec } = run();
    await eventually(() => w.synced && server.openWatchCount === 1, 3000, 'synced');
    server.putSilently(PATH, cm('b'));
    server.compact();
    server.closeWatches();
    await eventually(() => names(w).join() === 'a,b', 3000, 're-listed cache');
    expect(server.lists(PATH)).to.have.length(2);
    expect(rec.errors).to.deep.equal([]);
  });

  it('restarts after connection refused, backing off 50, 100, 200, 400, 400 ms, and syncs once the server is up', async () => {
    const port = await freePort();
    const { w, rec } = run({}, kubeConfigFor(`http://127.0.0.1:${port}`, 'test-token'));
    await eventually(() => rec.errors.length >= 5, 5000, 'five errors');
    expect(rec.errors.slice(0, 5).map((e) => e.retryInMs)).to.deep.equal([50, 100, 200, 400, 400]);
    for (let i = 1; i < 5; i++) {
      const gap = rec.errors[i]!.at - rec.errors[i - 1]!.at;
      expect(gap, `gap before error ${i}`).to.be.at.least(rec.errors[i - 1]!.retryInMs - 5);
    }
    expect(w.synced).to.equal(false);
    expect(w.lastError).to.match(/ECONNREFUSED|fetch failed/);

    const late = await FakeApiServer.start({ port });
    try {
      late.put(PATH, cm('finally'));
      await eventually(() => w.synced, 3000, 'synced after the server came up');
      expect(names(w)).to.deep.equal(['finally']);
      expect(w.lastError).to.equal(undefined);
      expect(w.running).to.equal(true);

      // Success reset the backoff: the next failure waits the initial delay again.
      const before = rec.errors.length;
      await late.stop();
      await eventually(() => rec.errors.length > before, 3000, 'error after the server went away');
      expect(rec.errors[before]!.retryInMs).to.equal(50);
    } finally {
      await w.stop();
      await late.stop().catch(() => undefined);
    }
  });

  it('resumes from its resourceVersion after the API server restarts, without losing events', async () => {
    server.put(PATH, cm('a'));
    const { w, rec } = run();
    await eventually(() => w.synced && server.openWatchCount === 1, 3000, 'synced');
    await server.stop(); // cuts the open stream: client-node reports an error and stops itself
    await eventually(() => rec.errors.length >= 1, 3000, 'error');
    expect(w.running).to.equal(false);
    server.putSilently(PATH, cm('ignored-by-history')); // not in history: only a re-list would see it
    server.put(PATH, cm('b')); // in history: a resumed watch replays it
    await server.restart();
    await eventually(() => names(w).includes('b'), 3000, 'replayed event');
    expect(server.lists(PATH), 'resumed, not re-listed').to.have.length(1);
    expect(w.running).to.equal(true);
  });

  it('delivers events on a quiet watch at once: client-node reconnects right after its idle timeout', async () => {
    const { w, rec } = run({ idleTimeoutMs: 150 });
    await eventually(() => w.synced, 3000, 'synced');
    await sleep(700); // several idle timeouts, no events
    expect(server.watchRequests(PATH).length).to.be.at.least(4);
    const put = Date.now();
    server.put(PATH, cm('late'));
    await eventually(() => rec.events.includes('add late'), 3000, 'event');
    expect(Date.now() - put).to.be.below(250);
    expect(rec.errors).to.deep.equal([]);
  });

  it('delivers events at once when the server keeps closing quiet streams (client-node alone backs off 1, 2, 4 s)', async function () {
    this.timeout(10000);
    server.closeWatchesAfterMs = 300;
    const { w, rec } = run({ minStreamMs: 200 });
    await eventually(() => w.synced, 3000, 'synced');
    await sleep(2500);
    // Without the hook the 5th reconnect would only come after 1+2+4 s of back-off sleeps.
    expect(server.watchRequests(PATH).length).to.be.at.least(6);
    const put = Date.now();
    server.put(PATH, cm('late'));
    await eventually(() => rec.events.includes('add late'), 3000, 'event');
    expect(Date.now() - put).to.be.below(250);
  });

  it('stop() cancels a pending restart; no handler runs afterwards', async () => {
    const port = await freePort();
    const { w, rec } = run({ initialBackoffMs: 100 }, kubeConfigFor(`http://127.0.0.1:${port}`, 't'));
    await eventually(() => rec.errors.length === 1, 3000, 'first error');
    await w.stop();
    const late = await FakeApiServer.start({ port });
    try {
      late.put(PATH, cm('x'));
      await sleep(400);
      expect(late.requests, 'no request after stop').to.deep.equal([]);
      expect(rec.errors).to.have.length(1);
      expect(rec.events).to.deep.equal([]);
    } finally {
      await late.stop();
    }
  });

  it('restartNow() skips the remaining backoff', async () => {
    const port = await freePort();
    const { w, rec } = run({ initialBackoffMs: 5000, maxBackoffMs: 5000 }, kubeConfigFor(`http://127.0.0.1:${port}`, 't'));
    await eventually(() => rec.errors.length === 1, 3000, 'first error');
    const late = await FakeApiServer.start({ port });
    try {
      w.restartNow();
      await eventually(() => w.synced, 1000, 'synced well before the 5 s backoff');
    } finally {
      await w.stop();
      await late.stop();
    }
  });

  it('keeps the informer alive when a handler throws', async () => {
    const kc = server.kubeConfig();
    const api = kc.makeApiClient(CoreV1Api);
    const seen: string[] = [];
    const w = watchResource<V1ConfigMap>(kc, PATH, () => api.listConfigMapForAllNamespaces(), {
      logger: quiet,
      on: {
        add: (o) => {
          seen.push(o.metadata?.name ?? '');
          throw new Error('handler bug');
        },
      },
    });
    watches.push(w);
    await eventually(() => w.synced && server.openWatchCount === 1, 3000, 'synced');
    server.put(PATH, cm('one'));
    server.put(PATH, cm('two'));
    await eventually(() => seen.length === 2, 3000, 'both events');
    expect(names(w)).to.deep.equal(['one', 'two']);
  });
});
