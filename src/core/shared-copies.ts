// One copy of values that recur across many cached objects (a namespace string, a list of
// clusters): each object parsed from JSON or built per reconcile brings its own copy otherwise.
// Bounded: when full it starts over, and copies already handed out stay shared.

export class SharedCopies<T> {
  private readonly known = new Map<string, T>();

  constructor(private readonly limit: number) {}

  /** The copy kept under `id`, or `make()`'s, kept from now on. */
  of(id: string, make: () => T): T {
    const known = this.known.get(id);
    if (known !== undefined) return known;
    if (this.known.size >= this.limit) this.known.clear();
    const value = make();
    this.known.set(id, value);
    return value;
  }
}
