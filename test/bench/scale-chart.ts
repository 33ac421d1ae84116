// The scale chart: convergence time and peak memory against the number of records, for mcdns and
// for ExternalDNS, from a scale result. Drawn by vega-lite (compiled to vega, rendered headless by
// vega's View.toSVG), so the chart is a declarative spec rather than hand-placed SVG.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ScaleResult } from './scale.js';

interface Point {
  records: number;
  series: string;
  value: number;
  /** Measured, or projected from the rate seen before a timeout. */
  kind: 'measured' | 'projected';
}

/** The points of both panels: seconds to converge, and peak RSS in MiB. */
function chartPoints(result: ScaleResult): { time: Point[]; rss: Point[] } {
  const time: Point[] = [];
  const rss: Point[] = [];
  const add = (to: Point[], records: number, series: string, value: number | null | undefined, kind: Point['kind'] = 'measured') => {
    if (typeof value === 'number' && Number.isFinite(value)) to.push({ records, series, value, kind });
  };
  // Runs with different K are different lines: the cluster count is part of each series' name;
  // so are the members' reality (a realistic run beside its plain one) and shared API servers.
  const several = new Set(result.runs.map((r) => r.clusters)).size > 1;
  for (const r of result.runs) {
    const shared = r.apiServers !== undefined && r.apiServers < r.clusters ? ` on ${r.apiServers} API servers` : '';
    const far = r.variant === 'realistic' ? `, members ${r.memberRttMs} ms away, ${r.background} unrelated Services, ${r.churnPerS} flips/s` : '';
    const k = `${several ? `, K=${r.clusters}` : ''}${shared}${far}`;
    add(time, r.records, `mcdns → DNSEndpoints${k}`, r.dnsEndpointsConvergedS);
    add(time, r.records, `mcdns → PowerDNS direct${k}`, r.powerdnsConvergedS);
    add(time, r.records, `API write floor (bare client)${k}`, r.apiWriteFloorS);
    const d = r.externalDns.defaults;
    add(time, r.records, `ExternalDNS v0.22.0 defaults → PowerDNS${k}`, d?.convergedS);
    // A projection from its status-write rate only stands when the lifted run (same writes, no
    // rate limit) did reach PowerDNS: otherwise something other than the rate stops it.
    if (d && d.convergedS === null && r.externalDns.lifted?.convergedS) add(time, r.records, `ExternalDNS v0.22.0 defaults → PowerDNS${k}`, d.projectedS, 'projected');
    add(time, r.records, `ExternalDNS v0.22.0 QPS lifted → PowerDNS${k}`, r.externalDns.lifted?.convergedS);
    add(rss, r.records, `mcdns${k}`, r.peakRssMiB);
    add(rss, r.records, `ExternalDNS v0.22.0${k}`, r.externalDns.lifted?.peakRssMiB ?? d?.peakRssMiB);
  }
  return { time, rss };
}

function chartSpec(result: ScaleResult): TopLevelSpec {
  const { time, rss } = chartPoints(result);
  const machine = result.machine as { nproc?: number; memoryGiB?: number };
  const x = { field: 'records', type: 'quantitative' as const, title: 'records (N)', scale: { type: 'log' as const, nice: false } };
  // One line per series; the point's shape says whether it was measured or projected (ExternalDNS
  // with its defaults at large N, stopped at its timeout, projected from its status-write rate).
  const panel = (values: Point[], title: string, yTitle: string) => ({
    title,
    width: 420,
    height: 260,
    data: { values },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative' as const, title: yTitle, scale: { type: 'log' as const } },
      color: { field: 'series', type: 'nominal' as const, title: null, legend: { orient: 'bottom' as const, columns: 1, labelLimit: 400 } },
    },
    layer: [
      { mark: { type: 'line' as const } },
      {
        mark: { type: 'point' as const, filled: true, size: 70 },
        encoding: {
          shape: {
            field: 'kind',
            type: 'nominal' as const,
            title: null,
            scale: { domain: ['measured', 'projected'], range: ['circle', 'triangle-up'] },
            legend: values.some((p) => p.kind === 'projected') ? { orient: 'bottom' as const } : null,
          },
          tooltip: [{ field: 'series' }, { field: 'records' }, { field: 'value' }, { field: 'kind' }],
        },
      },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `mcdns scale: convergence and memory against N (K = ${[...new Set(result.runs.map((r) => r.clusters))].sort((a, b) => a - b).join(', ')} member clusters)`,
      subtitle: `${machine.nproc ?? '?'} cores, ${machine.memoryGiB ?? '?'} GiB; npm run bench -- --scenario scale`,
    },
    hconcat: [panel(time, 'cold start → all N converged', 'seconds (log)'), panel(rss, 'peak resident memory (VmHWM)', 'MiB (log)')],
    resolve: { scale: { color: 'independent', shape: 'independent' } },
    config: { font: 'sans-serif' },
  } as TopLevelSpec;
}

export async function renderScaleChart(result: ScaleResult): Promise<string> {
  const view = new vega.View(vega.parse(compile(chartSpec(result)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
