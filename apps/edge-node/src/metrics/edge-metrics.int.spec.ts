import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resourceTypeOrder } from '@portcullis/config';
import { parsePrometheusText, type PrometheusScrape } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../edge-logger.ts';
import { startEdgeNode, type EdgeNode } from '../edge-node.ts';
import { createTestWorld, curl, waitFor, type TestWorld } from '../test/edge-harness.ts';
import { memoryTransport } from '../test/fake-discovery-server.ts';
import { revocationsResource } from '../test/resources.ts';
import type { TestCertificate } from '../test/test-pki.ts';

/**
 * /metrics on the admin port of a real edge (in process with one worker, and with two worker
 * processes whose metrics the primary merges): every request sent moves the counters by
 * exactly one, whichever worker served it.
 */
describe.each([1, 2])('edge /metrics with %i worker(s)', (workerCount) => {
  let world: TestWorld;
  let edge: EdgeNode;
  let carol: TestCertificate & { serial: string };
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edge-metrics-'));

  const scrape = async (): Promise<{ text: string; contentType: string | null; parsed: PrometheusScrape }> => {
    const response = await fetch(`http://127.0.0.1:${edge.adminPort}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    return { text, contentType: response.headers.get('content-type'), parsed: parsePrometheusText(text) };
  };

  beforeAll(async () => {
    world = await createTestWorld();
    // carol's certificate is issued by the bound account CA and revoked from the start.
    carol = await world.pki.clientCertificate(world.accountCa, 'carol');
    await world.server.push(revocationsResource('acct_1', [carol.serial]));
    edge = await startEdgeNode({
      nodeId: `edge-metrics-${workerCount}`,
      httpsHost: '127.0.0.1',
      httpsPort: 0,
      adminHost: '127.0.0.1',
      adminPort: 0,
      stateDir,
      transport: memoryTransport(world.server),
      log: silentLogger,
      backoff: { initialMs: 20, maxMs: 200 },
      workers: workerCount,
      ...(workerCount > 1
        ? {
            workerLogging: { logLevel: 'silent', accessLog: { mode: 'off' as const, sampleEvery: 1 } },
            workerEntry: { module: path.join(import.meta.dirname, '../workers/worker-main.ts'), args: [], execArgv: [] },
          }
        : {}),
    });
    const served = () =>
      edge
        .status()
        .streams.every((s) => s.systemVersion === world.server.systemVersion && s.heartbeatRevision === world.server.systemVersion);
    await waitFor(() => edge.status().ready && edge.status().connected && served(), 20_000);
  }, 30_000);
  afterAll(async () => {
    await edge?.close();
    world?.server.close();
    await world?.remove();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('serves the text format with stream and configuration metrics per resource type', async () => {
    const { contentType, parsed } = await scrape();
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const revision = world.server.systemVersion;
    for (const type of resourceTypeOrder) {
      expect(parsed.value('portcullis_edge_stream_connected', { type })).toBe(1);
      expect(parsed.value('portcullis_edge_config_revision', { type })).toBe(revision);
      expect(parsed.labelSets('portcullis_edge_config_age_seconds')).toContainEqual({ type });
      expect(parsed.labelSets('portcullis_edge_stream_reconnects_total')).toContainEqual({ type });
    }
    expect(parsed.types.get('portcullis_edge_stream_reconnects_total')).toBe('counter');
    expect(parsed.value('portcullis_edge_ready')).toBe(1);
    expect(parsed.types.get('portcullis_edge_request_duration_seconds')).toBe('histogram');
    expect(parsed.types.get('portcullis_edge_origin_response_seconds')).toBe('histogram');
    expect(parsed.types.get('portcullis_edge_open_connections')).toBe('gauge');
  });

  it('counts handshakes, certificate checks, WAF decisions, statuses and latencies exactly, summed over workers', async () => {
    const before = (await scrape()).parsed;
    const plain = 6;
    const cacert = world.pki.serverCaFile;
    const results = { plain: [] as number[], verified: [] as number[], none: [] as number[], revoked: [] as number[] };
    const send = async (host: string, cert: TestCertificate | undefined) =>
      (await curl(edge.httpsPort, host, '/m', { cacert, ...(cert ? { cert } : {}) })).status;
    for (let i = 0; i < plain; i += 1) results.plain.push(await send('www.example.com', undefined));
    for (let i = 0; i < 2; i += 1) results.verified.push(await send('api.example.com', world.alice));
    for (let i = 0; i < 3; i += 1) results.none.push(await send('api.example.com', undefined));
    results.revoked.push(await send('api.example.com', carol));
    expect(results).toEqual({ plain: [200, 200, 200, 200, 200, 200], verified: [200, 200], none: [403, 403, 403], revoked: [403] });

    const after = (await scrape()).parsed;
    const moved = (name: string, labels?: Record<string, string>) => after.value(name, labels) - before.value(name, labels);
    expect(moved('portcullis_edge_tls_handshakes_total', { hostname_kind: 'plain', outcome: 'completed' })).toBe(plain);
    expect(moved('portcullis_edge_tls_handshakes_total', { hostname_kind: 'mtls', outcome: 'completed' })).toBe(6);
    expect(moved('portcullis_edge_client_certificate_checks_total', { result: 'verified' })).toBe(2);
    expect(moved('portcullis_edge_client_certificate_checks_total', { result: 'none' })).toBe(3);
    expect(moved('portcullis_edge_client_certificate_checks_total', { result: 'revoked' })).toBe(1);
    expect(moved('portcullis_edge_client_certificate_checks_total')).toBe(6);
    expect(moved('portcullis_edge_waf_decisions_total', { site: 's1', rule: 'require-mtls', action: 'block' })).toBe(4);
    expect(moved('portcullis_edge_waf_decisions_total', { site: 's1', rule: '', action: 'pass' })).toBe(plain + 2);
    expect(moved('portcullis_edge_responses_total', { kind: 'forward', status: '200' })).toBe(plain + 2);
    expect(moved('portcullis_edge_responses_total', { kind: 'block', status: '403' })).toBe(4);
    expect(moved('portcullis_edge_request_duration_seconds_count', { kind: 'forward' })).toBe(plain + 2);
    expect(moved('portcullis_edge_request_duration_seconds_count', { kind: 'block' })).toBe(4);
    expect(moved('portcullis_edge_request_duration_seconds_bucket', { kind: 'block', le: '+Inf' })).toBe(4);
    expect(moved('portcullis_edge_origin_response_seconds_count')).toBe(plain + 2);
    expect(
      after.labelSets('portcullis_edge_tls_handshakes_total').every((l) => Object.keys(l).sort().join() === 'hostname_kind,outcome'),
    ).toBe(true);
  });

  it('counts a handshake refused for an unknown server name', async () => {
    const before = (await scrape()).parsed;
    const unknown = await curl(edge.httpsPort, 'nowhere.invalid', '/', { cacert: world.pki.serverCaFile });
    expect(unknown.status).toBe(0);
    const after = (await scrape()).parsed;
    expect(
      after.value('portcullis_edge_tls_handshakes_total', { hostname_kind: 'unknown', outcome: 'refused' }) -
        before.value('portcullis_edge_tls_handshakes_total', { hostname_kind: 'unknown', outcome: 'refused' }),
    ).toBe(1);
  });

  // Last: it stops the origin.
  it('counts an origin failure as an origin error and a 502 forward response', async () => {
    const before = (await scrape()).parsed;
    await world.origin.close();
    const failed = await curl(edge.httpsPort, 'www.example.com', '/down', { cacert: world.pki.serverCaFile });
    expect(failed.status).toBe(502);
    const after = (await scrape()).parsed;
    expect(after.value('portcullis_edge_origin_errors_total') - before.value('portcullis_edge_origin_errors_total')).toBe(1);
    const forward502 = { kind: 'forward', status: '502' };
    expect(after.value('portcullis_edge_responses_total', forward502) - before.value('portcullis_edge_responses_total', forward502)).toBe(
      1,
    );
  });
});
