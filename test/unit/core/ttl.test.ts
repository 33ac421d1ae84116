// Which TTL a record's names get: resolvers cache an answer that long, so health-checked names
// get a short one unless the record says otherwise.
import { expect } from 'chai';
import { desiredForIngressRecord } from '../../../src/core/desired-ingress.js';
import { desiredForServiceRecord } from '../../../src/core/desired-service.js';
import { chooseTtl, DEFAULT_HEALTH_CHECKED_TTL } from '../../../src/core/ttl.js';
import { domainObject, ingress, ingressRecord, ip, lbService, online, serviceRecord } from './fixtures.js';

const check = { protocol: 'http' as const, intervalSeconds: 5, failureThreshold: 3 }; // a 15 s detection window

describe('TTL of a record\'s names', () => {
  describe('chooseTtl', () => {
    it('gives KubeFed\'s 180 s to a name nothing health-checks', () => {
      expect(chooseTtl('IngressDNSRecord', {})).to.deep.equal({ ttl: 180 });
      expect(chooseTtl('ServiceDNSRecord', { allowServiceWithoutEndpoints: true })).to.deep.equal({ ttl: 180 });
    });

    it('gives the health-checked TTL (30 s by default) to a record with a healthCheck and no recordTTL', () => {
      expect(DEFAULT_HEALTH_CHECKED_TTL).to.equal(30);
      expect(chooseTtl('IngressDNSRecord', { healthCheck: check })).to.deep.equal({ ttl: 30 });
      expect(chooseTtl('IngressDNSRecord', { healthCheck: check, recordTTL: 0 })).to.deep.equal({ ttl: 30 });
    });

    it('gives it to a ServiceDNSRecord, whose addresses follow its Services\' ready endpoints', () => {
      expect(chooseTtl('ServiceDNSRecord', {})).to.deep.equal({ ttl: 30 });
    });

    it('takes --health-checked-ttl as given, and 0 turns it off', () => {
      expect(chooseTtl('IngressDNSRecord', { healthCheck: check }, 10)).to.deep.equal({ ttl: 10 });
      expect(chooseTtl('ServiceDNSRecord', {}, 0)).to.deep.equal({ ttl: 180 });
    });

    it('lets an explicit recordTTL win, quietly while it is at most 10× the probe detection window', () => {
      expect(chooseTtl('IngressDNSRecord', { healthCheck: check, recordTTL: 150 })).to.deep.equal({ ttl: 150 });
      expect(chooseTtl('ServiceDNSRecord', { recordTTL: 300 })).to.deep.equal({ ttl: 300 });
    });

    it('says so when an explicit recordTTL is more than 10× the probe detection window', () => {
      const choice = chooseTtl('IngressDNSRecord', { healthCheck: check, recordTTL: 300 });
      expect(choice.ttl).to.equal(300);
      expect(choice.note).to.equal(
        'recordTTL 300 s is 20× the 15 s probe detection window: resolvers keep answering with a failed target ' +
          'for up to 300 s after it leaves DNS (unset recordTTL for the health-checked TTL of 30 s, or lower it)',
      );
      const fast = chooseTtl('IngressDNSRecord', { healthCheck: { intervalSeconds: 1, failureThreshold: 3 }, recordTTL: 31 });
      expect(fast.note).to.match(/^recordTTL 31 s is 10× the 3 s probe detection window/);
    });
  });

  describe('on the published endpoints', () => {
    const clusters = [online('member1', { ingresses: [ingress('shop', ['shop.example.org'], [ip('192.0.2.1')])] })];
    const shop = (spec: object) => {
      const r = ingressRecord('shop', ['shop.example.org']);
      return { ...r, spec: { ...r.spec, ...spec } };
    };

    it('puts the chosen TTL on every endpoint of the record', () => {
      expect(desiredForIngressRecord(shop({ healthCheck: check }), clusters).endpoints.map((e) => e.recordTTL)).to.deep.equal([30]);
      expect(desiredForIngressRecord(shop({}), clusters).endpoints.map((e) => e.recordTTL)).to.deep.equal([180]);
      const services = [online('c1', { region: 'eu', zones: ['eu1'], services: [lbService('nginx', [ip('192.0.2.1')])] })];
      const svc = desiredForServiceRecord(serviceRecord('nginx', { dnsPrefix: 'www' }), domainObject('example.com'), services, {
        healthCheckedTtl: 20,
      });
      expect(svc.endpoints.map((e) => e.recordTTL)).to.deep.equal([20, 20, 20, 20]);
    });

    it('keeps Ready=True and adds the slow-TTL note to its message', () => {
      const d = desiredForIngressRecord(shop({ healthCheck: check, recordTTL: 300 }), clusters);
      expect(d.endpoints.map((e) => e.recordTTL)).to.deep.equal([300]);
      expect(d.ready.status).to.equal('True');
      expect(d.ready.reason).to.equal('Published');
      expect(d.ready.message).to.contain('; recordTTL 300 s is 20× the 15 s probe detection window');
    });
  });
});
