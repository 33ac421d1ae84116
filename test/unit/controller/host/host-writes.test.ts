// Host writes have a deadline: a write that passed the leader gate must not land minutes later,
// when the Lease may already belong to another replica.
import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { DNSEndpoint } from '../../../../src/api/schema.js';
import { ApiHostWrites } from '../../../../src/controller/host/host-writes.js';

describe('controller/host-writes: request deadline', () => {
  let server: Server;
  const held: IncomingMessage[] = [];
  let kc: KubeConfig;

  before(async () => {
    // An API server that reads the request and never answers (a black-holed or stalled host).
    server = createServer((req) => void held.push(req));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'stalled', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'nobody' }],
      contexts: [{ name: 'stalled', cluster: 'stalled', user: 'nobody' }],
      currentContext: 'stalled',
    });
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('gives up on a write the API server never answers, instead of letting it land later', async () => {
    const writes = new ApiHostWrites(kc, 'externaldns.k8s.io', 'mcdns', undefined, 300);
    const endpoint: DNSEndpoint = {
      apiVersion: 'externaldns.k8s.io/v1alpha1',
      kind: 'DNSEndpoint',
      metadata: { namespace: 'shop', name: 'ingress-web' },
      spec: { endpoints: [] },
    };
    let failure: unknown;
    try {
      await writes.createDNSEndpoint(endpoint);
    } catch (err) {
      failure = err;
    }
    expect(held.length, 'the request reached the server').to.equal(1);
    expect(failure, 'the write was abandoned').to.be.instanceOf(Error);
    expect(String((failure as Error).name) + String((failure as Error).message)).to.match(/abort|timeout/i);
  });
});
