// The test env's TCP proxy: far members for the far-member e2e and the bench are a delay and a
// loss on it, so what it delivers must be every byte, in order, never earlier than the path allows.
import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { startTcpProxy, type TcpProxy } from '../../env/tcp-proxy.js';

/** An echo server on loopback. */
async function echoServer(): Promise<net.Server> {
  const server = net.createServer((s) => s.pipe(s));
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return server;
}

/** Sends `payload` through the proxy to the echo server; resolves with what came back and when the first byte did. */
async function roundTrip(proxy: TcpProxy, payload: Buffer): Promise<{ echoed: Buffer; firstByteMs: number }> {
  const started = Date.now();
  let firstByteMs = -1;
  const chunks: Buffer[] = [];
  const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (c: Buffer) => {
      if (firstByteMs < 0) firstByteMs = Date.now() - started;
      chunks.push(c);
      if (chunks.reduce((n, x) => n + x.length, 0) >= payload.length) resolve();
    });
    socket.write(payload);
  });
  socket.destroy();
  return { echoed: Buffer.concat(chunks), firstByteMs };
}

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('test env: TCP proxy with delay and loss', () => {
  let server: net.Server;
  let proxy: TcpProxy | undefined;
  const upstreamPort = (): number => (server.address() as net.AddressInfo).port;

  before(async () => {
    server = await echoServer();
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('passes every byte in order when it adds nothing', async () => {
    proxy = await startTcpProxy(upstreamPort());
    const payload = randomBytes(256 * 1024);
    const { echoed } = await roundTrip(proxy, payload);
    expect(digest(echoed)).to.equal(digest(payload));
  });

  it('answers no sooner than the round trip it is given, and keeps the bytes in order', async () => {
    proxy = await startTcpProxy(upstreamPort(), '127.0.0.1', { rttMs: 120 });
    const payload = randomBytes(512 * 1024);
    const { echoed, firstByteMs } = await roundTrip(proxy, payload);
    expect(digest(echoed)).to.equal(digest(payload));
    // Half the round trip on the way in, half on the way back.
    expect(firstByteMs).to.be.at.least(120);
  });

  it('delays lost segments, counts them, and still delivers every byte in order', async () => {
    proxy = await startTcpProxy(upstreamPort(), '127.0.0.1', { rttMs: 10, lossPct: 10 });
    const payload = randomBytes(1024 * 1024);
    const { echoed } = await roundTrip(proxy, payload);
    expect(digest(echoed)).to.equal(digest(payload));
    // About 1,400 segments each way at 10 %: none lost has a chance of 0.9^2800.
    expect(proxy.segmentsLost).to.be.greaterThan(0);
  });

  it('takes a new shape for bytes sent after it', async () => {
    proxy = await startTcpProxy(upstreamPort());
    proxy.shape({ rttMs: 80 });
    expect(proxy.pathShape).to.deep.equal({ rttMs: 80, lossPct: 0 });
    const { firstByteMs } = await roundTrip(proxy, Buffer.from('ping'));
    expect(firstByteMs).to.be.at.least(80);
  });

  it('refuses a loss or round trip that is no such thing', async () => {
    await startTcpProxy(upstreamPort(), '127.0.0.1', { lossPct: 100 }).then(
      () => expect.fail('accepted 100 % loss'),
      (err: Error) => expect(err.message).to.match(/loss 100 %/),
    );
    proxy = await startTcpProxy(upstreamPort());
    expect(() => proxy!.shape({ rttMs: -1 })).to.throw(/round trip -1 ms/);
  });
});
