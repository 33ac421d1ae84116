// The shared table of hostile inputs (test/fixtures/hostile-records.yaml): `mcdns validate`
// gives every case the verdict its annotation states. The end-to-end twin of this test applies
// the same table to a real API server with the generated CRDs.
import { expect } from 'chai';
import { HOSTILE, hostileCases } from '../../fixtures/hostile.js';
import { formatProblems, validateObject } from '../../../src/api/validate.js';
import { validateFiles } from '../../../src/commands/validate.js';

describe('mcdns validate: the table of hostile inputs', () => {
  const cases = hostileCases();

  it('has both verdicts, and every case says which it expects', () => {
    expect(cases.filter((c) => c.expect === 'valid').length).to.be.at.least(5);
    expect(cases.filter((c) => c.expect === 'invalid').length).to.be.at.least(20);
    expect(cases.every((c) => c.expect === 'valid' || c.expect === 'invalid')).to.equal(true);
  });

  for (const c of cases) {
    it(`${c.kind}/${c.name.slice(0, 40)}: ${c.expect}`, () => {
      const problems = validateObject(c.object);
      if (c.expect === 'valid') expect(formatProblems(problems)).to.equal('');
      else expect(problems, 'a problem naming the field').to.not.deep.equal([]);
      // The command reads the document as written, and agrees.
      const report = validateFiles(['case.yaml'], () => c.text);
      expect(report.valid + report.invalid, 'one object').to.equal(1);
      expect(report.valid === 1 ? 'valid' : 'invalid').to.equal(c.expect);
    });
  }

  it('counts the same through the command, file by file', () => {
    const report = validateFiles([HOSTILE]);
    expect(report).to.deep.include({
      valid: cases.filter((c) => c.expect === 'valid').length,
      invalid: cases.filter((c) => c.expect === 'invalid').length,
    });
  });

  it('names the field and the reason for the cases an admin meets most', () => {
    const lines = validateFiles([HOSTILE]).lines.join('\n');
    expect(lines).to.contain('IngressDNSRecord/ip-host: spec.hosts[0]: "192.0.2.1" is not valid: must be a host name, not an IP address');
    expect(lines).to.contain('IngressDNSRecord/label-63: spec.hosts[0]: ');
    expect(lines).to.contain('IngressDNSRecord/unknown-spec-field: spec.hostz: unknown field');
    expect(lines).to.contain('IngressDNSRecord/unknown-top-field: specs: unknown field');
    expect(lines).to.contain('IngressDNSRecord/path-crlf: spec.healthCheck.path: ');
    expect(lines).to.contain('ServiceDNSRecord/external-63: spec.externalName: ');
    expect(lines).to.contain(`ServiceDNSRecord/${'a'.repeat(60)}: without spec.externalName the record's name is the first label`);
    expect(lines).to.contain('IngressDNSRecord/probe-host-foreign: spec: healthCheck.host must be one of spec.hosts');
    expect(lines).to.contain('IngressDNSRecord/yaml11-on-host: spec.hosts[0]: must be string: read as true (YAML 1.1, as kubectl and the API server read it; a YAML 1.2 reader reads "on")');
  });

  it('reads YAML 1.1 scalars as kubectl does, and notes each value a YAML 1.2 reader would read otherwise', () => {
    const report = validateFiles([HOSTILE]);
    expect(report.notes).to.include('test/fixtures/hostile-records.yaml: IngressDNSRecord/yaml11-octal: spec.healthCheck.port: read as 8 (YAML 1.1, as kubectl and the API server read it; a YAML 1.2 reader reads 10): quote it or write it as you mean it');
    expect(report.notes).to.include('test/fixtures/hostile-records.yaml: IngressDNSRecord/yaml11-yes: spec.healthCheck.insecureSkipVerify: read as true (YAML 1.1, as kubectl and the API server read it; a YAML 1.2 reader reads "yes"): quote it or write it as you mean it');
    const octal = hostileCases().find((c) => c.name === 'yaml11-0o-octal');
    expect((octal?.object.spec as { healthCheck: { port: unknown } }).healthCheck.port).to.equal(8);
    const date = hostileCases().find((c) => c.name === 'yaml11-date-host');
    expect((date?.object.spec as { hosts: unknown[] }).hosts).to.deep.equal(['2001-12-14']);
  });
});
