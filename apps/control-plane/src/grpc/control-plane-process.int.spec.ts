import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { adminV1 } from '@portcullis/proto';
import { freePort, parsePrometheusText } from '@portcullis/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { resourceTypes } from '@portcullis/config';
import { enrollEdge, fetchCall, openGrpcStream } from '../discovery/test/grpc-edge.ts';
import { adminApi, type AdminApi } from './test/admin-fixture.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/**
 * The real control plane in its own process, driven over gRPC from this one: what the gRPC
 * admin API writes, the HTTP API serves and the discovery port streams to an enrolled edge,
 * and SIGTERM stops all three cleanly.
 */
describe('control plane process: gRPC admin beside HTTP', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'control-plane-'));
  let child: ChildProcess | undefined;
  let api: AdminApi | undefined;
  let output = '';
  afterAll(() => {
    for (const client of Object.values(api ?? {})) client.close();
    child?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates over gRPC what HTTP then shows and discovery streams, and exits 0 on SIGTERM', async () => {
    const [httpPort, grpcPort, discoveryPort] = [await freePort(), await freePort(), await freePort()];
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
    const started = spawn(process.execPath, ['apps/control-plane/src/main.ts'], {
      cwd: repoRoot,
      env: {
        ...env,
        PORTCULLIS_DATA_DIR: dataDir,
        PORTCULLIS_HTTP_PORT: String(httpPort),
        PORTCULLIS_GRPC_PORT: String(grpcPort),
        PORTCULLIS_DISCOVERY_PORT: String(discoveryPort),
        PORTCULLIS_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    started.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      started.on('exit', (code, signal) => resolve({ code, signal })),
    );

    // gRPC starts after HTTP: once a gRPC connection is up, both are.
    const probe = new adminV1.AccountServiceClient(`127.0.0.1:${grpcPort}`, credentials.createInsecure());
    const ready = new Promise<void>((resolve, reject) =>
      probe.waitForReady(Date.now() + 20_000, (error) => (error ? reject(error) : resolve())),
    );
    await Promise.race([
      ready,
      exited.then((e) => Promise.reject(new Error(`control plane exited early (${JSON.stringify(e)}): ${output}`))),
    ]);
    probe.close();

    const adminToken = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    api = adminApi(`127.0.0.1:${grpcPort}`);
    const account = (await api.accounts.createAccount({ name: 'Process test' }, adminToken)).response;
    const apiKey = account.apiKeySecret;
    const site = (await api.sites.createSite({ name: 'process.example.com', originUrl: 'https://origin.example.net' }, apiKey)).response
      .site!;
    const created = await api.clientCertificates.createClientCertificate({ siteId: site.id, commonName: 'device-1' }, apiKey);
    const certificate = created.response.clientCertificate!;
    const bound = await api.customCas.setClientCaCertificateHostnames(
      { siteId: site.id, id: '', hostnames: ['api.process.example.com'] },
      apiKey,
    );

    const http = async (route: string) => {
      const answer = await fetch(`http://127.0.0.1:${httpPort}${route}`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(answer.status, route).toBe(200);
      return (await answer.json()) as Record<string, unknown>;
    };
    expect(await http(`/v1/sites/${site.id}`)).toMatchObject({
      id: site.id,
      name: 'process.example.com',
      originUrl: 'https://origin.example.net',
    });
    expect(await http(`/v1/sites/${site.id}/client-certificates/${certificate.id}`)).toMatchObject({
      id: certificate.id,
      status: 'active',
      commonName: 'device-1',
      serialNumber: certificate.facts!.serialNumber,
      certificate: certificate.certificate,
    });
    expect(await http(`/v1/sites/${site.id}/ca-bindings/account`)).toEqual({
      siteId: site.id,
      caId: 'account',
      hostnames: ['api.process.example.com'],
    });
    expect((await http('/v1/account-ca')).id).toBe(account.account!.id);
    const audit = (await http('/v1/audit-log')) as { items: { action: string; requestId: string }[] };
    expect(audit.items.find((e) => e.action === 'Binding.Set')?.requestId).toBe(bound.headers.get('x-request-id')[0]);
    expect(audit.items.find((e) => e.action === 'ClientCertificate.Create')?.requestId).toBe(created.headers.get('x-request-id')[0]);

    // An edge enrolls over HTTP and receives the site over the discovery port (started after gRPC).
    const edge = await enrollEdge(fetchCall(`http://127.0.0.1:${httpPort}`), adminToken, 'process-edge');
    const stream = openGrpcStream(`localhost:${discoveryPort}`, edge);
    stream.send({ nodeId: 'process-edge', typeUrl: resourceTypes.site.typeUrl });
    expect((await stream.next()).resources.map((r) => r.name)).toEqual([`site/${site.id}`]);

    // main.ts composes the metrics: the gRPC issuance, the timed store and the connected edge show on /metrics (loopback, no token).
    const scrape = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
    expect(scrape.status).toBe(200);
    const metrics = parsePrometheusText(await scrape.text());
    expect(metrics.value('portcullis_cp_client_certificates_issued_total')).toBe(1);
    expect(metrics.value('portcullis_cp_edges_connected')).toBe(1);
    expect(metrics.value('portcullis_cp_store_healthy')).toBe(1);
    expect(metrics.value('portcullis_cp_store_operation_seconds_count', { operation: 'commit', outcome: 'ok' })).toBeGreaterThan(0);
    expect(metrics.value('portcullis_cp_discovery_cache_revision')).toBeGreaterThan(0);

    started.kill('SIGTERM');
    expect(await exited, output).toEqual({ code: 0, signal: null });
    stream.close();
  });
});
