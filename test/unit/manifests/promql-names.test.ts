// The metric-name extractor the monitoring test relies on: it must find every metric a query
// selects and nothing else, or the "every alert names an exported metric" check proves nothing.
import { expect } from 'chai';
import { exportedSeriesNames, metricNamesIn } from '../../env/promql.js';

describe('metric names in PromQL', () => {
  it('finds selected metrics, not functions, aggregations, keywords, labels or durations', () => {
    expect(metricNamesIn('sum(rate(mcdns_reconcile_total{result="error"}[10m])) / sum(rate(mcdns_reconcile_total[10m])) > 0.2')).to.deep.equal([
      'mcdns_reconcile_total',
    ]);
    expect(metricNamesIn('max(mcdns_workqueue_depth and on(instance) (mcdns_leader == 1)) > 100')).to.deep.equal(['mcdns_leader', 'mcdns_workqueue_depth']);
    expect(metricNamesIn('sum by (provider, operation) (rate(x_errors_total[10m])) > 0 unless ignoring(le) y')).to.deep.equal(['x_errors_total', 'y']);
    expect(metricNamesIn('sum(a) < 0.5 * sum(a offset 10m) or absent(b)')).to.deep.equal(['a', 'b']);
    expect(metricNamesIn('histogram_quantile(0.99, sum by (le, kind) (rate(h_bucket{job=~"$job"}[$__rate_interval])))')).to.deep.equal(['h_bucket']);
    expect(metricNamesIn('max by (state) (c{label="not_a_metric", other=~"x|y"}) + on() group_left(foo) d')).to.deep.equal(['c', 'd']);
    expect(metricNamesIn('{__name__="by_name"} + count_values("v", e) + 1e3 + Inf')).to.deep.equal(['by_name', 'e']);
  });

  it('lists every family of a /metrics page, with the series names of histograms', () => {
    const page = '# HELP a_total A.\n# TYPE a_total counter\n# HELP h Hist.\n# TYPE h histogram\nh_bucket{le="1"} 0\n';
    expect([...exportedSeriesNames(page)].sort()).to.deep.equal(['a_total', 'h', 'h_bucket', 'h_count', 'h_sum']);
  });
});
