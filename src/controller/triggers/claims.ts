// The claims of every record, indexed by DNS name, so a reconcile reads the claims on its own
// names only (O(its names)), never every record. Kept up to date by the reconciler (each
// reconcile states the record's names and since when it claims each; a deleted record releases
// them) and seeded once from the host caches before the workers start, so a younger claim
// reconciled first cannot publish a name an older one, not yet reconciled, holds.
//
// Beside a record's names, the index holds the ownership TXT names derived from them
// (`txtNames`, from --txt-prefix/--txt-suffix), and for each wildcard `*.S` the names claimed
// below S, so a wildcard finds the names it covers without a walk over every name. With
// `subtree` (a DNS provider answers a name with every record below it), every name is a
// wildcard of sorts: the names below each one are indexed, and a name's rivals include the
// names above and below it.
//
// When the claimants of a name change, the other claimants of that name (and of the names that
// overlap it) are handed to `onChange` (the controller queues them): a loser whose holder let
// go takes the name over within one reconcile, and a holder learns at once that someone else
// claims its name.
import { ancestorsOf, compareClaims, covers, type Claim, type Claimant } from '../../core/claims.js';
import { MultiMap } from '../../core/multimap.js';
import { normaliseName } from '../../core/names.js';

export type ClaimsListener = (records: string[]) => void;

const byRecord = (c: Claim): string => c.by.record;
const byRecordAndName = (c: Claim): string => `${c.by.record} ${c.name}`;

export class ClaimIndex {
  /** name → the claims on it (names and TXT names), by record */
  private readonly byName = new MultiMap<Claim>(byRecord);
  /** record → its claims by name */
  private readonly records = new Map<string, Map<string, Claim>>();
  /** S → the claims on `*.S` */
  private readonly wildcards = new MultiMap<Claim>(byRecord);
  /** S (with a wildcard claimed) → the claims on names below S, TXT names aside, by record and name */
  private readonly under = new Map<string, Map<string, Claim>>();
  private readonly listeners = new Set<ClaimsListener>();

  /**
   * `txtNames`: the ownership TXT names of a name (none: TXT names claim nothing); `subtree`: a
   * DNS provider answers a name with every record below it.
   */
  constructor(
    private readonly txtNames: (name: string) => string[] = () => [],
    readonly subtree = false,
  ) {}

