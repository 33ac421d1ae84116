// The interest set: which member objects records (and kept Ingresses) want, what began and ceased
// to be wanted with each change, and how long a record waits for the members' reads.
import { expect } from 'chai';
import { FleetInterest, Wants, type InterestChange } from '../../../src/observe/interest.js';

describe('interest: Wants', () => {
  it('says which keys began and ceased to be wanted, counting every referrer', () => {
    const w = new Wants();
    expect(w.refer('Ingress/shop/web', ['shop/app', 'shop/api'])).to.deep.equal({ grown: ['shop/app', 'shop/api'], shrunk: [] });
    expect(w.refer('HTTPRoute/shop/r', ['shop/app'])).to.deep.equal({ grown: [], shrunk: [] });
    expect(w.refer('Ingress/shop/web', ['shop/api'])).to.deep.equal({ grown: [], shrunk: [] });
    expect(w.has('shop/app'), 'the route still wants it').to.equal(true);
    expect(w.refer('HTTPRoute/shop/r', [])).to.deep.equal({ grown: [], shrunk: ['shop/app'] });
    expect(w.refer('Ingress/shop/web', [])).to.deep.equal({ grown: [], shrunk: ['shop/api'] });
    expect(w.size).to.equal(0);
  });
});

describe('interest: FleetInterest', () => {
  const web = { ingress: { namespace: 'shop', name: 'web', hosts: ['www.example.org'] } };

  it("wants a record's own Ingress, and those of its namespace listing its hosts, in any case and without a trailing dot", () => {
    const f = new FleetInterest();
    void f.refer('IngressDNSRecord/shop/web', web);
    expect(f.wantsIngress('shop', 'web', [])).to.equal(true);
    expect(f.wantsIngress('shop', 'other', ['WWW.example.org.'])).to.equal(true);
    expect(f.wantsIngress('else', 'other', ['www.example.org']), 'another namespace').to.equal(false);
    expect(f.wantsNamedIngress('shop', 'other')).to.equal(false);
    void f.refer('ServiceDNSRecord/shop/db', { services: ['shop/db'] });
    expect(f.wantsService('shop/db')).to.equal(true);
    void f.refer('ServiceDNSRecord/shop/db', undefined);
    expect(f.wantsService('shop/db')).to.equal(false);
  });

  it('tells the members nothing before every record is known: their first lists, held back until then, will hold it', () => {
    const f = new FleetInterest();
    const seen: InterestChange[] = [];
    f.onChange((c) => void seen.push(c));
    expect(f.refer('IngressDNSRecord/shop/web', web)).to.equal(undefined);
    expect(seen).to.deep.equal([]);
    expect(f.wantsIngress('shop', 'web', []), 'but it is wanted').to.equal(true);
  });

  it('tells the members what began and ceased to be wanted, and nothing when nothing did', () => {
    const f = new FleetInterest();
    f.markReady();
    const seen: InterestChange[] = [];
    f.onChange((c) => void seen.push(c));
    void f.refer('IngressDNSRecord/shop/web', web);
    void f.refer('IngressDNSRecord/shop/web', web);
    void f.refer('IngressDNSRecord/shop/web', { ingress: { ...web.ingress, hosts: ['www.example.org', 'shop.example.org'] } });
    void f.refer('IngressDNSRecord/shop/web', undefined);
    expect(seen).to.deep.equal([
      { ingresses: [{ namespace: 'shop', name: 'web', named: true, hosts: ['www.example.org'] }], services: [], ingressNamespacesShrunk: [], servicesShrunk: [] },
      { ingresses: [{ namespace: 'shop', name: 'web', named: false, hosts: ['shop.example.org'] }], services: [], ingressNamespacesShrunk: [], servicesShrunk: [] },
      { ingresses: [], services: [], ingressNamespacesShrunk: ['shop'], servicesShrunk: [] },
    ]);
  });

  it("resolves a record's change once the members have read what it began to want, or after its wait at the latest", async () => {
    const f = new FleetInterest(50);
    f.markReady();
    let finish: () => void = () => undefined;
    f.onChange(() => new Promise<void>((r) => (finish = r)));
    let done = false;
    void f.refer('ServiceDNSRecord/shop/db', { services: ['shop/db'] })!.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(done).to.equal(false);
    finish();
    await new Promise((r) => setTimeout(r, 1));
    expect(done).to.equal(true);

    f.onChange(() => new Promise<void>(() => undefined)); // a member that never answers
    const waited = f.refer('ServiceDNSRecord/shop/api', { services: ['shop/api'] });
    expect(waited).not.to.equal(undefined);
    await waited; // resolves at the 50 ms wait
    expect(f.refer('ServiceDNSRecord/shop/api', undefined), 'nothing to read when interest only shrinks').to.equal(undefined);
  });

  it('is ready once the records are known, and says so to whoever waited', async () => {
    const f = new FleetInterest();
    let ready = false;
    void f.whenReady().then(() => (ready = true));
    expect(f.ready).to.equal(false);
    f.markReady();
    await Promise.resolve();
    expect(ready).to.equal(true);
  });
});
