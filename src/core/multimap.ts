// Key → values, where a key with one value holds it directly and only a key with several holds a
// Map. Most keys of mcdns's indexes have one value (one record per host, one claimant per name,
// one resource per zone name): at 10,000 records a Map or Set per key was most of an index's
// memory (one costs about 150–200 bytes before its first entry).

export class MultiMap<V, Id = string> {
  private readonly entries = new Map<string, V | Map<Id, V>>();

  /** `idOf` names a value within a key: adding a value with the same id replaces it. Values must not be Maps. */
  constructor(private readonly idOf: (v: V) => Id) {}

  add(key: string, value: V): void {
    const at = this.entries.get(key);
    if (at === undefined) this.entries.set(key, value);
    else if (at instanceof Map) at.set(this.idOf(value), value);
    else if (this.idOf(at) === this.idOf(value)) this.entries.set(key, value);
    else this.entries.set(key, new Map([[this.idOf(at), at], [this.idOf(value), value]]));
  }

  remove(key: string, id: Id): void {
    const at = this.entries.get(key);
    if (at === undefined) return;
    if (!(at instanceof Map)) {
      if (this.idOf(at) === id) this.entries.delete(key);
      return;
    }
    at.delete(id);
    if (at.size === 1) this.entries.set(key, at.values().next().value as V);
  }

  /** The values of `key`, in the order they were added. */
  get(key: string): V[] {
    const at = this.entries.get(key);
    return at === undefined ? [] : at instanceof Map ? [...at.values()] : [at];
  }

  has(key: string, id: Id): boolean {
    const at = this.entries.get(key);
    return at !== undefined && (at instanceof Map ? at.has(id) : this.idOf(at) === id);
  }

  /** Whether `key` holds any value. */
  hasKey(key: string): boolean {
    return this.entries.has(key);
  }

  /** How many values `key` holds. */
  count(key: string): number {
    const at = this.entries.get(key);
    return at === undefined ? 0 : at instanceof Map ? at.size : 1;
  }

  /** Keys holding at least one value. */
  keys(): IterableIterator<string> {
    return this.entries.keys();
  }
}

/** Values that are their own id: strings, or objects told apart by identity. */
export const identityMultiMap = <V>(): MultiMap<V, V> => new MultiMap<V, V>((v) => v);
