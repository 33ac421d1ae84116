// The Helm chart cannot drift from the rest of the repository: its CRDs and monitoring files are
// the same bytes as manifests/crds and manifests/monitoring, its values name every flag of
// `mcdns run`, and values.schema.json types every value. (Rendering, lint and a real API server:
// test/e2e/helm-chart.test.ts.)
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { MCDNS_CLI } from '../../env/mcdns.js';

const CHART = 'manifests/helm/mcdns';

/** `mcdns run` flags other than those under values.yaml's `config`, and the value that sets each. */
const SET_ELSEWHERE: Record<string, string> = {
  'metrics-address': 'metrics.port',
  kubeconfig: 'kubeconfigSecret',
  'members-kubeconfig': 'members.kubeconfigSecret',
  'member-contexts': 'members.contexts',
  'leader-election-namespace': 'the release namespace (from the pod)',
  'log-level': 'logLevel',
  'fail-open': 'the default (config.no-fail-open turns it off)',
  help: '(not a setting)',
};

function runFlags(): string[] {
  const help = execFileSync(process.execPath, [MCDNS_CLI, 'run', '--help'], { encoding: 'utf8' });
  return [...help.matchAll(/^\s+(?:-\w, )?--([a-z0-9-]+)/gm)].map((m) => m[1]!);
}

describe('Helm chart manifests/helm/mcdns', () => {
  it('ships mcdns\'s own CRDs in crds/, byte for byte the ones `kubectl apply -f manifests/crds/` installs (run `npm run manifests`, then copy them)', () => {
    const own = readdirSync('manifests/crds', { withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith('.yaml')).map((e) => e.name).sort();
    expect(own).to.deep.equal(['dnsnamepolicies', 'domains', 'ingressdnsrecords', 'routednsrecords', 'servicednsrecords'].map((k) => `${k}.multiclusterdns.kubefed.io.yaml`));
    expect(readdirSync(`${CHART}/crds`).sort()).to.deep.equal(own);
    for (const file of own) expect(readFileSync(`${CHART}/crds/${file}`, 'utf8'), file).to.equal(readFileSync(`manifests/crds/${file}`, 'utf8'));
  });

  it('ships the shared DNSEndpoint CRD, the alerts and the dashboard unchanged (copy them to files/)', () => {
    const copies: Record<string, string> = {
      'dnsendpoints.externaldns.k8s.io.yaml': 'manifests/crds/externaldns/dnsendpoints.externaldns.k8s.io.yaml',
      'prometheusrule.yaml': 'manifests/monitoring/prometheusrule.yaml',
      'grafana-dashboard.json': 'manifests/monitoring/grafana-dashboard.json',
    };
    expect(readdirSync(`${CHART}/files`).sort()).to.deep.equal(Object.keys(copies).sort());
    for (const [file, source] of Object.entries(copies)) expect(readFileSync(`${CHART}/files/${file}`, 'utf8'), file).to.equal(readFileSync(source, 'utf8'));
  });

  it('has a value for every `mcdns run` flag', () => {
    const values = parse(readFileSync(`${CHART}/values.yaml`, 'utf8')) as { config: Record<string, unknown> };
    const flags = runFlags();
    expect(flags, 'flags parsed from --help').to.include.members(['provider', 'kubefed-clusters', 'leader-elect', 'no-fail-open']);
    const missing = flags.filter((f) => !(f in values.config) && !SET_ELSEWHERE[f]);
    expect(missing, 'flags without a key under config: in values.yaml').to.deep.equal([]);
    const stale = Object.keys(values.config).filter((k) => !flags.includes(k));
    expect(stale, 'config keys that are not flags of mcdns run').to.deep.equal([]);
    expect(Object.keys(SET_ELSEWHERE).filter((f) => !flags.includes(f)), 'stale SET_ELSEWHERE entries').to.deep.equal([]);
  });

  it('validates config against exactly those flags (values.schema.json), so a misspelt flag fails helm install', () => {
    const values = parse(readFileSync(`${CHART}/values.yaml`, 'utf8')) as { config: Record<string, unknown> };
    const schema = JSON.parse(readFileSync(`${CHART}/values.schema.json`, 'utf8')) as {
      properties: { config: { additionalProperties: boolean; properties: Record<string, { type: string | string[] }> } };
    };
    expect(schema.properties.config.additionalProperties).to.equal(false);
    expect(Object.keys(schema.properties.config.properties).sort()).to.deep.equal(Object.keys(values.config).sort());
    for (const [k, v] of Object.entries(values.config)) {
      const type = schema.properties.config.properties[k]!.type;
      if (typeof v === 'boolean') expect(type, k).to.equal('boolean');
      if (Array.isArray(v)) expect(type, k).to.equal('array');
    }
  });

  it('types every value of values.yaml in values.schema.json, and refuses unknown keys wherever the keys are fixed', () => {
    interface Schema {
      type?: string | string[];
      properties?: Record<string, Schema>;
      additionalProperties?: boolean | Schema;
      items?: Schema;
      enum?: unknown[];
    }
    const schema = JSON.parse(readFileSync(`${CHART}/values.schema.json`, 'utf8')) as Schema;
    const values = parse(readFileSync(`${CHART}/values.yaml`, 'utf8')) as Record<string, unknown>;
    const problems: string[] = [];
    const walk = (value: unknown, s: Schema | undefined, at: string): void => {
      if (!s) return void problems.push(`${at}: not in the schema`);
      if (!s.type && !s.enum) problems.push(`${at}: no type`);
      if (value && typeof value === 'object' && !Array.isArray(value) && s.properties) {
        if (s.additionalProperties !== false) problems.push(`${at}: fixed keys, but unknown ones are allowed`);
        for (const [k, v] of Object.entries(value)) walk(v, s.properties[k], `${at}.${k}`);
      }
    };
    walk(values, schema, 'values');
    expect(problems).to.deep.equal([]);
    // Free-form objects (labels, securityContext, resources...) are the only objects without properties.
    const freeForm = Object.entries(schema.properties!).filter(([, v]) => (v.type === 'object' || (Array.isArray(v.type) && v.type.includes('object'))) && !v.properties).map(([k]) => k).sort();
    expect(freeForm).to.deep.equal(['affinity', 'commonLabels', 'livenessProbe', 'nodeSelector', 'podAnnotations', 'podLabels', 'podSecurityContext', 'readinessProbe', 'resources', 'securityContext']);
  });
});
