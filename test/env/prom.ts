// Reading Prometheus text exposition (kube-apiserver's, ExternalDNS's and mcdns's /metrics) into
// samples, and summing a counter by some of its labels: what the benchmarks need from a scrape.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of the named metric families (all when `names` is empty). */
export function parseSamples(text: string, names: string[] = []): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const name = m[1]!;
    if (names.length > 0 && !names.includes(name)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    out.push({ name, labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of `name` grouped by the values of `by` (joined with " "), filtered by `where`. */
export function sumBy(samples: Sample[], name: string, by: string[], where: (labels: Record<string, string>) => boolean = () => true): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name || !where(s.labels)) continue;
    const key = by.map((b) => s.labels[b] ?? '').join(' ');
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/** b − a for each key, dropping zeros. */
export function diffRecord(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b)) {
    const d = Math.round((v - (a[k] ?? 0)) * 1000) / 1000;
    if (d !== 0) out[k] = d;
  }
  return out;
}
