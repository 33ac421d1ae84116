// Test PKI made with openssl (a CA, a server certificate for 127.0.0.1, a client certificate), and
// a TLS front on 127.0.0.1 that asks for a client certificate and pipes each connection to a
// plain-TCP server: PowerDNS's webserver speaks HTTP only, so TLS clients are tested through it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';

export interface TestPki {
  dir: string;
  /** PEM file paths. */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A fresh CA in `dir`, a server certificate for IP 127.0.0.1 and a client certificate, all signed by it. */
export function makePki(dir: string): TestPki {
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=mcdns test CA', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  const issue = (name: string, cn: string, ext: string) => {
    writeFileSync(f(`${name}.ext`), ext);
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`));
  };
  issue('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', 'mcdns', 'extendedKeyUsage=clientAuth\n');
  return { dir, ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

export interface TlsFront {
  port: number;
  /** Connections refused during the handshake (no or an unknown client certificate). */
  refused: number;
  close(): Promise<void>;
}

/** TLS on 127.0.0.1 (server certificate from `pki`, client certificate required) in front of `target`. */
export async function startTlsFront(pki: TestPki, target: { host: string; port: number }): Promise<TlsFront> {
  const front = { refused: 0 } as TlsFront;
  const server = tls.createServer(
    {
      cert: readFileSync(pki.serverCert),
      key: readFileSync(pki.serverKey),
      ca: readFileSync(pki.ca),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (client) => {
      const upstream = net.connect(target.port, target.host);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
    },
  );
  server.on('tlsClientError', () => {
    front.refused++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  front.port = (server.address() as net.AddressInfo).port;
  front.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return front;
}