  /** Called with the records to look at again after a change of claims. Returns an unsubscribe function. */
  onChange(listener: ClaimsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The claims on one name (as a name or as a TXT name). */
  claimsOn(name: string): Claim[] {
    return this.byName.get(normaliseName(name));
  }

  /**
   * The record that holds a name by the claims on it: the strongest claim on the name itself,
   * unless that is an ownership TXT claim (then the name is another record's TXT name). The
   * provider sinks ask it, so that a name handed over is taken in one write.
   */
  holder(name: string): Claimant | undefined {
    const strongest = [...this.claimsOn(name)].sort(compareClaims)[0];
    return strongest && strongest.txtOf === undefined ? strongest.by : undefined;
  }

  /** The names a record claims now, TXT names aside. */
  namesOf(record: string): string[] {
    return [...(this.records.get(record)?.values() ?? [])].filter((c) => c.txtOf === undefined).map((c) => c.name).sort();
  }

  /** When the record's claim on `name` was made, if it has one. */
  claimedAt(record: string, name: string): number | undefined {
    const c = this.records.get(record)?.get(normaliseName(name));
    return c?.txtOf === undefined ? c?.at : undefined;
  }

  /** The record's claims (TXT names included). */
  claimsOf(record: string): Claim[] {
    return [...(this.records.get(record)?.values() ?? [])];
  }

  /** Every claim that may contest `claim`: on its name, and the wildcards above it or the names below it. */
  rivalsOf(claim: Claim): Claim[] {
    const found = new Set<Claim>(this.byName.get(claim.name));
    if (claim.txtOf === undefined) {
      for (const above of ancestorsOf(claim.name)) {
        for (const c of this.wildcards.get(above)) found.add(c);
        if (this.subtree) for (const c of this.byName.get(above)) if (c.txtOf === undefined) found.add(c);
      }
      if (claim.name.startsWith('*.')) for (const c of this.under.get(claim.name.slice(2))?.values() ?? []) found.add(c);
      if (this.subtree) for (const c of this.under.get(claim.name)?.values() ?? []) found.add(c);
    }
    return [...found];
  }

  /**
   * Sets what `by` claims: each name with when it was first claimed (replacing what it claimed
   * before); the TXT names of each name are claimed with it. Tells the others affected.
   */
  set(by: Claimant, times: ReadonlyMap<string, number>): void {
    const next = new Map<string, Claim>();
    for (const [raw, at] of times) {
      const name = normaliseName(raw);
      if (name !== '') next.set(name, { by, name, at });
    }
    for (const [name, at] of [...next].map(([n, c]) => [n, c.at] as const)) {
      for (const t of this.txtNames(name).map(normaliseName)) if (t !== '' && !next.has(t)) next.set(t, { by, name: t, at, txtOf: name });
    }
    const before = this.records.get(by.record) ?? new Map<string, Claim>();
    const affected = new Set<string>();
    for (const [name, old] of before) {
      const now = next.get(name);
      if (now && now.at === old.at && now.txtOf === old.txtOf) {
        next.set(name, old);
        continue;
      }
      this.remove(old);
      affected.add(name);
    }
    for (const [name, claim] of next) {
      if (before.get(name) === claim) continue;
      this.add(claim);
      affected.add(name);
    }
    if (next.size > 0) this.records.set(by.record, next);
    else this.records.delete(by.record);
    this.tell(by.record, affected);
  }

  /** The record is gone (or claims nothing): its names are free for the next claimant. */
  release(record: string): void {
    const before = this.records.get(record);
    const first = before?.values().next().value;
    if (first) this.set(first.by, new Map());
  }

  /** Records claiming anything. */
  get size(): number {
    return this.records.size;
  }

  private add(claim: Claim): void {
    this.byName.add(claim.name, claim);
    if (claim.txtOf !== undefined) return;
    if (claim.name.startsWith('*.')) {
      const base = claim.name.slice(2);
      if (!this.wildcards.hasKey(base) && !this.under.has(base)) this.fillUnder(base);
      this.wildcards.add(base, claim);
    }
    for (const above of ancestorsOf(claim.name)) {
      let below = this.under.get(above);
      if (!below && this.subtree) this.under.set(above, (below = new Map()));
      below?.set(byRecordAndName(claim), claim);
    }
  }

  private remove(claim: Claim): void {
    this.byName.remove(claim.name, claim.by.record);
    if (claim.txtOf !== undefined) return;
    for (const above of ancestorsOf(claim.name)) {
      const below = this.under.get(above);
      below?.delete(byRecordAndName(claim));
      if (below?.size === 0 && this.subtree) this.under.delete(above);
    }
    if (!claim.name.startsWith('*.')) return;
    const base = claim.name.slice(2);
    this.wildcards.remove(base, claim.by.record);
    if (!this.wildcards.hasKey(base) && !this.subtree) this.under.delete(base);
  }

  /** A first wildcard at `*.base`: index the names already claimed below base (once). */
  private fillUnder(base: string): void {
    const below = new Map<string, Claim>();
    const wildcard = `*.${base}`;
    for (const name of this.byName.keys()) {
      if (!covers(wildcard, name)) continue;
      for (const c of this.byName.get(name)) if (c.txtOf === undefined) below.set(byRecordAndName(c), c);
    }
    this.under.set(base, below);
  }

  private tell(self: string, names: Set<string>): void {
    if (names.size === 0) return;
    const others = new Set<string>();
    for (const name of names) {
      const probe: Claim = { by: { record: self, kind: '', namespace: '', name: '' }, name, at: 0 };
      for (const c of this.rivalsOf(probe)) if (c.by.record !== self) others.add(c.by.record);
    }
    if (others.size === 0) return;
    const list = [...others].sort();
    for (const listener of this.listeners) listener(list);
  }
}
