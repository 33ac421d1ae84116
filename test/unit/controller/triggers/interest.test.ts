// The host's records feed the interest set, and a record that began to want member objects is
// handed to the fan-out once the members have read them; any other change goes at once.
import { expect } from 'chai';
import type { DNSRecord } from '../../../../src/api/schema.js';
import type { HostChange } from '../../../../src/controller/host/host-view.js';
import { recordWants, throughInterest } from '../../../../src/controller/triggers/interest.js';
import { keyOf, type RecordKey } from '../../../../src/core/record-key.js';
import { FleetInterest } from '../../../../src/observe/interest.js';

const ingressRecord = (hosts: unknown): DNSRecord => ({ metadata: { name: 'web', namespace: 'shop' }, spec: { hosts } }) as unknown as DNSRecord;
const serviceRecord = (): DNSRecord => ({ metadata: { name: 'db', namespace: 'shop' }, spec: { domainRef: 'd' } }) as unknown as DNSRecord;

describe('triggers: the records feed the interest set', () => {
  it('an IngressDNSRecord wants its own Ingress and its hosts (normalised), a ServiceDNSRecord its Service', () => {
    expect(recordWants({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'web' }, ingressRecord(['WWW.Example.org.', 'www.example.org']))).to.deep.equal({
      ingress: { namespace: 'shop', name: 'web', hosts: ['www.example.org'] },
    });
    expect(recordWants({ kind: 'IngressDNSRecord', namespace: 'shop', name: 'web' }, ingressRecord('not a list')), 'an invalid spec wants its own Ingress only').to.deep.equal({
      ingress: { namespace: 'shop', name: 'web', hosts: [] },
    });
    expect(recordWants({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'db' }, serviceRecord())).to.deep.equal({ services: ['shop/db'] });
    expect(recordWants({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'db' }, undefined)).to.equal(undefined);
  });

  it('hands a new record to the fan-out once the members have read it; an unchanged one, a deletion and a Domain at once', async () => {
    const interest = new FleetInterest(1000);
    interest.markReady();
    let read: () => void = () => undefined;
    interest.onChange((c) => (c.services.length > 0 ? new Promise<void>((r) => (read = r)) : undefined));
    const records = new Map<string, DNSRecord>();
    const handed: string[] = [];
    const feed = throughInterest(interest, (k: RecordKey) => records.get(keyOf(k)), (c: HostChange) => handed.push(`${c.kind}/${c.name}`));

    records.set('ServiceDNSRecord/shop/db', serviceRecord());
    feed({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'db' });
    await new Promise((r) => setTimeout(r, 10));
    expect(handed, 'waits for the read').to.deep.equal([]);
    read();
    await new Promise((r) => setTimeout(r, 1));
    expect(handed).to.deep.equal(['ServiceDNSRecord/db']);

    feed({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'db' }); // its DNSEndpoint changed: nothing new wanted
    feed({ kind: 'Domain', namespace: 'shop', name: 'd' });
    records.delete('ServiceDNSRecord/shop/db');
    feed({ kind: 'ServiceDNSRecord', namespace: 'shop', name: 'db' });
    expect(handed).to.deep.equal(['ServiceDNSRecord/db', 'ServiceDNSRecord/db', 'Domain/d', 'ServiceDNSRecord/db']);
    expect(interest.wantsService('shop/db')).to.equal(false);
  });
});
