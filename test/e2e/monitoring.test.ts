// manifests/monitoring: the alert rules pass `promtool check rules` and their unit tests
// (`promtool test rules`, two installations side by side), each alert belongs to one installation
// (by namespace and job), waits its `for:` and points at its section of docs/runbooks.md, tenants'
// own mistakes never page, the dashboard covers what an operator watches, and every metric an
// alert or a panel queries is one a real mcdns exports: the built CLI runs against the test bed
// and its /metrics page is read.
import { expect } from 'chai';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { startBed, type Bed } from '../env/bed.js';
import { runTool } from '../env/helm.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { kubectl, parseYamlObjects } from '../env/kube.js';
import { makeTempDir } from '../env/process.js';
import { exportedSeriesNames, metricNamesIn } from '../env/promql.js';
import { bins } from '../env/tools.js';
import { eventually, installMcdnsCrds } from '../env/workloads.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroups {
  groups: Array<{ name: string; rules: Rule[] }>;
}
interface Dashboard {
  panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; query?: unknown; definition?: string }> };
}

const RULE = parse(readFileSync('manifests/monitoring/prometheusrule.yaml', 'utf8')) as { kind: string; spec: RuleGroups };
const DASHBOARD = JSON.parse(readFileSync('manifests/monitoring/grafana-dashboard.json', 'utf8')) as Dashboard;
const rules = (): Rule[] => RULE.spec.groups.flatMap((g) => g.rules);

/** The rule groups as the plain rule file promtool reads (optionally without the runbook URLs). */
function ruleFile(dir: string, withRunbooks: boolean): string {
  const spec = structuredClone(RULE.spec);
  if (!withRunbooks) for (const g of spec.groups) for (const r of g.rules) delete r.annotations?.['runbook_url'];
  const file = path.join(dir, 'mcdns.rules.yaml');
  writeFileSync(file, stringify(spec));
  return file;
}

