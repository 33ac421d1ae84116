// Which records each member cluster serves: the clusters whose objects a record could use at
// its last reconcile (kept from each reconcile's result). A cluster transition, a node-label
// change or a cluster leaving then wakes exactly those records, not every record.
import { SharedCopies } from '../../core/shared-copies.js';
import { keyOf, parseKey, type RecordKey } from '../../core/record-key.js';

export class ServedRecords {
  /** Cluster → the keys of the records it serves (keys, not RecordKeys: a Set entry is all each costs). */
  private readonly byCluster = new Map<string, Set<string>>();
  /** Record → its clusters: one shared array per distinct set of clusters (see `shared`). */
  private readonly byRecord = new Map<string, readonly string[]>();
  /** The cluster lists in use: most records draw on the same clusters and share one array. */
  private readonly lists = new SharedCopies<readonly string[]>(4096);

  /** The clusters `key` drew on at its last reconcile (empty: none, or the record is gone). */
  set(key: RecordKey, clusters: readonly string[]): void {
    const k = keyOf(key);
    const before = this.byRecord.get(k) ?? [];
    // Only the clusters that changed: the sets keep the key string they already hold.
    for (const c of before) if (!clusters.includes(c)) this.unserve(c, k);
    for (const c of clusters) if (!before.includes(c)) this.serve(c, k);
    if (clusters.length === 0) this.byRecord.delete(k);
    else this.byRecord.set(k, this.shared(clusters));
  }

  /**
   * `key` can use an object of `cluster` just seen: known at once, not only after its reconcile,
   * so that a transition of the cluster in between (e.g. its first sync completing) wakes it.
   */
  add(key: RecordKey, cluster: string): void {
    const k = keyOf(key);
    const clusters = this.byRecord.get(k) ?? [];
    if (clusters.includes(cluster)) return;
    this.byRecord.set(k, this.shared([...clusters, cluster]));
    this.serve(cluster, k);
  }

  private serve(cluster: string, k: string): void {
    let keys = this.byCluster.get(cluster);
    if (!keys) this.byCluster.set(cluster, (keys = new Set()));
    keys.add(k);
  }

  private unserve(cluster: string, k: string): void {
    const keys = this.byCluster.get(cluster);
    keys?.delete(k);
    if (keys?.size === 0) this.byCluster.delete(cluster);
  }

  private shared(clusters: readonly string[]): readonly string[] {
    return this.lists.of(clusters.join('\n'), () => Object.freeze([...clusters]));
  }

  /** Records served by `cluster`, optionally of one kind. */
  recordsOf(cluster: string, kind?: RecordKey['kind']): RecordKey[] {
    const all = [...(this.byCluster.get(cluster) ?? [])].map(parseKey);
    return kind ? all.filter((k) => k.kind === kind) : all;
  }
}
