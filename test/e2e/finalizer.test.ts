// The cleanup finalizer when the DNS provider is down: deleting a record waits, says why in
// Ready=False/CleanupFailed and a Warning Event, retries with backoff, and finishes on its own
// once the provider answers again; and what a record deleted while mcdns was down left behind
// is removed at the next start. Real API server, real PowerDNS behind a TCP proxy the test can
// cut.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import type { IngressDNSRecord } from '../../src/api/schema.js';
import { startBed, type Bed } from '../env/bed.js';
import { bedFlags, startMcdns, type McdnsHandle } from '../env/mcdns.js';
import { freePort } from '../env/ports.js';
import { ensureNamespace, eventually, putIngress } from '../env/workloads.js';
import { sample } from '../unit/metrics/metrics-text.js';
import { formatOwnership, resourceId } from '../../src/plan/ownership.js';

/** A TCP proxy on 127.0.0.1 that can be taken down (connections refused) and brought back. */
class CuttableProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const NS = 'fed-namespace';
const OWNER = 'mcdns-finalizer-e2e';
const NAME = 'gone.example.org';

describe('deleting a record while its DNS provider is down', function () {
  this.timeout(240_000);
  let bed: Bed;
  let mcdns: McdnsHandle;
  let proxy: CuttableProxy;
  let metrics = '';
  const custom = () => bed.kubeConfig('host').makeApiClient(CustomObjectsApi);
  const record = async () =>
    (await custom().getNamespacedCustomObject({
      group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'ingressdnsrecords', name: 'web',
    })) as IngressDNSRecord;

  before(async () => {
    bed = await startBed({ members: ['member1'], externalDns: false });
    for (const crd of ['ingressdnsrecords', 'servicednsrecords', 'domains']) {
      await bed.apply('host', readFileSync(`manifests/crds/${crd}.multiclusterdns.kubefed.io.yaml`, 'utf8'));
    }
    for (const c of bed.clusters) await ensureNamespace(bed.kubeConfig(c), NS);
    await putIngress(bed.kubeConfig('member1'), NS, 'web', [NAME], ['127.0.0.11']);
    proxy = new CuttableProxy(await freePort(), Number(new URL(bed.powerdns!.apiUrl).port));
    await proxy.up();
    const port = await freePort();
    metrics = `127.0.0.1:${port}`;
    mcdns = start();
  });

  const start = () =>
    startMcdns(
      [
        ...bedFlags(bed, ['member1']),
        '--heartbeat-interval=1s',
        '--provider=powerdns',
        `--pdns-server=http://127.0.0.1:${proxy.port}`,
        `--txt-owner-id=${OWNER}`,
        '--no-dnsendpoints',
        `--metrics-address=${metrics}`,
      ],
      { MCDNS_PDNS_API_KEY: bed.powerdns!.apiKey },
    );

  after(async function () {
    if (this.currentTest?.state === 'failed' || process.env.MCDNS_E2E_LOGS) console.log(mcdns?.logs());
    await mcdns?.stop();
    await proxy?.down();
    await bed?.stop();
  });

  it('publishes with the finalizer on the record', async () => {
    await bed.apply('host', `apiVersion: multiclusterdns.kubefed.io/v1alpha1
kind: IngressDNSRecord
metadata: {name: web, namespace: ${NS}}
spec: {hosts: [${NAME}], recordTTL: 30}
`);
    await eventually(`A ${NAME}`, () => bed.powerdns!.query(NAME, 'A'), (a) => a.join(',') === '127.0.0.11', 60_000);
    expect((await record()).metadata.finalizers).to.include('multiclusterdns.kubefed.io/cleanup');
  });

  it('waits with Ready=False/CleanupFailed and a Warning Event while the provider is down, and keeps the DNS records', async () => {
    await proxy.down();
    await custom().deleteNamespacedCustomObject({ group: 'multiclusterdns.kubefed.io', version: 'v1alpha1', namespace: NS, plural: 'ingressdnsrecords', name: 'web' });
    const r = await eventually('CleanupFailed', record, (x) => x.status?.conditions?.find((c) => c.type === 'Ready')?.reason === 'CleanupFailed', 60_000);
    const ready = r.status!.conditions!.find((c) => c.type === 'Ready')!;
    expect(ready.status).to.equal('False');
    expect(ready.message).to.match(/deletion waits until the record's DNS records are removed from the DNS provider: .*powerdns/);
    expect(r.metadata.deletionTimestamp).to.be.a('string');
    expect(r.metadata.finalizers).to.include('multiclusterdns.kubefed.io/cleanup');
    const events = (await bed.kubeConfig('host').makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: NS })).items;
    expect(events.some((e) => e.reason === 'CleanupFailed' && e.type === 'Warning' && e.involvedObject.name === 'web')).to.equal(true);
    expect(await bed.powerdns!.query(NAME, 'A'), 'nothing removed half-way').to.deep.equal(['127.0.0.11']);
    // It keeps trying, with backoff.
    await eventually('a second failed attempt', async () => sample(await (await fetch(`http://${metrics}/metrics`)).text(), 'mcdns_finalizer_cleanups_total', { result: 'error' }) ?? 0, (n) => n >= 2, 60_000);
  });

  it('finishes the deletion by itself once the provider answers again', async () => {
    await proxy.up();
    await eventually(
      'record gone',
      async () => {
        try {
          await record();
          return false;
        } catch (e) {
          return (e as { code?: number }).code === 404;
        }
      },
      (gone) => gone,
      120_000,
    );
    expect(await bed.powerdns!.query(NAME, 'A')).to.deep.equal([]);
    expect(await bed.powerdns!.query(`a-${NAME}`, 'TXT')).to.deep.equal([]);
    const text = await (await fetch(`http://${metrics}/metrics`)).text();
    expect(sample(text, 'mcdns_finalizer_cleanups_total', { result: 'success' })).to.equal(1);
  });

  it('removes at its next start what a record deleted while mcdns was down left behind, and nothing else', async () => {
    await mcdns.stop();
    // As a record published by the DNS-first pass and deleted before its finalizer, while mcdns
    // was down, leaves it: an A and its ownership TXT naming a record that no longer exists.
    const rrset = (name: string, type: string, content: string) => ({ name: `${name}.`, type, ttl: 60, changetype: 'REPLACE', records: [{ content, disabled: false }] });
    const txt = (owner: string, name: string) => formatOwnership({ owner, resource: resourceId('IngressDNSRecord', NS, name) });
    await bed.powerdns!.api('PATCH', '/servers/localhost/zones/example.org.', {
      rrsets: [
        rrset('orphan.example.org', 'A', '127.0.0.12'),
        rrset('a-orphan.example.org', 'TXT', txt(OWNER, 'orphan')),
        rrset('foreign.example.org', 'A', '127.0.0.13'),
        rrset('a-foreign.example.org', 'TXT', txt('someone-else', 'foreign')),
        rrset('plain.example.org', 'A', '127.0.0.14'),
      ],
    });
    expect(await bed.powerdns!.query('orphan.example.org', 'A')).to.deep.equal(['127.0.0.12']);
    mcdns = start();
    await eventually('orphan removed', () => bed.powerdns!.query('orphan.example.org', 'A'), (a) => a.length === 0, 60_000);
    expect(await bed.powerdns!.query('a-orphan.example.org', 'TXT'), 'its ownership TXT with it').to.deep.equal([]);
    expect(await bed.powerdns!.query('foreign.example.org', 'A'), "another owner's").to.deep.equal(['127.0.0.13']);
    expect((await bed.powerdns!.query('a-foreign.example.org', 'TXT')).length).to.equal(1);
    expect(await bed.powerdns!.query('plain.example.org', 'A'), 'owner-less').to.deep.equal(['127.0.0.14']);
  });
});
