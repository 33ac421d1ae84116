// Keys to sets of strings, where most keys hold just one: the one string is kept as the value
// itself, a Set only once a key holds several. A Set per key cost ~150 bytes each in a heap
// snapshot at 10,000 records (the sink's desired names, a zone's ownership TXTs by resource).
export class StringMultiMap {
  private readonly map = new Map<string, string | Set<string>>();

  add(key: string, value: string): void {
    const held = this.map.get(key);
    if (held === undefined || held === value) this.map.set(key, value);
    else if (typeof held === 'string') this.map.set(key, new Set([held, value]));
    else held.add(value);
  }

  delete(key: string, value: string): void {
    const held = this.map.get(key);
    if (held === value) this.map.delete(key);
    else if (typeof held !== 'string' && held?.delete(value)) {
      if (held.size === 1) this.map.set(key, held.values().next().value as string);
    }
  }

  /** The strings held at `key` (none: empty). */
  get(key: string): Iterable<string> {
    const held = this.map.get(key);
    return held === undefined ? [] : typeof held === 'string' ? [held] : held;
  }

  /** How many strings `key` holds. */
  count(key: string): number {
    const held = this.map.get(key);
    return held === undefined ? 0 : typeof held === 'string' ? 1 : held.size;
  }

  /** Keys holding at least one string. */
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
}
