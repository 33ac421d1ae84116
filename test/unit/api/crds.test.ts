import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { allKinds, DNSEndpointKind, IngressDNSRecordKind, LegacyDNSEndpointKind } from '../../../src/api/kinds.js';
import { crdFileName, crdFor } from '../../../src/api/crds.js';
import { crdYaml } from '../../../src/api/write-crds.js';

type Json = Record<string, any>;

describe('CRDs generated from the schemas', () => {
  for (const def of allKinds) {
    it(`manifests/crds/${crdFileName(def)} is what \`npm run manifests\` writes`, () => {
      expect(readFileSync(`manifests/crds/${crdFileName(def)}`, 'utf8')).to.equal(crdYaml(def));
    });
  }

  it('gives the records a status subresource and printer columns for hosts, targets and readiness', () => {
    const crd = crdFor(IngressDNSRecordKind) as Json;
    const version = crd.spec.versions[0];
    expect(version.subresources).to.deep.equal({ status: {} });
    expect(version.additionalPrinterColumns.map((c: Json) => c.name)).to.include.members(['Hosts', 'Targets', 'Ready']);
  });

  it('keeps the host pattern and TTL range in the structural schema, so the API server rejects bad YAML too', () => {
    const spec = (crdFor(IngressDNSRecordKind) as Json).spec.versions[0].schema.openAPIV3Schema.properties.spec;
    expect(spec.properties.hosts.items.pattern).to.be.a('string');
    expect(spec.properties.recordTTL).to.include({ minimum: 0, maximum: 2147483647, format: 'int64' });
  });

  it('ships the ExternalDNS DNSEndpoint with setIdentifier/providerSpecific and KubeFed\'s without', () => {
    const endpointProps = (def: typeof DNSEndpointKind) =>
      Object.keys((crdFor(def) as Json).spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.endpoints.items.properties);
    expect(endpointProps(DNSEndpointKind)).to.include.members(['setIdentifier', 'providerSpecific', 'recordTTL', 'labels']);
    expect(endpointProps(LegacyDNSEndpointKind)).to.not.include.members(['setIdentifier']);
    expect(endpointProps(LegacyDNSEndpointKind)).to.not.include('providerSpecific');
  });

  it('parses as YAML with the CRD name <plural>.<group>', () => {
    for (const def of allKinds) {
      const crd = parse(crdYaml(def)) as Json;
      expect(crd.metadata.name).to.equal(`${def.plural}.${def.group}`);
    }
  });
});
