import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { fieldPath, formatProblems, validateObject } from '../../../src/api/validate.js';
import { MAX_HOSTS } from '../../../src/api/schema.js';

const record = (spec: Record<string, unknown>, kind = 'IngressDNSRecord') => ({
  apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
  kind,
  metadata: { name: 'r', namespace: 'ns' },
  spec,
});

describe('record validation', () => {
  it('accepts the seed IngressDNSRecord as written in the KubeFed guide', () => {
    const seed: unknown = parse(readFileSync('manifests/samples/ingressdnsrecord.yaml', 'utf8'));
    expect(validateObject(seed)).to.deep.equal([]);
  });

  it('names the exact host that is not a DNS name', () => {
    const problems = validateObject(record({ hosts: ['ok.example.org', 'Bad_Host.example.org'] }));
    expect(problems).to.have.length(1);
    expect(problems[0]?.path).to.equal('spec.hosts[1]');
    expect(problems[0]?.message).to.contain('"Bad_Host.example.org" is not valid').and.contain('DNS name');
  });

  it('accepts wildcard hosts and rejects labels longer than 63 characters', () => {
    expect(validateObject(record({ hosts: ['*.apps.example.org'] }))).to.deep.equal([]);
    const long = `${'a'.repeat(64)}.example.org`;
    expect(validateObject(record({ hosts: [long] }))[0]?.path).to.equal('spec.hosts[0]');
  });

  it('rejects a TTL below zero or above 2^31-1', () => {
    expect(formatProblems(validateObject(record({ hosts: ['a.example.org'], recordTTL: -1 })))).to.match(/^spec\.recordTTL: -1 is out of range/);
    expect(validateObject(record({ hosts: ['a.example.org'], recordTTL: 2 ** 31 }))[0]?.path).to.equal('spec.recordTTL');
    expect(validateObject(record({ hosts: ['a.example.org'], recordTTL: 0 }))).to.deep.equal([]);
  });

  it(`rejects more than ${MAX_HOSTS} hosts`, () => {
    const hosts = Array.from({ length: MAX_HOSTS + 1 }, (_, i) => `h${i}.example.org`);
    expect(formatProblems(validateObject(record({ hosts })))).to.contain('spec.hosts: must NOT have more than 100 items');
  });

  it('requires domainRef on a ServiceDNSRecord', () => {
    expect(formatProblems(validateObject(record({ recordTTL: 60 }, 'ServiceDNSRecord')))).to.equal(
      'spec.domainRef: required field is missing',
    );
  });

  it('requires the domain of a Domain, which has no spec (KubeFed layout)', () => {
    const domain = { apiVersion: 'multiclusterdns.kubefed.io/v1alpha1', kind: 'Domain', metadata: { name: 'd' } };
    expect(formatProblems(validateObject(domain))).to.equal('domain: required field is missing');
    expect(validateObject({ ...domain, domain: 'example.org', nameServer: 'ns1.example.org' })).to.deep.equal([]);
  });

  it('says which kinds it knows when given another one', () => {
    const problems = validateObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    expect(problems[0]?.message).to.contain('IngressDNSRecord');
  });

  it('writes JSON pointers as field paths admins recognise', () => {
    expect(fieldPath('/spec/hosts/3')).to.equal('spec.hosts[3]');
    expect(fieldPath('/spec', 'domainRef')).to.equal('spec.domainRef');
  });
});
