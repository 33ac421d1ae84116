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
  });
});
