// Which records each member cluster serves: the clusters whose objects a record could use at
// its last reconcile (kept from each reconcile's result). A cluster transition, a node-label
// change or a cluster leaving then wakes exactly those records, not every record.
import { keyOf, type RecordKey } from './reconcile.js';

export class ServedRecords {
  private readonly byCluster = new Map<string, Map<string, RecordKey>>();
  /** Record → its clusters: one shared array per distinct set of clusters (see `shared`). */
  private readonly byRecord = new Map<string, readonly string[]>();
  /**
   * The cluster lists in use, by their joined names. Most records draw on the same clusters, so
   * they share one array instead of holding one each. Cleared when it grows past any plausible
   * number of distinct lists; arrays already handed out stay valid.
   */
  private readonly lists = new Map<string, readonly string[]>();

  /** The clusters `key` drew on at its last reconcile (empty: none, or the record is gone). */
  set(key: RecordKey, clusters: readonly string[]): void {
    const k = keyOf(key);
    for (const c of this.byRecord.get(k) ?? []) {
      const m = this.byCluster.get(c);
      m?.delete(k);
      if (m?.size === 0) this.byCluster.delete(c);
    }
    if (clusters.length === 0) {
      this.byRecord.delete(k);
      return;
    }
    this.byRecord.set(k, this.shared(clusters));
    for (const c of clusters) {
      let m = this.byCluster.get(c);
      if (!m) this.byCluster.set(c, (m = new Map()));
      m.set(k, key);
    }
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
    let m = this.byCluster.get(cluster);
    if (!m) this.byCluster.set(cluster, (m = new Map()));
    m.set(k, key);
  }

  private shared(clusters: readonly string[]): readonly string[] {
    const id = clusters.join('\n');
    const known = this.lists.get(id);
    if (known) return known;
    if (this.lists.size >= 4096) this.lists.clear();
    const list = Object.freeze([...clusters]);
    this.lists.set(id, list);
    return list;
  }

  /** Records served by `cluster`, optionally of one kind. */
  recordsOf(cluster: string, kind?: RecordKey['kind']): RecordKey[] {
    const all = [...(this.byCluster.get(cluster)?.values() ?? [])];
    return kind ? all.filter((k) => k.kind === kind) : all;
  }
}