describe('monitoring files (manifests/monitoring)', function () {
  this.timeout(240_000);

  describe('alert rules', () => {
    it('is a PrometheusRule whose rule groups pass `promtool check rules`', async () => {
      expect(RULE.kind).to.equal('PrometheusRule');
      const { stdout } = await runTool(bins.promtool(), ['check', 'rules', ruleFile(makeTempDir('rules'), true)]);
      expect(stdout).to.contain(`SUCCESS: ${rules().length} rules found`);
    });

    it('pass their unit tests (`promtool test rules manifests/monitoring/alerts.test.yaml`), which cover every alert', async () => {
      const dir = makeTempDir('rules-test');
      ruleFile(dir, false);
      copyFileSync('manifests/monitoring/alerts.test.yaml', path.join(dir, 'alerts.test.yaml'));
      const { stdout } = await runTool(bins.promtool(), ['test', 'rules', path.join(dir, 'alerts.test.yaml')]);
      expect(stdout).to.match(/SUCCESS/);
      const tests = parse(readFileSync('manifests/monitoring/alerts.test.yaml', 'utf8')) as {
        tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
      };
      const fired = new Set(tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((a) => (a.exp_alerts ?? []).length > 0).map((a) => a.alertname)));
      expect(rules().map((r) => r.alert).filter((a) => !fired.has(a)), 'alerts no test makes fire').to.deep.equal([]);
    });

    it('fail `promtool test rules` with the rules as they were, summed over every installation (the two-installation tests can fail)', async () => {
      for (const [alert, expr] of [
        ['MCDNSTwoLeaders', 'sum(mcdns_leader) > 1'],
        ['MCDNSNoLeader', 'sum(mcdns_leader) < 1'],
        ['MCDNSRecordsNotReady', 'max by (namespace, job, kind, reason) (mcdns_records{status="False"}) > 0'],
      ]) {
        const dir = makeTempDir('rules-broken');
        const spec = structuredClone(RULE.spec);
        for (const g of spec.groups) for (const r of g.rules) {
          delete r.annotations?.['runbook_url'];
          if (r.alert === alert) r.expr = expr!;
        }
        writeFileSync(path.join(dir, 'mcdns.rules.yaml'), stringify(spec));
        copyFileSync('manifests/monitoring/alerts.test.yaml', path.join(dir, 'alerts.test.yaml'));
        const failed = await runTool(bins.promtool(), ['test', 'rules', path.join(dir, 'alerts.test.yaml')]).then(() => '', (e: Error) => e.message);
        expect(failed, alert).to.match(new RegExp(`alertname: ${alert}`));
      }
    });

    it('gives every alert a severity, a summary, a description, a for: and a runbook_url to its section of docs/runbooks.md', () => {
      const runbooks = readFileSync('docs/runbooks.md', 'utf8');
      const anchors = new Set([...runbooks.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]!.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-')));
      const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
      for (const r of rules()) {
        expect(r.labels?.['severity'], r.alert).to.be.oneOf(['critical', 'warning', 'info']);
        for (const a of ['summary', 'description', 'runbook_url']) expect(r.annotations?.[a], `${r.alert} ${a}`).to.be.a('string').and.not.equal('');
        expect(r.for, `${r.alert} for:`).to.match(/^\d+[smh]$/);
        const url = r.annotations!['runbook_url']!;
        expect(url, r.alert).to.equal(`https://github.com/mcdns/mcdns/blob/v${version}/docs/runbooks.md#${r.alert.toLowerCase()}`);
        expect(anchors.has(r.alert.toLowerCase()), `docs/runbooks.md has a section ## ${r.alert}`).to.equal(true);
      }
    });

    it('aggregates every alert by namespace and job, so each installation alerts on its own', () => {
      for (const r of rules()) {
        const aggregations = [...r.expr.matchAll(/\b(sum|max|min|avg|count|group)\s*(by\s*\(([^)]*)\))?\s*\(/g)];
        expect(aggregations.length, `${r.alert} aggregates`).to.be.greaterThan(0);
        for (const a of aggregations) {
          const labels = (a[3] ?? '').split(',').map((l) => l.trim());
          expect(labels, `${r.alert}: ${a[0]}`).to.include.members(['namespace', 'job']);
        }
        for (const on of r.expr.matchAll(/\bon\s*\(([^)]*)\)/g)) expect(on[1]!.split(',').map((l) => l.trim()), `${r.alert}: ${on[0]}`).to.include.members(['namespace', 'job']);
      }
    });

    it('keeps tenants\' own mistakes off the pager: their reasons only in the info alert (and its dashboard panel)', () => {
      const tenant = ['InvalidSpec', 'NoHosts', 'NameTooLong', 'NameNotAllowed', 'NameConflict', 'DNSEndpointConflict'];
      const rejected = rules().find((r) => r.alert === 'MCDNSRecordsRejected')!;
      expect(rejected.labels?.['severity']).to.equal('info');
      expect(rejected.expr).to.contain(`reason=~"${tenant.join('|')}"`);
      const notReady = rules().find((r) => r.alert === 'MCDNSRecordsNotReady')!;
      for (const reason of tenant) expect(notReady.expr, reason).to.match(new RegExp(`reason!~"[^"]*\\b${reason}\\b`));
      const panel = DASHBOARD.panels.find((p) => p.title === 'Records rejected (tenants)');
      expect(panel?.targets?.[0]?.expr).to.contain(`reason=~"${tenant.join('|')}"`);
    });
  });

  describe('Grafana dashboard', () => {
    it('has panels for leader, publish latency, queue depth, cluster state, provider calls and errors, probe outcomes', () => {
      const titles = DASHBOARD.panels.filter((p) => p.type !== 'row').map((p) => p.title);
      for (const t of ['Leader', 'Publish latency', 'Queue depth', 'Member clusters by state', 'Provider calls', 'Provider errors', 'Probe outcomes', 'Records rejected (tenants)', 'Member sources']) {
        expect(titles).to.include(t);
      }
      for (const p of DASHBOARD.panels.filter((x) => x.type !== 'row')) {
        expect(p.targets ?? [], p.title).to.not.be.empty;
        for (const t of p.targets ?? []) expect(t.expr, p.title).to.contain('namespace=~"$namespace",job=~"$job"');
      }
    });
  });

  it('installs with `kubectl apply -k manifests/monitoring/`: the PrometheusRule and the dashboard ConfigMap for the Grafana sidecar', async () => {
    const objects = parseYamlObjects(await kubectl('/dev/null', ['kustomize', 'manifests/monitoring/']));
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort()).to.deep.equal(['ConfigMap/mcdns-dashboard', 'PrometheusRule/mcdns']);
    const cm = objects.find((o) => o.kind === 'ConfigMap') as { metadata: { labels?: Record<string, string> }; data: Record<string, string> };
    expect(cm.metadata.labels?.['grafana_dashboard']).to.equal('1');
    expect(cm.data['mcdns.json']).to.equal(readFileSync('manifests/monitoring/grafana-dashboard.json', 'utf8'));
    expect((objects.find((o) => o.kind === 'PrometheusRule') as unknown as { spec: unknown }).spec).to.deep.equal(RULE.spec);
  });

  describe('against a running mcdns', () => {
    let bed: Bed;
    let mcdns: McdnsHandle | undefined;
    let exported: Set<string>;

    before(async () => {
      bed = await startBed({ members: ['member1'], powerdns: false, externalDns: false });
      await installMcdnsCrds((m) => bed.apply('host', m));
      const metrics = `127.0.0.1:${await freePort()}`;
      mcdns = startMcdns([...bedFlags(bed), `--metrics-address=${metrics}`, '--offline-grace=3s', '--heartbeat-interval=1s']);
      await eventually('ready', async () => (await fetch(`http://${metrics}/readyz`)).status, (s) => s === 200, 60_000);
      exported = exportedSeriesNames(await (await fetch(`http://${metrics}/metrics`)).text());
    });

    after(async function () {
      if (this.currentTest?.state === 'failed' || process.env.MCDNS_E2E_LOGS) console.log(mcdns?.logs());
      await mcdns?.stop();
      await bed?.stop();
    });

    it('exports every metric the alert rules query', () => {
      // `up` is Prometheus's own series of every target (MCDNSDown).
      const named = [...new Set(rules().flatMap((r) => metricNamesIn(r.expr)))].filter((n) => n !== 'up').sort();
      expect(named.length, 'metrics named by the rules').to.be.greaterThan(8);
      expect(named.filter((n) => !exported.has(n)), 'queried but not exported').to.deep.equal([]);
    });

    it('exports every metric the dashboard queries (panels and variables)', () => {
      const exprs = DASHBOARD.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
      for (const v of DASHBOARD.templating.list) if (v.definition) exprs.push(v.definition.replace(/^label_values\((.*),\s*\w+\)$/, '$1'));
      const named = [...new Set(exprs.flatMap(metricNamesIn))].sort();
      expect(named.length, 'metrics named by the dashboard').to.be.greaterThan(10);
      expect(named.filter((n) => !exported.has(n)), 'queried but not exported').to.deep.equal([]);
    });

    it('would notice a metric that does not exist', () => {
      expect(metricNamesIn('sum(mcdns_no_such_metric) > 0').filter((n) => !exported.has(n))).to.deep.equal(['mcdns_no_such_metric']);
    });
  });
});
