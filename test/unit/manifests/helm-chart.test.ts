// The Helm chart cannot drift from the rest of the repository: its CRDs and monitoring files are
// the same bytes as manifests/crds and manifests/monitoring, and its values name every flag of
// `mcdns run`. (Rendering, lint and a real API server: test/e2e/helm-chart.test.ts.)
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
  it('ships exactly the CRDs kustomize installs, byte for byte (run `npm run manifests`, then copy them to crds/)', () => {
    const kustomization = parse(readFileSync('manifests/kustomization.yaml', 'utf8')) as { resources: string[] };
    const kustomizeCrds = kustomization.resources.filter((r) => r.startsWith('crds/')).map((r) => r.slice('crds/'.length)).sort();
    expect(readdirSync(`${CHART}/crds`).sort()).to.deep.equal(kustomizeCrds);
    for (const file of kustomizeCrds) {
      expect(readFileSync(`${CHART}/crds/${file}`, 'utf8'), file).to.equal(readFileSync(`manifests/crds/${file}`, 'utf8'));
    }
  });

  it('ships the alerts and the dashboard of manifests/monitoring unchanged (copy them to files/)', () => {
    for (const file of ['prometheusrule.yaml', 'grafana-dashboard.json']) {
      expect(readFileSync(`${CHART}/files/${file}`, 'utf8'), file).to.equal(readFileSync(`manifests/monitoring/${file}`, 'utf8'));
    }
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
});
