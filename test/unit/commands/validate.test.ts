import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { validateFiles } from '../../../src/commands/validate.js';
import { MCDNS_CLI } from '../../env/mcdns.js';

const run = promisify(execFile);
const cli = MCDNS_CLI;

describe('mcdns validate', () => {
  it('accepts the seed IngressDNSRecord and the KubeFed ServiceDNSRecord + Domain samples', () => {
    const report = validateFiles(['manifests/samples/ingressdnsrecord.yaml', 'manifests/samples/servicednsrecord.yaml']);
    expect(report).to.deep.include({ valid: 3, invalid: 0 });
  });

  it('reports every broken document of a multi-document file as file: Kind/name: field: problem', () => {
    const report = validateFiles(['test/fixtures/broken-records.yaml']);
    expect(report.invalid).to.equal(3);
    expect(report.lines).to.deep.equal([
      'test/fixtures/broken-records.yaml: IngressDNSRecord/bad-host: spec.hosts[1]: "Hello_World.example.org" is not valid: must be a lower-case DNS name of RFC 1123 labels (the first at most 57 characters, the others 63, 247 in all), optionally starting with the whole label "*", not an IP address',
      'test/fixtures/broken-records.yaml: IngressDNSRecord/bad-ttl: spec.recordTTL: -1 is out of range: must be >= 0',
      'test/fixtures/broken-records.yaml: ServiceDNSRecord/no-domain-ref: spec.domainRef: required field is missing',
    ]);
  });

  it('ignores other kinds in the same file and reports YAML syntax errors with the document number', () => {
    const files: Record<string, string> = {
      'mixed.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: fed-namespace}\n---\n',
      'broken.yaml': 'kind: [unclosed\n',
    };
    const report = validateFiles(Object.keys(files), (f) => files[f] as string);
    expect(report.ignored).to.equal(1);
    expect(report.lines).to.have.length(1);
    expect(report.lines[0]).to.match(/^broken\.yaml: document 1: YAML error: /);
  });

  it('exits 0 for valid files and 1 with the problems on stdout for invalid ones (built CLI)', async () => {
    const ok = await run('node', [cli, 'validate', 'manifests/samples/ingressdnsrecord.yaml']);
    expect(ok.stderr).to.contain('1 valid, 0 invalid');
    const bad = await run('node', [cli, 'validate', 'test/fixtures/broken-records.yaml']).then(
      () => undefined,
      (err: { code: number; stdout: string }) => err,
    );
    expect(bad?.code).to.equal(1);
    expect(bad?.stdout).to.contain('IngressDNSRecord/bad-host: spec.hosts[1]');
  });

  it('lists run and validate in --help', async () => {
    const { stdout } = await run('node', [cli, '--help']);
    expect(stdout).to.match(/\brun\b/).and.match(/\bvalidate\b/);
  });
});
