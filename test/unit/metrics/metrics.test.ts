import { expect } from 'chai';
import * as http from 'node:http';
import {
  observeEvent,
  observeHostWrite,
  observeProbe,
  observeProviderCall,
  observeReconcile,
  registry,
  setLeader,
  trackProviderCall,
} from '../../../src/metrics/metrics.js';
import { parseListenAddress, startMetricsServer, type MetricsServer } from '../../../src/metrics/server.js';
import { bindMetricSources } from '../../../src/metrics/sources.js';
import { capturingLogger } from '../kube/capture-log.js';
import { sample } from './metrics-text.js';

function get(address: string, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://${address}${path}`, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      })
      .on('error', reject);
  });
}

describe('metrics', () => {
  beforeEach(() => registry.resetMetrics());

  describe('listen addresses', () => {
    it('reads host:port, :port, [v6]:port, and 0 or empty as "no server"', () => {
      expect(parseListenAddress('127.0.0.1:8080')).to.deep.equal({ host: '127.0.0.1', port: 8080 });
      expect(parseListenAddress(':8080')).to.deep.equal({ port: 8080 });
      expect(parseListenAddress('[::1]:9090')).to.deep.equal({ host: '::1', port: 9090 });
      expect(parseListenAddress('0')).to.equal(undefined);
      expect(parseListenAddress('')).to.equal(undefined);
    });

    it('refuses what is not an address', () => {
      expect(() => parseListenAddress('8080')).to.throw(/not a listen address/);
      expect(() => parseListenAddress('localhost:99999')).to.throw(/not a listen address/);
      expect(() => parseListenAddress('::1:80')).to.throw(/not a listen address/);
    });
  });

  describe('hooks and scrape-time state', () => {
    let unbind: () => void = () => undefined;
    afterEach(() => unbind());

    it('counts reconciles, host writes, events, provider calls and probes with their labels', async () => {
      observeReconcile('IngressDNSRecord', true, 0.02);
      observeReconcile('IngressDNSRecord', false, 0.5);
      observeHostWrite('dnsendpoints', 'create', true);
      observeEvent('Warning', 'ClusterOffline');
      observeProviderCall('powerdns', 'apply', true, 0.1);
      observeProviderCall('powerdns', 'apply', false, 2);
      observeProbe('unhealthy', 1.5);
      const text = await registry.metrics();
      expect(sample(text, 'mcdns_reconcile_total', { kind: 'IngressDNSRecord', result: 'success' })).to.equal(1);
      expect(sample(text, 'mcdns_reconcile_total', { kind: 'IngressDNSRecord', result: 'error' })).to.equal(1);
      expect(sample(text, 'mcdns_reconcile_duration_seconds_count', { kind: 'IngressDNSRecord' })).to.equal(2);
      expect(sample(text, 'mcdns_reconcile_duration_seconds_bucket', { kind: 'IngressDNSRecord', le: '0.025' })).to.equal(1);
      expect(sample(text, 'mcdns_host_writes_total', { resource: 'dnsendpoints', verb: 'create', result: 'success' })).to.equal(1);
      expect(sample(text, 'mcdns_events_total', { type: 'Warning', reason: 'ClusterOffline' })).to.equal(1);
      expect(sample(text, 'mcdns_provider_requests_total', { provider: 'powerdns', operation: 'apply', result: 'error' })).to.equal(1);
      expect(sample(text, 'mcdns_provider_request_errors_total', { provider: 'powerdns', operation: 'apply' })).to.equal(1);
      expect(sample(text, 'mcdns_provider_request_duration_seconds_sum', { provider: 'powerdns', operation: 'apply' })).to.be.closeTo(2.1, 1e-9);
      expect(sample(text, 'mcdns_probe_total', { result: 'unhealthy' })).to.equal(1);
      expect(sample(text, 'mcdns_probe_duration_seconds_sum', { result: 'unhealthy' })).to.equal(1.5);
    });

    it('times a provider call and records its failure without swallowing the error', async () => {
      expect(await trackProviderCall('azure', 'list', async () => 7)).to.equal(7);
      let caught: unknown;
      await trackProviderCall('azure', 'apply', async () => {
        throw new Error('429 Too Many Requests');
      }).catch((e: unknown) => (caught = e));
      expect((caught as Error).message).to.equal('429 Too Many Requests');
      const text = await registry.metrics();
      expect(sample(text, 'mcdns_provider_requests_total', { provider: 'azure', operation: 'list', result: 'success' })).to.equal(1);
      expect(sample(text, 'mcdns_provider_request_errors_total', { provider: 'azure', operation: 'apply' })).to.equal(1);
    });

    it('reads queue depth, clusters by state, records by condition and published endpoints when scraped', async () => {
      let depth = 3;
      unbind = bindMetricSources({
        queueDepth: () => depth,
        clusterStates: () => ['online', 'online', 'offline'],
        records: () => [
          { kind: 'IngressDNSRecord', status: 'True', reason: 'Published' },
          { kind: 'IngressDNSRecord', status: 'True', reason: 'Published' },
          { kind: 'ServiceDNSRecord', status: 'False', reason: 'NoTargets' },
          { kind: 'ServiceDNSRecord' },
          { kind: 'RouteDNSRecord', status: 'True', reason: 'Published' },
        ],
        publishedEndpoints: () => [
          { kind: 'IngressDNSRecord', endpoints: 2 },
          { kind: 'IngressDNSRecord', endpoints: 1 },
        ],
      });
      let text = await registry.metrics();
      expect(sample(text, 'mcdns_workqueue_depth')).to.equal(3);
      expect(sample(text, 'mcdns_clusters', { state: 'online' })).to.equal(2);
      expect(sample(text, 'mcdns_clusters', { state: 'offline' })).to.equal(1);
      expect(sample(text, 'mcdns_clusters', { state: 'unknown' })).to.equal(0);
      expect(sample(text, 'mcdns_records', { kind: 'IngressDNSRecord', condition: 'Ready', status: 'True', reason: 'Published' })).to.equal(2);
      expect(sample(text, 'mcdns_records', { kind: 'ServiceDNSRecord', condition: 'Ready', status: 'False', reason: 'NoTargets' })).to.equal(1);
      expect(sample(text, 'mcdns_records', { kind: 'ServiceDNSRecord', condition: 'Ready', status: 'Unknown', reason: '' })).to.equal(1);
      expect(sample(text, 'mcdns_endpoints_published', { kind: 'IngressDNSRecord' })).to.equal(3);
      expect(sample(text, 'mcdns_endpoints_published', { kind: 'ServiceDNSRecord' })).to.equal(0);
      expect(sample(text, 'mcdns_records', { kind: 'RouteDNSRecord', condition: 'Ready', status: 'True', reason: 'Published' })).to.equal(1);
      expect(sample(text, 'mcdns_endpoints_published', { kind: 'RouteDNSRecord' }), 'every record kind has its series').to.equal(0);
      depth = 0;
      text = await registry.metrics();
      expect(sample(text, 'mcdns_workqueue_depth')).to.equal(0);
    });

    it('shows the leader status and counts transitions', async () => {
      setLeader(true);
      let text = await registry.metrics();
      expect(sample(text, 'mcdns_leader')).to.equal(1);
      setLeader(false);
      text = await registry.metrics();
      expect(sample(text, 'mcdns_leader')).to.equal(0);
      expect(sample(text, 'mcdns_leader_transitions_total', { transition: 'started' })).to.equal(1);
      expect(sample(text, 'mcdns_leader_transitions_total', { transition: 'stopped' })).to.equal(1);
    });

    it('exports the Node.js process metrics too', async () => {
      expect(sample(await registry.metrics(), 'process_cpu_seconds_total')).to.be.a('number');
    });
  });

  describe('HTTP server', () => {
    let server: MetricsServer | undefined;
    afterEach(async () => server?.close());

    it('serves /metrics in Prometheus text format, /healthz, and /readyz that follows readiness', async () => {
      let ready = false;
      const { logger } = capturingLogger();
      server = await startMetricsServer({ address: '127.0.0.1:0', ready: () => ready, logger });
      expect(server?.address).to.match(/^127\.0\.0\.1:\d+$/);
      const address = server!.address;
      observeReconcile('ServiceDNSRecord', true, 0.01);
      const m = await get(address, '/metrics');
      expect(m.status).to.equal(200);
      expect(m.type).to.match(/^text\/plain; version=0\.0\.4/);
      expect(sample(m.body, 'mcdns_reconcile_total', { kind: 'ServiceDNSRecord', result: 'success' })).to.equal(1);
      expect((await get(address, '/healthz')).status).to.equal(200);
      expect((await get(address, '/readyz')).status).to.equal(503);
      ready = true;
      expect((await get(address, '/readyz')).status).to.equal(200);
      expect((await get(address, '/nope')).status).to.equal(404);
    });

    it('starts no server for address 0, and fails loudly when the port is taken', async () => {
      const { logger } = capturingLogger();
      expect(await startMetricsServer({ address: '0', ready: () => true, logger })).to.equal(undefined);
      server = await startMetricsServer({ address: '127.0.0.1:0', ready: () => true, logger });
      let err: unknown;
      await startMetricsServer({ address: server!.address, ready: () => true, logger }).catch((e: unknown) => (err = e));
      expect((err as NodeJS.ErrnoException).code).to.equal('EADDRINUSE');
    });
  });
});
