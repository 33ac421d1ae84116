import { expect } from 'chai';
import {
  formatOwnership,
  oldFormatTxtNameFor,
  ownershipConfig,
  parseOwnership,
  recordForTxtName,
  resourceId,
  txtNameFor,
} from '../../../src/plan/ownership.js';

describe('providers/ownership: ExternalDNS TXT registry format', () => {
  const plain = ownershipConfig({ ownerId: 'mcdns' });

  describe('content', () => {
    it('is the quoted label list ExternalDNS v0.22 writes: heritage first, then keys sorted', () => {
      expect(formatOwnership({ resource: 'crd/fed-namespace/ingress-x', owner: 'bed' })).to.equal(
        '"heritage=external-dns,external-dns/owner=bed,external-dns/resource=crd/fed-namespace/ingress-x"',
      );
    });

    it('reads back what it writes, with or without the quotes', () => {
      const text = formatOwnership({ owner: 'mcdns', resource: resourceId('IngressDNSRecord', 'ns', 'web') });
      expect(parseOwnership(text)).to.deep.equal({ owner: 'mcdns', resource: 'ingressdnsrecord/ns/web' });
      expect(parseOwnership(text.slice(1, -1))).to.deep.equal({ owner: 'mcdns', resource: 'ingressdnsrecord/ns/web' });
    });

    it('is no registry entry without heritage=external-dns, or with another heritage', () => {
      expect(parseOwnership('"v=spf1 -all"')).to.equal(undefined);
      expect(parseOwnership('"external-dns/owner=x"')).to.equal(undefined);
      expect(parseOwnership('"heritage=other,external-dns/owner=x"')).to.equal(undefined);
    });

    it('keeps an entry without owner as a registry entry with no owner label', () => {
      expect(parseOwnership('"heritage=external-dns"')).to.deep.equal({});
    });

    it('names mcdns resources by lower-case kind, namespace and name', () => {
      expect(resourceId('ServiceDNSRecord', 'default', 'nginx')).to.equal('servicednsrecord/default/nginx');
    });
  });

  describe('TXT names', () => {
    it('puts the lower-case type before the first label (a-, aaaa-, cname-)', () => {
      expect(txtNameFor('helloworld.example.org', 'A', plain)).to.equal('a-helloworld.example.org');
      expect(txtNameFor('www.example.org', 'AAAA', plain)).to.equal('aaaa-www.example.org');
      expect(txtNameFor('www.example.org', 'CNAME', plain)).to.equal('cname-www.example.org');
    });

    it('adds --txt-prefix before the typed first label and --txt-suffix after it', () => {
      expect(txtNameFor('www.example.org', 'A', ownershipConfig({ ownerId: 'o', txtPrefix: 'cname' }))).to.equal('cnamea-www.example.org');
      expect(txtNameFor('www.example.org', 'A', ownershipConfig({ ownerId: 'o', txtPrefix: 'txt.' }))).to.equal('txt.a-www.example.org');
      expect(txtNameFor('www.example.org', 'A', ownershipConfig({ ownerId: 'o', txtSuffix: '-own' }))).to.equal('a-www-own.example.org');
    });

    it('lets %{record_type} in the prefix carry the type, which gives the apex an in-zone TXT', () => {
      const cfg = ownershipConfig({ ownerId: 'o', txtPrefix: '%{record_type}.' });
      expect(txtNameFor('www.example.org', 'CNAME', cfg)).to.equal('cname.www.example.org');
      expect(txtNameFor('example.org', 'A', cfg)).to.equal('a.example.org');
      // Without it the apex TXT leaves the zone, as in ExternalDNS (upstream #449).
      expect(txtNameFor('example.org', 'A', plain)).to.equal('a-example.org');
    });

    it('keeps a wildcard label unless --txt-wildcard-replacement is given', () => {
      expect(txtNameFor('*.apps.example.org', 'A', plain)).to.equal('a-*.apps.example.org');
      const cfg = ownershipConfig({ ownerId: 'o', wildcardReplacement: 'wildcard' });
      expect(txtNameFor('*.apps.example.org', 'A', cfg)).to.equal('a-wildcard.apps.example.org');
    });

    it('knows the old-format name (no type), which is only ever read', () => {
      expect(oldFormatTxtNameFor('www.example.org', plain)).to.equal('www.example.org');
      expect(oldFormatTxtNameFor('www.example.org', ownershipConfig({ ownerId: 'o', txtPrefix: 'cname' }))).to.equal('cnamewww.example.org');
    });

    it('maps a TXT name back to the record it stands for', () => {
      expect(recordForTxtName('a-www.example.org', plain)).to.deep.equal({ name: 'www.example.org', type: 'A' });
      expect(recordForTxtName('cname-api.example.org', plain)).to.deep.equal({ name: 'api.example.org', type: 'CNAME' });
      expect(recordForTxtName('www.example.org', plain)).to.deep.equal({ name: 'www.example.org' });
      const suffix = ownershipConfig({ ownerId: 'o', txtSuffix: '-own' });
      expect(recordForTxtName(txtNameFor('www.example.org', 'AAAA', suffix), suffix)).to.deep.equal({ name: 'www.example.org', type: 'AAAA' });
      const tmpl = ownershipConfig({ ownerId: 'o', txtPrefix: '%{record_type}.' });
      expect(recordForTxtName('aaaa.www.example.org', tmpl)).to.deep.equal({ name: 'www.example.org', type: 'AAAA' });
      const prefix = ownershipConfig({ ownerId: 'o', txtPrefix: 'p-' });
      expect(recordForTxtName('a-www.example.org', prefix)).to.equal(undefined);
    });
  });

  describe('configuration', () => {
    it('defaults the owner id to mcdns', () => {
      expect(ownershipConfig().ownerId).to.equal('mcdns');
    });

    it('rejects prefix and suffix together, an empty owner id and separators in it', () => {
      expect(() => ownershipConfig({ txtPrefix: 'a', txtSuffix: 'b' })).to.throw(/mutually exclusive/);
      expect(() => ownershipConfig({ ownerId: ' ' })).to.throw(/must not be empty/);
      expect(() => ownershipConfig({ ownerId: 'a,b' })).to.throw(/must not contain/);
    });
  });
});
