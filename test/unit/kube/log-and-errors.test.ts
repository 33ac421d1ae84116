import { expect } from 'chai';
import { Writable } from 'node:stream';
import { CoreV1Api } from '@kubernetes/client-node';
import { createLogger } from '../../../src/log.js';
import { describeError, statusCodeOf } from '../../../src/errors.js';
import { FakeApiServer, freePort, kubeConfigFor } from './fake-apiserver.js';
import { capturingLogger, flushLogs } from './capture-log.js';

const flush = flushLogs;

describe('log', () => {
  it('writes one JSON object per line with level, message, timestamp and the structured fields', async () => {
    const { logger, lines } = capturingLogger('info');
    logger.child({ cluster: 'east' }).warn('cluster offline', { record: 'default/web', provider: 'pdns' });
    logger.debug('not at info');
    await flush();
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ level: 'warn', message: 'cluster offline', cluster: 'east', record: 'default/web', provider: 'pdns' });
    expect(lines[0]?.['timestamp']).to.be.a('string');
  });

  it('never writes tokens: secret-named fields and bearer credentials in text are redacted', async () => {
    const { logger, lines } = capturingLogger();
    logger.info('connecting', {
      token: 's3cr3t-token',
      user: { name: 'u', token: 's3cr3t-token', password: 'pw' },
      headers: { Authorization: 'Bearer s3cr3t-token' },
      reason: 'server said Bearer s3cr3t-token is bad',
    });
    await flush();
    const text = JSON.stringify(lines);
    expect(text).not.to.contain('s3cr3t');
    expect(text).not.to.contain('"pw"');
    expect(lines[0]?.['user']).to.deep.equal({ name: 'u', token: '[redacted]', password: '[redacted]' });
  });

  it("'silent' writes nothing", async () => {
    const { lines } = capturingLogger();
    const lines2: string[] = [];
    const logger = createLogger(
      'silent',
      new Writable({
        write(c: Buffer, _e, cb) {
          lines2.push(c.toString());
          cb();
        },
      }),
    );
    logger.error('nothing');
    await flush();
    expect(lines2).to.deep.equal([]);
    expect(lines).to.deep.equal([]);
  });
});

describe('describeError', () => {
  it('turns an API error into "HTTP <code>: <Status message>" without the response headers', async () => {
    const server = await FakeApiServer.start({ token: 'right' });
    try {
      const api = server.kubeConfig('wrong-token').makeApiClient(CoreV1Api);
      const err = await api.listNode().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(statusCodeOf(err)).to.equal(401);
      expect(describeError(err)).to.equal('HTTP 401: Unauthorized');
    } finally {
      await server.stop();
    }
  });

  it('names the network cause of a failed request', async () => {
    const port = await freePort();
    const api = kubeConfigFor(`http://127.0.0.1:${port}`, 't').makeApiClient(CoreV1Api);
    const err = await api.listNode().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(describeError(err)).to.match(/ECONNREFUSED 127\.0\.0\.1/);
  });

  it('scrubs credentials and keeps to one line', () => {
    expect(describeError(new Error('bad\nAuthorization: Bearer abc.def.ghi'))).to.equal('bad Authorization: Bearer [redacted]');
  });

  it('reads the status of a watch error', () => {
    const err = Object.assign(new Error('Gone'), { statusCode: 410 });
    expect(statusCodeOf(err)).to.equal(410);
    expect(describeError(err)).to.equal('HTTP 410: Gone');
  });
});
