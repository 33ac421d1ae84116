import { expect } from 'chai';
import { domainOf, fitsInDns, isDnsLabel, servicePrefix, serviceNames } from '../../../src/core/service-names.js';
import { domainObject, serviceRecord } from './fixtures.js';

describe('ServiceDNSRecord names (KubeFed / federation v1)', () => {
  const names = serviceNames(serviceRecord('nginx'), 'example.com');

  it('prefixes every name with <service>.<namespace>.<domainRef>.svc', () => {
    expect(names.prefix).to.equal('nginx.fed-namespace.galactic.svc');
  });

  it('names the global record <prefix>.<domain>', () => {
    expect(names.global).to.equal('nginx.fed-namespace.galactic.svc.example.com');
  });

  it('names a regional record <prefix>.<region>.<domain>', () => {
    expect(names.regional('eu-west-1')).to.equal('nginx.fed-namespace.galactic.svc.eu-west-1.example.com');
  });

  it('names a zonal record <prefix>.<zone>.<region>.<domain>', () => {
    expect(names.zonal('eu-west-1a', 'eu-west-1')).to.equal('nginx.fed-namespace.galactic.svc.eu-west-1a.eu-west-1.example.com');
  });

  it('uses externalName in place of the Service name', () => {
    const prefix = servicePrefix(serviceRecord('nginx', { externalName: 'web' }));
    expect(prefix).to.equal('web.fed-namespace.galactic.svc');
  });

  it('adds <dnsPrefix>.<domain> when dnsPrefix is set, and nothing otherwise', () => {
    expect(serviceNames(serviceRecord('nginx', { dnsPrefix: 'www' }), 'example.com').alias).to.equal('www.example.com');
    expect(names.alias).to.equal(undefined);
  });

  it('lower-cases every part and adds no trailing dot', () => {
    const upper = serviceNames(serviceRecord('nginx', { domainRef: 'Galactic' }), 'Example.COM.');
    expect(upper.global).to.equal('nginx.fed-namespace.galactic.svc.example.com');
    expect(upper.zonal('EU1', 'EU')).to.equal('nginx.fed-namespace.galactic.svc.eu1.eu.example.com');
  });

  it("takes the domain from the Domain object's domain field, without its trailing dot", () => {
    expect(domainOf(domainObject('example.com.'))).to.equal('example.com');
    expect(domainOf(domainObject('Example.ORG'))).to.equal('example.org');
  });
});

describe('DNS name limits', () => {
  it('accepts lower-case RFC 1123 labels as regions and zones', () => {
    expect(isDnsLabel('us-east-1')).to.equal(true);
    expect(isDnsLabel('us_east')).to.equal(false);
    expect(isDnsLabel('-us')).to.equal(false);
    expect(isDnsLabel('x'.repeat(64))).to.equal(false);
  });

  it('accepts names up to 253 characters and rejects longer ones or labels over 63', () => {
    expect(fitsInDns('www.example.org')).to.equal(true);
    expect(fitsInDns(`${'a'.repeat(64)}.example.org`)).to.equal(false);
    expect(fitsInDns(`${'abcdefghi.'.repeat(25)}org`)).to.equal(true);
    expect(fitsInDns(`${'abcdefghi.'.repeat(26)}org`)).to.equal(false);
  });
});
