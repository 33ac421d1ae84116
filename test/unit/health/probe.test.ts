// One probe against real local servers: HTTP, HTTPS (certificates made by openssl in the test)
// and TCP, each on a 127.0.0.0/8 address, started and stopped to simulate failure.
import { expect } from 'chai';
import { probeFailure, runProbe, type ProbeRequest } from '../../../src/health/probe.js';
import { parseStatusRange } from '../../../src/health/spec.js';
import { makeTestPki, startLoadBalancers, type FakeLoadBalancer, type TestPki } from '../../env/fake-lb.js';

function request(lb: FakeLoadBalancer, parts: Partial<ProbeRequest> = {}): ProbeRequest {
  return {
    address: lb.address,
    protocol: lb.kind,
    port: lb.port,
    path: '/',
    expectedStatus: [parseStatusRange('200-399')],
    timeoutMs: 5_000,
    insecureSkipVerify: false,
    ...parts,
  };
}

describe('health probe: http', () => {
  let lb: FakeLoadBalancer;
  beforeEach(async () => {
    [lb] = (await startLoadBalancers(['127.0.0.11'])) as [FakeLoadBalancer];
  });
  afterEach(() => lb.down());

  it('succeeds on a 2xx answer and reports the status code', async () => {
    const outcome = await runProbe(request(lb));
    expect(outcome).to.include({ ok: true, statusCode: 200 });
    expect(outcome.error).to.equal(undefined);
  });

  it('sends the path and the Host header it is given, and the address with its port by default', async () => {
    await runProbe(request(lb, { path: '/healthz?deep=1', hostHeader: 'shop.example.org' }));
    await runProbe(request(lb));
    expect(lb.seen).to.deep.equal([
      { host: `shop.example.org:${lb.port}`, path: '/healthz?deep=1' },
      { host: `127.0.0.11:${lb.port}`, path: '/' },
    ]);
  });

  it('fails on a status outside expectedStatus, telling the status class only (the exact code stays in the outcome, for logs)', async () => {
    lb.mode = 'error';
    const outcome = await runProbe(request(lb));
    expect(outcome).to.include({ ok: false, statusCode: 503, error: 'HTTP 5xx (expected 200-399)' });
    lb.errorStatus = 401;
    expect((await runProbe(request(lb))).error).to.equal('HTTP 4xx (expected 200-399)');
  });

  it('never puts a response body or a raw socket message in the error', async () => {
    lb.mode = 'error';
    lb.errorStatus = 500;
    const outcome = await runProbe(request(lb));
    expect(outcome.error).to.equal('HTTP 5xx (expected 200-399)');
    expect(probeFailure(Object.assign(new Error('write EPROTO 1234:error:0A00010B:SSL routines'), { code: 'EPROTO' }), lb)).to.equal('connection failed');
    expect(probeFailure(Object.assign(new Error('secret detail'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }), lb)).to.equal('TLS: handshake failed');
    expect(probeFailure(new Error('something odd inside'), lb)).to.equal('connection failed');
  });

  it('reports a request Node cannot send as a failed probe, not an exception', async () => {
    const outcome = await runProbe(request(lb, { path: '/a b' }));
    expect(outcome).to.include({ ok: false, error: 'probe could not be sent (invalid request)' });
    expect(lb.requests).to.equal(0);
  });

  it('accepts exactly the configured codes and ranges', async () => {
    lb.mode = 'error';
    lb.errorStatus = 418;
    expect((await runProbe(request(lb, { expectedStatus: [parseStatusRange('418')] }))).ok).to.equal(true);
    const other = await runProbe(request(lb, { expectedStatus: [parseStatusRange('200'), parseStatusRange('500-599')] }));
    expect(other.error).to.equal('HTTP 4xx (expected 200, 500-599)');
  });

  it('reports "connection refused" once the server stops listening', async () => {
    await lb.down();
    expect(await runProbe(request(lb))).to.include({ ok: false, error: 'connection refused' });
  });

  it('gives up after the timeout when the server accepts but never answers', async () => {
    lb.mode = 'hang';
    const outcome = await runProbe(request(lb, { timeoutMs: 300 }));
    expect(outcome).to.include({ ok: false, error: 'timed out after 300 ms' });
  });
});

describe('health probe: https', function () {
  this.timeout(30_000);
  let pki: TestPki;
  before(() => {
    pki = makeTestPki();
  });

  describe('with a self-signed certificate', () => {
    let lb: FakeLoadBalancer;
    before(async () => {
      [lb] = (await startLoadBalancers(['127.0.0.13'], 'https', pki.selfSigned)) as [FakeLoadBalancer];
    });
    after(() => lb.down());

    it('verifies the certificate by default, so a self-signed one fails', async () => {
      const outcome = await runProbe(request(lb, { hostHeader: 'web.example.org' }));
      expect(outcome.ok).to.equal(false);
      expect(outcome.error).to.equal('TLS: certificate not trusted');
    });

    it('accepts it with insecureSkipVerify', async () => {
      expect(await runProbe(request(lb, { hostHeader: 'web.example.org', insecureSkipVerify: true }))).to.include({ ok: true, statusCode: 200 });
    });
  });

  describe('with a certificate from a CA the prober is told to trust', () => {
    let lb: FakeLoadBalancer;
    before(async () => {
      [lb] = (await startLoadBalancers(['127.0.0.13'], 'https', { key: pki.key, cert: pki.cert })) as [FakeLoadBalancer];
    });
    after(() => lb.down());

    it('succeeds and sends the Host header as TLS server name', async () => {
      const outcome = await runProbe(request(lb, { hostHeader: 'web.example.org', path: '/ready' }), { ca: [pki.caCert] });
      expect(outcome).to.include({ ok: true, statusCode: 200 });
      expect(lb.seen.at(-1)).to.deep.equal({ host: `web.example.org:${lb.port}`, path: '/ready', servername: 'web.example.org' });
    });

    it('checks the IP address against the certificate when there is no Host name', async () => {
      expect((await runProbe(request(lb), { ca: [pki.caCert] })).ok).to.equal(true);
    });

    it('fails when the certificate does not name the Host', async () => {
      const outcome = await runProbe(request(lb, { hostHeader: 'other.example.org' }), { ca: [pki.caCert] });
      expect(outcome.ok).to.equal(false);
      expect(outcome.error).to.equal('TLS: certificate does not match the host name');
    });

    it('fails without the CA: the system roots do not know it', async () => {
      const outcome = await runProbe(request(lb, { hostHeader: 'web.example.org' }));
      expect(outcome.ok).to.equal(false);
      expect(outcome.error).to.equal('TLS: certificate not trusted');
    });
  });
});

describe('health probe: tcp', () => {
  let lb: FakeLoadBalancer;
  beforeEach(async () => {
    [lb] = (await startLoadBalancers(['127.0.0.12'], 'tcp')) as [FakeLoadBalancer];
  });
  afterEach(() => lb.down());

  it('succeeds when the port accepts a connection', async () => {
    const outcome = await runProbe(request(lb));
    expect(outcome.ok).to.equal(true);
    expect(outcome.statusCode).to.equal(undefined);
  });

  it('fails with "connection refused" when nothing listens', async () => {
    await lb.down();
    expect(await runProbe(request(lb))).to.include({ ok: false, error: 'connection refused' });
  });
});
