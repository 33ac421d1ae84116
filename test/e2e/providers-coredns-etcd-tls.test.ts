// `mcdns plan` (the built CLI) against a real etcd that serves TLS only and requires a client
// certificate, as production etcd clusters do: --etcd-ca-file trusts the server,
// --etcd-cert-file/--etcd-key-file authenticate mcdns.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../env/ports.js';
import { ManagedProcess, makeTempDir, removeTempDir, waitUntil } from '../env/process.js';
import { bins } from '../env/tools.js';
import { makePki, type TestPki } from '../providers/tls.js';
import { MCDNS_CLI } from '../env/mcdns.js';

const run = promisify(execFile);

describe('providers: CoreDNS-etcd over TLS (mcdns plan, real etcd with client-certificate auth)', function () {
  this.timeout(60_000);
  let etcd: ManagedProcess;
  let pki: TestPki;
  let dir: string;
  let url: string;

  before(async () => {
    dir = makeTempDir('etcd-tls');
    pki = makePki(dir);
    const clientPort = await freePort();
    const peerPort = await freePort();
    url = `https://127.0.0.1:${clientPort}`;
    const peer = `http://127.0.0.1:${peerPort}`;
    etcd = ManagedProcess.start({
      name: 'etcd (TLS)',
      command: bins.etcd(),
      args: [
        '--name=default',
        `--data-dir=${path.join(dir, 'data')}`,
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=default=${peer}`,
        `--cert-file=${pki.serverCert}`,
        `--key-file=${pki.serverKey}`,
        `--trusted-ca-file=${pki.ca}`,
        '--client-cert-auth',
      ],
      logFile: path.join(dir, 'etcd.log'),
      cwd: dir,
    });
    await waitUntil('etcd over TLS', async () => (await plan(tlsFlags())).code === 0, { timeoutMs: 30_000 });
  });

  after(async () => {
    await etcd?.stop();
    if (dir) removeTempDir(dir);
  });

  const tlsFlags = () => ['--etcd-ca-file', pki.ca, '--etcd-cert-file', pki.clientCert, '--etcd-key-file', pki.clientKey];
  const plan = (flags: string[]) => {
    const file = path.join(dir, 'dnsendpoints.yaml');
    writeFileSync(
      file,
      'apiVersion: externaldns.k8s.io/v1alpha1\nkind: DNSEndpoint\nmetadata: {name: ingress-web, namespace: team-a}\n' +
        'spec:\n  endpoints:\n  - {dnsName: www.example.org, recordType: A, targets: [192.0.2.1], recordTTL: 60}\n',
    );
    return run(
      process.execPath,
      [MCDNS_CLI, 'plan', '--provider', 'coredns-etcd', '--etcd-endpoints', url, '--coredns-zones', 'example.org', '--provider-timeout', '3s', '-f', file, ...flags],
      { env: { ...process.env } },
    ).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );
  };

  it('reads the zone over TLS with the CA and a client certificate and plans the record', async () => {
    const r = await plan([...tlsFlags(), '-o', 'json']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const changes = (JSON.parse(r.stdout) as Array<{ zones: Array<{ changes: Array<{ action: string; record: { name: string; type: string } }> }> }>)
      .flatMap((p) => p.zones.flatMap((z) => z.changes.map((c) => `${c.action} ${c.record.type} ${c.record.name}`)));
    expect(changes).to.include('create A www.example.org');
  });

  it('fails with exit code 2 when etcd is not given a client certificate', async () => {
    const r = await plan(['--etcd-ca-file', pki.ca]);
    expect(r.code).to.equal(2);
    expect(r.stdout + r.stderr).to.contain('cannot read coredns-etcd');
  });

  it('refuses a client certificate without the CA before connecting', async () => {
    const r = await plan(['--etcd-cert-file', pki.clientCert, '--etcd-key-file', pki.clientKey]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('--etcd-cert-file needs --etcd-ca-file');
  });
});
