// The claims of every record, indexed by DNS name, so a reconcile reads the claims on its own
// names only (O(its names)), never every record. Kept up to date by the reconciler (each
// reconcile states the record's names; a deleted record releases them) and seeded once from the
// host caches before the workers start, so a younger record reconciled first cannot publish a
// name an older record, not yet reconciled, holds.
//
// When the claimants of a name change, the other claimants of that name are handed to
// `onChange` (the controller queues them): a loser whose holder let go takes the name over
// within one reconcile, and a holder learns at once that someone else claims its name.
import { compareClaims, holderOf, type Claim } from '../../core/claims.js';
import { MultiMap } from '../../core/multimap.js';
import { normaliseName } from '../../core/names.js';

export type ClaimsListener = (records: string[]) => void;

export class ClaimIndex {
  /** name → the claims on it, by record key */
  private readonly byName = new MultiMap<Claim>((c) => c.record);
  /** record key → its claim and names (sorted; a record has a few) */
  private readonly byRecord = new Map<string, { claim: Claim; names: string[] }>();
  private readonly listeners = new Set<ClaimsListener>();

  /** Called with the records to look at again after a change of claims. Returns an unsubscribe function. */
  onChange(listener: ClaimsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The claims on one name. */
  claimsOn(name: string): Claim[] {
    return this.byName.get(normaliseName(name));
  }

  /** The claim that holds a name (the oldest), if any. */
  holder(name: string): Claim | undefined {
    return holderOf(this.claimsOn(name));
  }

  /** The names a record claims now. */
  namesOf(record: string): string[] {
    return [...(this.byRecord.get(record)?.names ?? [])];
  }

  /** Sets what `claim.record` claims (replacing what it claimed before); tells the others affected. */
  set(claim: Claim, names: Iterable<string>): void {
    const next = [...new Set([...names].map(normaliseName).filter((n) => n !== ''))].sort();
    const before = this.byRecord.get(claim.record);
    const affected = new Set<string>();
    const aged = before !== undefined && compareClaims(before.claim, claim) !== 0;
    for (const name of before?.names ?? []) {
      if (next.includes(name) && !aged) continue;
      this.byName.remove(name, claim.record);
      affected.add(name);
    }
    for (const name of next) {
      if (!this.byName.has(name, claim.record) || aged) affected.add(name);
      this.byName.add(name, claim);
    }
    if (next.length > 0) this.byRecord.set(claim.record, { claim, names: next });
    else this.byRecord.delete(claim.record);
    this.tell(claim.record, affected);
  }

  /** The record is gone (or claims nothing): its names are free for the next claimant. */
  release(record: string): void {
    const before = this.byRecord.get(record);
    if (!before) return;
    this.set(before.claim, []);
  }

  /** Records claiming anything. */
  get size(): number {
    return this.byRecord.size;
  }

  private tell(self: string, names: Set<string>): void {
    if (names.size === 0) return;
    const others = new Set<string>();
    for (const name of names) for (const { record } of this.byName.get(name)) if (record !== self) others.add(record);
    if (others.size === 0) return;
    const list = [...others].sort();
    for (const listener of this.listeners) listener(list);
  }
}
