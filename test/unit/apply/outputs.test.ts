// Honest verdicts of the direct outputs: a name written nowhere is never "Published".
import { expect } from 'chai';
import winston from 'winston';
import { DirectOutputs } from '../../../src/apply/outputs.js';
import { ownershipConfig } from '../../../src/plan/ownership.js';
import { ProviderSink } from '../../../src/apply/sink.js';
import { MemoryProvider } from '../providers/memory-provider.js';

const key = { kind: 'IngressDNSRecord' as const, namespace: 'web', name: 'shop' };
const endpoints = [
  { dnsName: 'shop.example.org', recordType: 'A', targets: ['192.0.2.1'], recordTTL: 60 },
  { dnsName: 'shop.elsewhere.test', recordType: 'A', targets: ['192.0.2.1'], recordTTL: 60 },
];

function outputs() {
  const provider = new MemoryProvider(['example.org']);
  const sink = new ProviderSink({ provider, ownership: ownershipConfig({ ownerId: 'mcdns' }), policy: 'sync', log: winston.createLogger({ silent: true }) });
  return { provider, direct: new DirectOutputs([{ name: 'memory', sink }]) };
}

describe('direct outputs: names in no managed zone', () => {
  it('with DNSEndpoints off, says which names are published nowhere (NoZone) and still writes the others', async () => {
    const { provider, direct } = outputs();
    const outcome = await direct.publish(key, endpoints, { only: true });
    expect(outcome.failure).to.deep.equal({
      status: 'False',
      reason: 'NoZone',
      message: 'shop.elsewhere.test: in no zone of any configured DNS provider, and DNSEndpoints are off: published nowhere',
    });
    expect(outcome.retry).to.equal(false);
    expect(provider.list('example.org')).to.include('A shop.example.org 192.0.2.1');
  });

  it('with DNSEndpoints on, leaves such names to ExternalDNS without a complaint', async () => {
    const { direct } = outputs();
    expect((await direct.publish(key, endpoints)).failure).to.equal(undefined);
  });
});
