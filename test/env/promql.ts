// Metric names in PromQL expressions (alert rules, dashboard panels) and in a /metrics page, to
// check that every query names a metric mcdns exports.

// Words that are operators or modifiers, never metric names.
const KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'atan2', 'inf', 'nan', 'start', 'end']);

/**
 * The metric names an expression selects. Drops string literals, label matchers `{...}`, range
 * and subquery brackets, grouping label lists (`by (...)`, `on (...)`, ...), Grafana variables
 * (`$job`, `${x}`, `$__rate_interval`), numbers and durations; then a name is an identifier that
 * is neither a keyword nor a function or aggregation (followed by `(`). `{__name__="x"}` counts.
 */
export function metricNamesIn(expr: string): string[] {
  const names = new Set<string>();
  for (const m of expr.matchAll(/__name__\s*=~?\s*"([^"]+)"/g)) names.add(m[1]!);
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ');
  for (const m of s.matchAll(/(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, word, call] = m;
    if (call || KEYWORDS.has(word!.toLowerCase())) continue;
    names.add(word!);
  }
  return [...names].sort();
}

/**
 * The series names a Prometheus text page can answer: each `# TYPE` family (listed even before
 * its first observation), with `_bucket`, `_sum` and `_count` for histograms and summaries.
 */
export function exportedSeriesNames(metricsText: string): Set<string> {
  const out = new Set<string>();
  for (const m of metricsText.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    const [, name, type] = m;
    out.add(name!);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(`${name}${s}`);
    if (type === 'summary') for (const s of ['_sum', '_count']) out.add(`${name}${s}`);
  }
  return out;
}
