// `mcdns plan` (the built CLI) against a real pdns-server over https with a client certificate,
// as operators reach a PowerDNS API behind a TLS proxy: --pdns-tls-ca trusts the server,
// --pdns-tls-client-cert/-key authenticate mcdns. -o json is the machine-readable plan.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startPowerDns, type PowerDnsHandle } from '../env/powerdns.js';
import { makeTempDir, removeTempDir } from '../env/process.js';
import { makePki, startTlsFront, type TestPki, type TlsFront } from '../providers/tls.js';
import { MCDNS_CLI } from '../env/mcdns.js';

const run = promisify(execFile);

interface PlanJson {
  resource: string;
  zones: Array<{ zone: string; changes: Array<{ action: string; record: { name: string; type: string; targets: string[] } }> }>;
}

describe('providers: PowerDNS over TLS (mcdns plan, real pdns-server behind a TLS front)', function () {
  this.timeout(60_000);
  let pdns: PowerDnsHandle;
  let front: TlsFront;
  let pki: TestPki;
  let dir: string;
  let endpointsFile: string;

  before(async () => {
    dir = makeTempDir('pdns-tls');
    pki = makePki(dir);
    pdns = await startPowerDns();
    await pdns.createZone('example.org');
    const api = new URL(pdns.apiUrl);
    front = await startTlsFront(pki, { host: api.hostname, port: Number(api.port) });
    endpointsFile = path.join(dir, 'dnsendpoints.yaml');
    writeFileSync(
      endpointsFile,
      `apiVersion: externaldns.k8s.io/v1alpha1
kind: DNSEndpoint
metadata:
  name: ingress-web
  namespace: team-a
  labels: {multiclusterdns.kubefed.io/record-kind: ingressdnsrecord, multiclusterdns.kubefed.io/record-name: web}
spec:
  endpoints:
  - {dnsName: www.example.org, recordType: A, targets: [192.0.2.1, 192.0.2.2], recordTTL: 60}
`,
    );
  });

  after(async () => {
    await front?.close();
    await pdns?.stop();
    if (dir) removeTempDir(dir);
  });

  const plan = (flags: string[]) =>
    run(process.execPath, [MCDNS_CLI, 'plan', '--provider', 'powerdns', '--pdns-server', `https://127.0.0.1:${front.port}`, '-f', endpointsFile, ...flags], {
      env: { ...process.env, MCDNS_PDNS_API_KEY: pdns.apiKey },
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('reads the zone over https with the CA and a client certificate, and prints the plan as JSON', async () => {
    const r = await plan(['--pdns-tls-ca', pki.ca, '--pdns-tls-client-cert', pki.clientCert, '--pdns-tls-client-cert-key', pki.clientKey, '-o', 'json']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const plans = JSON.parse(r.stdout) as PlanJson[];
    expect(plans.map((p) => p.resource)).to.deep.equal(['ingressdnsrecord/team-a/web']);
    const changes = plans[0]!.zones.flatMap((z) => z.changes.map((c) => `${c.action} ${c.record.type} ${c.record.name} ${c.record.targets.join(',')}`));
    expect(changes).to.include('create A www.example.org 192.0.2.1,192.0.2.2');
    expect(changes.some((c) => c.startsWith('create TXT a-www.example.org'))).to.equal(true);
  });

  it('takes the TLS settings from environment variables too', async () => {
    const r = await run(process.execPath, [MCDNS_CLI, 'plan', '--provider', 'powerdns', '-f', endpointsFile, '--output', 'json'], {
      env: {
        ...process.env,
        MCDNS_PDNS_SERVER: `https://127.0.0.1:${front.port}`,
        MCDNS_PDNS_API_KEY: pdns.apiKey,
        MCDNS_PDNS_TLS_CA: pki.ca,
        MCDNS_PDNS_TLS_CLIENT_CERT: pki.clientCert,
        MCDNS_PDNS_TLS_CLIENT_CERT_KEY: pki.clientKey,
      },
    });
    expect((JSON.parse(r.stdout) as PlanJson[]).length).to.equal(1);
  });

  it('fails with exit code 2 and the TLS reason when the server is not trusted, and never prints the key', async () => {
    const r = await plan(['--pdns-tls-client-cert', pki.clientCert, '--pdns-tls-client-cert-key', pki.clientKey]);
    expect(r.code).to.equal(2);
    expect(r.stdout + r.stderr).to.match(/cannot read powerdns: .*(certificate|self.signed|issuer)/i);
    expect(r.stdout + r.stderr).not.to.contain(pdns.apiKey);
  });

  it('is refused by a server that requires a client certificate when none is given', async () => {
    const before = front.refused;
    const r = await plan(['--pdns-tls-ca', pki.ca]);
    expect(r.code).to.equal(2);
    expect(r.stdout + r.stderr).to.match(/cannot read powerdns/);
    expect(front.refused).to.be.greaterThan(before);
  });

  it('rejects a client certificate without its key before connecting', async () => {
    const r = await plan(['--pdns-tls-ca', pki.ca, '--pdns-tls-client-cert', pki.clientCert]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('--pdns-tls-client-cert and --pdns-tls-client-cert-key go together');
  });
});
