// The benchmarks' percentiles: nearest rank on the samples as measured, rounded to 0.1 ms.
import { expect } from 'chai';
import { summarize } from '../../bench/stats.js';

describe('bench/stats: summaries of samples', () => {
  it('takes nearest-rank percentiles: with 50 samples the p99 is the largest, the p50 the 25th', () => {
    const samples = Array.from({ length: 50 }, (_, i) => 50 - i); // 50 … 1, in no order the summary relies on
    expect(summarize(samples)).to.deep.equal({ n: 50, p50: 25, p95: 48, p99: 50, max: 50, min: 1, mean: 25.5 });
  });

  it('rounds to a tenth and copes with one sample', () => {
    expect(summarize([12.345])).to.deep.equal({ n: 1, p50: 12.3, p95: 12.3, p99: 12.3, max: 12.3, min: 12.3, mean: 12.3 });
  });

  it('says NaN, not zero, when there is nothing to summarise', () => {
    const empty = summarize([]);
    expect(empty.n).to.equal(0);
    expect(Number.isNaN(empty.p50) && Number.isNaN(empty.max)).to.equal(true);
  });
});
