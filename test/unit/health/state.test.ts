import { expect } from 'chai';
import { initialState, observe, type TargetState } from '../../../src/health/state.js';

const thresholds = { failureThreshold: 3, successThreshold: 2 };
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const ok = { ok: true };
const fail = (error = 'connection refused') => ({ ok: false, error });

/** Feeds results one per second; returns the final state and the seconds at which the verdict changed. */
function run(results: { ok: boolean; error?: string }[], start: TargetState = initialState()) {
  let state = start;
  const changes: { at: number; healthy: boolean | undefined }[] = [];
  results.forEach((r, i) => {
    const next = observe(state, r, thresholds, at(i));
    state = next.state;
    if (next.changed) changes.push({ at: i, healthy: state.healthy });
  });
  return { state, changes };
}

describe('health state machine', () => {
  it('judges a new address healthy on its first success', () => {
    const { state, changes } = run([ok]);
    expect(changes).to.deep.equal([{ at: 0, healthy: true }]);
    expect(state).to.include({ healthy: true, since: at(0).toISOString() });
  });

  it('judges an address unhealthy after failureThreshold consecutive failures, keeping the first error of the verdict', () => {
    const { state, changes } = run([ok, fail(), fail(), fail('timed out after 3000 ms'), fail('connection reset')]);
    expect(changes).to.deep.equal([{ at: 0, healthy: true }, { at: 3, healthy: false }]);
    expect(state).to.include({ healthy: false, since: at(3).toISOString(), lastError: 'timed out after 3000 ms', latestError: 'connection reset' });
  });

  it('brings it back only after successThreshold consecutive successes', () => {
    const { state, changes } = run([ok, fail(), fail(), fail(), ok, fail(), ok, ok]);
    expect(changes.map((c) => c.at)).to.deep.equal([0, 3, 7]);
    expect(state).to.deep.equal({ healthy: true, since: at(7).toISOString(), successes: 2, failures: 0 });
  });

  it('does not flap on alternating results', () => {
    const alternating = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? ok : fail()));
    expect(run(alternating).changes).to.deep.equal([{ at: 0, healthy: true }]);
  });

  it('judges a new address unhealthy only after failureThreshold failures (no verdict before)', () => {
    const { state, changes } = run([fail(), fail(), fail()]);
    expect(changes).to.deep.equal([{ at: 2, healthy: false }]);
    expect(run([fail(), fail()]).state.healthy).to.equal(undefined);
    expect(state.lastError).to.equal('connection refused');
  });

  it('judges a refused probe at once, without counting failures, and starts over once probes are allowed again', () => {
    const t = { failureThreshold: 3, successThreshold: 2 };
    const now = new Date('2026-01-01T00:00:00Z');
    const healthy = observe(initialState(), { ok: true }, t, now).state;
    const refused = observe(healthy, { ok: false, refused: true, error: 'probe refused: loopback address' }, t, now);
    expect(refused.changed).to.equal(true);
    expect(refused.state).to.include({ healthy: false, refused: true, lastError: 'probe refused: loopback address' });
    expect(observe(refused.state, { ok: false, refused: true, error: 'probe refused: loopback address' }, t, now).changed).to.equal(false);
    const allowed = observe(refused.state, { ok: true }, t, now);
    expect(allowed).to.deep.include({ changed: true });
    expect(allowed.state).to.include({ healthy: true });
    expect(allowed.state.refused).to.equal(undefined);
  });
});
