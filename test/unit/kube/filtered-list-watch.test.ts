// A list+watch cache that keeps only the objects wanted, fetches objects that became wanted with
// targeted reads, and stays right when those reads race the watch.
import { expect } from 'chai';
import { CoreV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { FilteredListWatch } from '../../../src/kube/filtered-list-watch.js';
import { watchResource, type ResourceWatch } from '../../../src/kube/informer.js';
import { createLogger } from '../../../src/log.js';
import { FakeApiServer, eventually, sleep, type FakeObject } from './fake-apiserver.js';

const PATH = '/api/v1/configmaps';
const cm = (name: string, value = 'v'): FakeObject => ({ metadata: { name, namespace: 'default' }, data: { value } });
type Kept = KubernetesObject & { data?: Record<string, string> };

describe('FilteredListWatch (keeps only what is wanted)', () => {
  let server: FakeApiServer;
  let watch: ResourceWatch<Kept> | undefined;
  let cache: FilteredListWatch<Kept>;
  let wanted: Set<string>;
  let events: string[];
  const arrivals = { kept: 0, dropped: 0 };

  beforeEach(async () => {
    server = await FakeApiServer.start();
    wanted = new Set(['a']);
    events = [];
    arrivals.kept = arrivals.dropped = 0;
  });
  afterEach(async () => {
    await watch?.stop();
    await server.stop();
  });

  function start(gate?: Promise<void>): void {
    const api = server.kubeConfig().makeApiClient(CoreV1Api);
    const select = (o: KubernetesObject): Kept | undefined => (wanted.has(o.metadata?.name ?? '') ? (o as Kept) : undefined);
    watch = watchResource<Kept>(server.kubeConfig(), PATH, (page) => api.listConfigMapForAllNamespaces({ ...page }), {
      logger: createLogger('silent'),
      on: {
        add: (o) => events.push(`add ${o.metadata?.name}=${o.data?.['value']}`),
        update: (o) => events.push(`update ${o.metadata?.name}=${o.data?.['value']}`),
        delete: (o) => events.push(`delete ${o.metadata?.name}`),
      },
    }, {
      select,
      make: (w, list, selectors) =>
        (cache = new FilteredListWatch<Kept>(PATH, w, list, select, {
          ...selectors,
          ...(gate ? { gate } : {}),
          arrived: (how, kept, dropped) => {
            if (how === 'event') {
              arrivals.kept += kept;
              arrivals.dropped += dropped;
            }
          },
        })),
    });
  }

  /** A read of one configmap by name through the real API. */
  const readOne = (name: string, before?: () => Promise<void>) =>
    cache.read({ namespace: 'default', covers: (o) => o.metadata?.name === name }, async (take) => {
      const api = server.kubeConfig().makeApiClient(CoreV1Api);
      let obj: KubernetesObject | undefined;
      try {
        obj = await api.readNamespacedConfigMap({ namespace: 'default', name });
      } catch {
        obj = undefined;
      }
      await before?.();
      take(obj ? [obj] : []);
    });

  it('keeps only the wanted objects of its lists and events, and counts every object the server holds', async () => {
    server.put(PATH, cm('a'));
    server.put(PATH, cm('b'));
    start();
    await eventually(() => watch!.synced, 3000, 'synced');
    server.put(PATH, cm('c'));
    server.put(PATH, cm('a', 'v2'));
    server.put(PATH, cm('b', 'v2'));
    await eventually(() => arrivals.kept + arrivals.dropped === 3, 3000, 'three events');
    expect(events).to.deep.equal(['add a=v', 'update a=v2']);
    expect(watch!.list().map((o) => o.metadata?.name)).to.deep.equal(['a']);
    expect({ kept: cache.kept, seen: cache.seen }).to.deep.equal({ kept: 1, seen: 3 });
    expect(arrivals).to.deep.equal({ kept: 1, dropped: 2 });
    server.remove(PATH, 'c', 'default');
    await eventually(() => cache.seen === 2, 3000, 'the deletion counted');
  });

  it('reads an object that became wanted after it arrived, and reports it as added', async () => {
    server.put(PATH, cm('a'));
    server.put(PATH, cm('b'));
    start();
    await eventually(() => watch!.synced, 3000, 'synced');
    wanted.add('b');
    await readOne('b');
    expect(events).to.deep.equal(['add a=v', 'add b=v']);
    // From now on its events are kept too.
    server.put(PATH, cm('b', 'v2'));
    await eventually(() => events.includes('update b=v2'), 3000, 'update of b');
  });

  it('keeps the newer version when a watch event for the object arrives while the read is on its way', async () => {
    server.put(PATH, cm('b', 'old'));
    start();
    await eventually(() => watch!.synced, 3000, 'synced');
    wanted.add('b');
    await readOne('b', async () => {
      server.put(PATH, cm('b', 'new')); // the read's answer ('old') is now stale
      await eventually(() => events.includes('add b=new'), 3000, 'the event');
    });
    expect(watch!.get('b', 'default')?.data?.['value']).to.equal('new');
    expect(events).to.deep.equal(['add b=new']);
  });

  it('does not bring back an object deleted while the read was on its way', async () => {
    server.put(PATH, cm('b'));
    start();
    await eventually(() => watch!.synced, 3000, 'synced');
    wanted.add('b');
    await readOne('b', async () => {
      server.remove(PATH, 'b', 'default');
      await eventually(() => cache.seen === 0, 3000, 'the deletion');
    });
    expect(watch!.get('b', 'default')).to.equal(undefined);
    expect(events).to.deep.equal([]);
  });

  it('deletes a kept object that its read no longer finds', async () => {
    server.put(PATH, cm('a'));
    start();
    await eventually(() => watch!.synced, 3000, 'synced');
    server.removeSilently(PATH, 'a', 'default');
    await readOne('a');
    expect(events).to.deep.equal(['add a=v', 'delete a']);
  });

  it('lets go of what is no longer wanted, and drops its later events', async () => {
    server.put(PATH, cm('a'));
    start();
    await eventually(() => watch!.synced, 3000, 'synced');
    wanted.delete('a');
    cache.forget('default', (o) => !wanted.has(o.metadata?.name ?? ''));
    server.put(PATH, cm('a', 'v2'));
    await eventually(() => arrivals.dropped === 1, 3000, 'the event');
    expect(events).to.deep.equal(['add a=v', 'delete a']);
    expect(cache.kept).to.equal(0);
  });

  it('reads nothing before its first list (held back until what is wanted is known): that list holds what the read would fetch', async () => {
    server.put(PATH, cm('b'));
    let open: () => void = () => undefined;
    start(new Promise((r) => (open = r)));
    let fetched = false;
    wanted.add('b');
    const reading = cache.read({ namespace: 'default', covers: () => true }, async () => {
      fetched = true;
    });
    await sleep(50);
    expect(server.lists(PATH), 'held back').to.deep.equal([]);
    open();
    await reading;
    expect(fetched).to.equal(false);
    expect(events).to.deep.equal(['add b=v']);
  });
});
