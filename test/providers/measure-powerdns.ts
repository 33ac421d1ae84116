// Measures the zone-batched sink against a real pdns-server (a figure for the report, not a test):
// N records of one zone published through ProviderSink, counting PowerDNS requests, bytes read and
// wall time, then a republish of all N (a resync), then a drift check.
//
//   node dist/test/providers/measure-powerdns.js [N ...] [--workers W] [--pdns key=value ...]
//
// Without --workers every record is published at once (a resync's fan-out, or many workers);
// with --workers W, W loops publish one record after the other, each waiting for its batch, as
// the controller's --workers do.
import { ProviderSink } from '../../src/apply/sink.js';
import { ownershipConfig, resourceId } from '../../src/plan/ownership.js';
import { PowerDnsProvider } from '../../providers/powerdns/index.js';
import { startPowerDns } from '../env/powerdns.js';

const args = process.argv.slice(2);
const wIdx = args.indexOf('--workers');
const workers = wIdx >= 0 ? Number(args[wIdx + 1]) : undefined;
const sizes = args.filter((a, i) => /^\d+$/.test(a) && !(wIdx >= 0 && i === wIdx + 1)).map(Number);

// --pdns key=value adds a pdns.conf line (e.g. api-rectify=no).
const extraConfig = args.flatMap((a, i) => (a === '--pdns' ? [args[i + 1] as string] : []));
const pdns = await startPowerDns({ extraConfig });
try {
  for (const n of sizes.length > 0 ? sizes : [1000, 10000]) {
    const zone = `m${n}.example`;
    await pdns.createZone(zone);
    const provider = new PowerDnsProvider({ server: pdns.apiUrl, apiKey: pdns.apiKey, timeoutMs: 60_000 });
    const counts = { GET: 0, PATCH: 0, bytesRead: 0 };
    provider.http.interceptors.request.use((c) => {
      const m = (c.method ?? '').toUpperCase() as 'GET' | 'PATCH';
      counts[m] = (counts[m] ?? 0) + 1;
      return c;
    });
    provider.http.interceptors.response.use((r) => {
      counts.bytesRead += Number(r.headers['content-length'] ?? JSON.stringify(r.data ?? '').length);
      return r;
    });
    const batches: number[] = [];
    const sink = new ProviderSink({
      provider,
      ownership: ownershipConfig({ ownerId: 'mcdns' }),
      policy: 'sync',
      domainFilter: { include: [zone] },
      driftIntervalMs: 0,
      callTimeoutMs: 120_000,
      onBatch: (_z, changes) => void batches.push(changes),
    });
    const endpoints = (i: number) => [
      { dnsName: `web-${i}.${zone}`, recordType: 'A', targets: Array.from({ length: 10 }, (_, k) => `127.0.${k}.${(i % 250) + 1}`), recordTTL: 60 },
    ];
    const publishAll = async (): Promise<void> => {
      if (!workers) {
        await Promise.all(Array.from({ length: n }, (_, i) => sink.syncRecord(resourceId('IngressDNSRecord', 'bench', `web-${i}`), endpoints(i))));
        return;
      }
      let next = 0;
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (next < n) {
            const i = next++;
            await sink.syncRecord(resourceId('IngressDNSRecord', 'bench', `web-${i}`), endpoints(i));
          }
        }),
      );
    };
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await publishAll();
    const cold = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const coldCounts = { ...counts };
    const rrsets = (await pdns.rrsets(zone)).filter((r) => r.name.startsWith('web-') || r.name.startsWith('a-web-'));
    const t1 = performance.now();
    await publishAll();
    const resync = performance.now() - t1;
    const t2 = performance.now();
    await sink.checkDrift();
    const drift = performance.now() - t2;
    console.log(
      JSON.stringify({
        records: n,
        workers: workers ?? 'all at once',
        rrsetsInPowerDns: rrsets.length,
        coldS: +(cold / 1000).toFixed(2),
        coldRequests: { GET: coldCounts.GET, PATCH: coldCounts.PATCH, total: coldCounts.GET + coldCounts.PATCH },
        coldMBRead: +(coldCounts.bytesRead / 1e6).toFixed(2),
        batches: batches.length,
        largestBatch: Math.max(...batches),
        mcdnsCpuS: +((cpu.user + cpu.system) / 1e6).toFixed(2),
        resyncS: +(resync / 1000).toFixed(3),
        resyncRequests: counts.GET + counts.PATCH - coldCounts.GET - coldCounts.PATCH - 1,
        driftCheckS: +(drift / 1000).toFixed(3),
      }),
    );
    await sink.close();
    await pdns.deleteZone(zone);
  }
} finally {
  await pdns.stop();
}
