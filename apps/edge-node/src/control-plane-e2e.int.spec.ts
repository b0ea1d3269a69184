import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl, startOrigin, type TestOrigin } from './test/edge-harness.ts';
import { createTestPki, type TestPki } from './test/test-pki.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/** A JSON answer of the control plane, read loosely: the test checks what it uses. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers are checked by the assertions
type Json = Record<string, any>;

interface RunningProcess {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function start(entry: string, env: Record<string, string>): RunningProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
  const child = spawn(process.execPath, [entry], { cwd: repoRoot, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

/** Polls `probe` every 100 ms until it returns true, for at most `timeoutMs`. */
async function eventually(what: string, timeoutMs: number, probe: () => Promise<boolean>, running: RunningProcess[]): Promise<void> {
  const started = Date.now();
  for (;;) {
    for (const proc of running) if (proc.child.exitCode !== null) throw new Error(`${what}: a process exited: ${proc.output()}`);
    if (await probe()) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(`${what}: not within ${timeoutMs} ms\n${running.map((p) => p.output().slice(-3000)).join('\n---\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * End to end with the real control plane: both as processes, the edge enrolled with a join
 * token from the control plane's API, everything configured through the HTTP API, checked with
 * the real curl; then a revocation through the API reaches the edge.
 */
describe('control plane and edge, end to end', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-e2e-'));
  let pki: TestPki;
  let origin: TestOrigin;
  const processes: RunningProcess[] = [];

  beforeAll(async () => {
    [pki, origin] = await Promise.all([createTestPki(), startOrigin('e2e-origin')]);
  });
  afterAll(async () => {
    for (const running of processes) running.child.kill('SIGKILL');
    await origin?.close();
    pki?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('enrolls an edge, serves 200 with the certificate and 403 without, and refuses it after revocation', async () => {
    const [httpPort, grpcPort, discoveryPort, httpsPort, adminPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const controlPlane = start('apps/control-plane/src/main.ts', {
      PORTCULLIS_DATA_DIR: path.join(dir, 'control-plane'),
      PORTCULLIS_HTTP_PORT: String(httpPort),
      PORTCULLIS_GRPC_PORT: String(grpcPort),
      PORTCULLIS_DISCOVERY_PORT: String(discoveryPort),
      PORTCULLIS_LOG_LEVEL: 'warn',
    });
    processes.push(controlPlane);
    const cp = `http://127.0.0.1:${httpPort}`;
    await eventually(
      'control plane ready',
      20_000,
      async () => (await fetch(`${cp}/readyz`).catch(() => undefined))?.ok === true,
      processes,
    );
    const adminToken = readFileSync(path.join(dir, 'control-plane', 'admin-token'), 'utf8').trim();
    const call = async (method: string, route: string, token: string, body?: unknown) => {
      const response = await fetch(`${cp}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await response.json()) as Json;
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };

    const joinToken = await call('POST', '/v1/edge-join-tokens', adminToken, { name: 'e2e', maxUses: 1, ttlSeconds: 600 });
    const tokenFile = path.join(dir, 'join-token');
    writeFileSync(tokenFile, `${joinToken['token']}\n`, { mode: 0o600 });
    const edge = start('apps/edge-node/src/main.ts', {
      PORTCULLIS_NODE_ID: 'edge-e2e',
      PORTCULLIS_CONTROL_PLANE_URL: cp,
      PORTCULLIS_JOIN_TOKEN_FILE: tokenFile,
      PORTCULLIS_FLEET_CA_SHA256: joinToken['fleetCaFingerprintSha256'],
      PORTCULLIS_DISCOVERY_ADDRESS: `127.0.0.1:${discoveryPort}`,
      PORTCULLIS_EDGE_HTTPS_PORT: String(httpsPort),
      PORTCULLIS_EDGE_ADMIN_PORT: String(adminPort),
      PORTCULLIS_STATE_DIR: path.join(dir, 'edge'),
      PORTCULLIS_LOG_LEVEL: 'warn',
    });
    processes.push(edge);
    await eventually(
      'edge ready',
      20_000,
      async () => (await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined))?.ok === true,
      processes,
    );

    const account = await call('POST', '/v1/accounts', adminToken, { name: 'E2E' });
    const key = account['apiKey']['secret'] as string;
    const site = await call('POST', '/v1/sites', key, { name: 'example.com', originUrl: origin.url });
    const siteId = site['id'] as string;
    const server = await pki.serverCertificate(['example.com', '*.example.com']);
    await call('POST', `/v1/sites/${siteId}/server-certificates`, key, { certificate: server.chainPem, privateKey: server.keyPem });
    const issued = await call('POST', `/v1/sites/${siteId}/client-certificates`, key, {
      pkeyType: 'ECC',
      commonName: 'device-1',
      validityDays: 30,
    });
    const client = {
      chainPem: issued['certificate']['certificate'] as string,
      keyPem: issued['privateKey'] as string,
      certFile: pki.file('device-1.pem', issued['certificate']['certificate']),
      keyFile: pki.file('device-1.key', issued['privateKey']),
    };
    await call('PUT', `/v1/sites/${siteId}/ca-bindings/account`, key, { hostnames: ['api.example.com'] });
    await call('POST', `/v1/sites/${siteId}/waf-rules`, key, {
      name: 'require a verified client certificate',
      expression: 'http.host eq "api.example.com" and not ssl.client_cert.verified',
      action: { type: 'block', status: 403 },
    });

    const get = (withCert: boolean) =>
      curl(httpsPort, 'api.example.com', '/e2e', { cacert: pki.serverCaFile, ...(withCert ? { cert: client } : {}) });
    // The binding and the rule travel on different streams: wait until both are in force, the
    // exact state asserted below (a 200 alone also happens before the binding arrives, when the
    // edge does not ask for the certificate at all).
    const inForce = async () => {
      const withCert = await get(true);
      const verified = origin.seen.at(-1)?.headers['x-client-cert-verified'];
      return withCert.status === 200 && verified === 'SUCCESS' && (await get(false)).status === 403;
    };
    await eventually('the binding and the WAF rule reach the edge', 15_000, inForce, processes);
    const served = await get(true);
    expect(served.status).toBe(200);
    expect(served.body).toBe('e2e-origin GET /e2e\n');
    expect(origin.seen.at(-1)!.headers).toMatchObject({
      'x-client-cert-verified': 'SUCCESS',
      'x-client-cert-serial': issued['certificate']['serialNumber'],
    });
    expect((await get(false)).status).toBe(403);

    await call('POST', `/v1/sites/${siteId}/client-certificates/${issued['certificate']['id']}/revoke`, key, { confirm: true });
    await eventually('revocation reaches the edge', 10_000, async () => (await get(true)).status === 403, processes);

    const status = (await (await fetch(`http://127.0.0.1:${adminPort}/status`)).json()) as Json;
    expect(status).toMatchObject({ nodeId: 'edge-e2e', ready: true, connected: true });
    expect(Object.keys(status['resources']['revocations']['versions'])).toHaveLength(1);
    const seenByControlPlane = await call('GET', '/v1/edges/edge-e2e', adminToken);
    expect(JSON.stringify(seenByControlPlane)).toContain('edge-e2e');

    edge.child.kill('SIGTERM');
    controlPlane.child.kill('SIGTERM');
    expect(await edge.exited).toBe(0);
    expect(await controlPlane.exited).toBe(0);
    expect(edge.output()).not.toContain(joinToken['token']);
  });
});
