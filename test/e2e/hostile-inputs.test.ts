// The shared table of hostile inputs on a real API server: the generated CRDs are applied with
// kubectl, then every case as written, with kubectl's own defaults (strict field validation,
// its YAML 1.1 reading of scalars). The API server and the built `mcdns validate` must give the
// same verdict on every case, and the verdict the table states. This is what keeps the CEL rules
// in the CRDs and their JavaScript twins together, and validate's YAML reading with kubectl's.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startBed, type Bed } from '../env/bed.js';
import { MCDNS_CLI } from '../env/mcdns.js';
import { HOSTILE, hostileCases } from '../fixtures/hostile.js';

describe('hostile inputs: mcdns validate and the API server agree (real kube-apiserver)', function () {
  this.timeout(300_000);
  let bed: Bed;

  before(async () => {
    bed = await startBed({ members: [], powerdns: false, installDnsEndpointCrd: false });
    // mcdns's CRDs, the shared DNSEndpoint and KubeFed's kinds as mcdns reads them.
    await bed.kubectl(bed.host, ['apply', '-f', 'manifests/crds/', '-f', 'manifests/crds/externaldns/dnsendpoints.externaldns.k8s.io.yaml', '-f', 'manifests/crds/kubefed/']);
    await bed.kubectl(bed.host, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
    await bed.kubectl(bed.host, ['create', 'namespace', 'hostile']);
  });
  after(async () => {
    await bed?.stop();
  });

  it('gives every case of the table the same verdict as mcdns validate, and the one the table states', async () => {
    // The built CLI, once over the whole table: the objects it finds problems in.
    const run = await promisify(execFile)(process.execPath, [MCDNS_CLI, 'validate', '-o', 'json', HOSTILE]).catch((err: { stdout: string }) => err);
    const report = JSON.parse(run.stdout) as { valid: number; invalid: number; problems: { object?: string }[] };
    const refused = new Set(report.problems.map((p) => p.object));
    const cases = hostileCases();
    expect(report.valid + report.invalid).to.equal(cases.length);
    const disagreements: string[] = [];
    for (const c of cases) {
      let server: 'valid' | 'invalid' = 'valid';
      let why = '';
      try {
        await bed.kubectl(bed.host, ['apply', '-f', '-'], c.text);
      } catch (err) {
        server = 'invalid';
        why = (err as Error).message.split('\n').slice(1).join(' ').trim();
      }
      const ours = refused.has(`${c.kind}/${c.name}`) ? 'invalid' : 'valid';
      if (server !== ours || server !== c.expect) {
        disagreements.push(`${c.kind}/${c.name}: table ${c.expect}, API server ${server}, mcdns validate ${ours} ${why}`);
      }
    }
    expect(disagreements).to.deep.equal([]);
  });
});
