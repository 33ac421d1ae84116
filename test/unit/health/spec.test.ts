import { expect } from 'chai';
import { describeStatusRanges, parseStatusRange, resolveHealthCheck, statusAccepted } from '../../../src/health/spec.js';
import { healthCheckProblems } from '../../../src/health/spec.js';
import { validateObject } from '../../../src/api/validate.js';
import { ingressRecord } from '../core/fixtures.js';

describe('health check spec', () => {
  it('applies the defaults: http on port 80, path /, 200-399, every 5 s, timeout 3 s, 3 failures, 2 successes, TLS verified', () => {
    expect(resolveHealthCheck({})).to.deep.equal({
      protocol: 'http',
      port: 80,
      path: '/',
      expectedStatus: [{ from: 200, to: 399 }],
      intervalMs: 5_000,
      timeoutMs: 3_000,
      failureThreshold: 3,
      successThreshold: 2,
      insecureSkipVerify: false,
    });
  });

  it('defaults https to port 443 and keeps what is given', () => {
    const r = resolveHealthCheck({ protocol: 'https', host: 'web.example.org', expectedStatus: ['204', '301-302'], failureThreshold: 1, insecureSkipVerify: true });
    expect(r).to.include({ protocol: 'https', port: 443, host: 'web.example.org', failureThreshold: 1, insecureSkipVerify: true });
    expect(r.expectedStatus).to.deep.equal([{ from: 204, to: 204 }, { from: 301, to: 302 }]);
  });

  it('never lets a probe outlast its interval', () => {
    expect(resolveHealthCheck({ intervalSeconds: 1, timeoutSeconds: 10 })).to.include({ intervalMs: 1_000, timeoutMs: 1_000 });
  });

  it('parses codes and ranges, puts reversed ranges in order, rejects anything else', () => {
    expect(parseStatusRange('399-200')).to.deep.equal({ from: 200, to: 399 });
    expect(() => parseStatusRange('2xx')).to.throw(/not an HTTP status code or range/);
    expect(statusAccepted(302, [parseStatusRange('200'), parseStatusRange('300-399')])).to.equal(true);
    expect(statusAccepted(404, [parseStatusRange('200-399')])).to.equal(false);
    expect(describeStatusRanges([parseStatusRange('200'), parseStatusRange('300-399')])).to.equal('200, 300-399');
  });

  it('is validated by the record schema: a KubeFed record without it stays valid, a bad field is named', () => {
    expect(validateObject(ingressRecord('shop', ['shop.example.org']))).to.deep.equal([]);
    const record = ingressRecord('shop', ['shop.example.org']);
    const bad = { ...record, spec: { ...record.spec, healthCheck: { protocol: 'udp', port: 0, expectedStatus: ['2xx'] }, strategy: 'random' } };
    const paths = validateObject(bad).map((p) => p.path);
    expect(paths).to.include.members(['spec.healthCheck.protocol', 'spec.healthCheck.port', 'spec.healthCheck.expectedStatus[0]', 'spec.strategy']);
  });

  it('accepts region-preferred only on ServiceDNSRecord', () => {
    const ingress = ingressRecord('shop', ['shop.example.org']);
    expect(validateObject({ ...ingress, spec: { ...ingress.spec, strategy: 'region-preferred' } }).map((p) => p.path)).to.include('spec.strategy');
    const service = {
      apiVersion: 'multiclusterdns.kubefed.io/v1alpha1',
      kind: 'ServiceDNSRecord',
      metadata: { name: 'nginx', namespace: 'ns' },
      spec: { domainRef: 'galactic', strategy: 'region-preferred', failoverPriority: ['a'], healthCheck: { protocol: 'tcp', port: 5432 } },
    };
    expect(validateObject(service)).to.deep.equal([]);
  });

  it('accepts as Host only one of the record\'s own names, and no path that cannot be sent', () => {
    const names = ['shop.example.org', 'www.example.org'];
    expect(healthCheckProblems({ host: 'WWW.example.org.' }, names)).to.deep.equal([]);
    expect(healthCheckProblems({ host: 'admin.other-team.example.org' }, names)).to.deep.equal([
      { path: 'spec.healthCheck.host', message: '"admin.other-team.example.org" is not one of the record\'s own names (shop.example.org, www.example.org)' },
    ]);
    expect(healthCheckProblems({ path: '/a b' }, names)[0]?.path).to.equal('spec.healthCheck.path');
    expect(healthCheckProblems({ path: '/x\r\nHost: evil' }, names)[0]?.message).to.match(/cannot be sent/);
    expect(healthCheckProblems({ path: '/healthz?deep=1&x=%20' }, names)).to.deep.equal([]);
  });
});
