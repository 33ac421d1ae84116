// The shared table of hostile inputs on a real API server: the generated CRDs are applied with
// kubectl, then every case, with kubectl's own defaults (strict field validation). The API
// server and `mcdns validate` must give the same verdict on every case, and the verdict the
// table states. This is what keeps the CEL rules in the CRDs and their JavaScript twins together.
import { expect } from 'chai';
import { stringify } from 'yaml';
import { validateObject } from '../../src/api/validate.js';
import { startBed, type Bed } from '../env/bed.js';
import { hostileCases } from '../fixtures/hostile.js';

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
    const disagreements: string[] = [];
    for (const c of hostileCases()) {
      let server: 'valid' | 'invalid' = 'valid';
      let why = '';
      try {
        await bed.kubectl(bed.host, ['apply', '-f', '-'], stringify(c.object));
      } catch (err) {
        server = 'invalid';
        why = (err as Error).message.split('\n').slice(1).join(' ').trim();
      }
      const ours = validateObject(c.object).length === 0 ? 'valid' : 'invalid';
      if (server !== ours || server !== c.expect) {
        disagreements.push(`${c.kind}/${c.name}: table ${c.expect}, API server ${server}, mcdns validate ${ours} ${why}`);
      }
    }
    expect(disagreements).to.deep.equal([]);
  });
});
