import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startRedis, type TestRedis } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl, startOrigin, type TestOrigin } from './test/edge-harness.ts';
import { eventually, startSystemProcess, type SystemProcess } from './test/system-process.ts';
import { createTestPki, type TestPki } from './test/test-pki.ts';

/** A JSON answer read loosely: the test checks what it uses. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked by the assertions
type Json = Record<string, any>;

interface Replica {
  readonly process: SystemProcess;
  readonly api: string;
  readonly discovery: string;
}

/**
 * The fault an operator found: two control-plane replicas on one Redis, an edge that lists
 * both, and the replica it is connected to hangs (SIGSTOP: its sockets stay open, nothing
 * answers). The edge must notice within the heartbeat bound, move to the other replica, say
 * so in /status and its log, and keep receiving changes (a revocation) from it.
 */
describe('edge failover between two control-plane processes', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-failover-'));
  const adminToken = `adm_${randomBytes(24).toString('base64url')}`;
  const masterKey = randomBytes(32).toString('base64');
  let redis: TestRedis;
  let pki: TestPki;
  let origin: TestOrigin;
  const running: SystemProcess[] = [];
  const stopped: SystemProcess[] = [];

  async function startReplica(): Promise<Replica> {
    const [httpPort, grpcPort, discoveryPort] = [await freePort(), await freePort(), await freePort()];
    const proc = startSystemProcess('apps/control-plane/src/main.ts', {
      PORTCULLIS_REDIS_URL: redis.url,
      PORTCULLIS_MASTER_KEY: masterKey,
      PORTCULLIS_ADMIN_TOKEN: adminToken,
      PORTCULLIS_HTTP_PORT: String(httpPort),
      PORTCULLIS_GRPC_PORT: String(grpcPort),
      PORTCULLIS_DISCOVERY_PORT: String(discoveryPort),
      PORTCULLIS_LOG_LEVEL: 'warn',
    });
    running.push(proc);
    const api = `http://127.0.0.1:${httpPort}`;
    await eventually('replica listening', 30_000, async () => (await fetch(`${api}/healthz`)).ok, running);
    return { process: proc, api, discovery: `127.0.0.1:${discoveryPort}` };
  }

  async function call(replica: Replica, method: string, route: string, token: string, body?: unknown): Promise<Json> {
    const response = await fetch(`${replica.api}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Json;
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  }

  beforeAll(async () => {
    [redis, pki, origin] = await Promise.all([startRedis(), createTestPki(), startOrigin('failover-origin')]);
  });
  afterAll(async () => {
    for (const proc of stopped) proc.child.kill('SIGCONT');
    for (const proc of running) proc.child.kill('SIGKILL');
    await Promise.all(running.map((proc) => proc.exited));
    await origin?.close();
    await redis?.stop();
    pki?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('leaves a hung replica within the heartbeat bound for the listed healthy one, and gets a revocation made there', async () => {
    const [a, b] = [await startReplica(), await startReplica()];
    const joinToken = await call(a, 'POST', '/v1/edge-join-tokens', adminToken, { name: 'failover', maxUses: 1 });
    const tokenFile = path.join(dir, 'join-token');
    writeFileSync(tokenFile, `${joinToken['token']}\n`, { mode: 0o600 });
    const [httpsPort, adminPort] = [await freePort(), await freePort()];
    const edge = startSystemProcess('apps/edge-node/src/main.ts', {
      PORTCULLIS_NODE_ID: 'edge-failover',
      PORTCULLIS_CONTROL_PLANE_URL: a.api,
      PORTCULLIS_JOIN_TOKEN_FILE: tokenFile,
      PORTCULLIS_FLEET_CA_SHA256: joinToken['fleetCaFingerprintSha256'],
      PORTCULLIS_DISCOVERY_ADDRESS: `${a.discovery},${b.discovery}`,
      PORTCULLIS_EDGE_HTTPS_PORT: String(httpsPort),
      PORTCULLIS_EDGE_ADMIN_PORT: String(adminPort),
      PORTCULLIS_STATE_DIR: path.join(dir, 'edge'),
      PORTCULLIS_LOG_LEVEL: 'info',
    });
    running.push(edge);
    const status = async (): Promise<Json> => (await fetch(`http://127.0.0.1:${adminPort}/status`)).json() as Promise<Json>;
    const streams = async (): Promise<Json[]> => (await status())['streams'] as Json[];
    const allOn = async (replica: Replica) => (await streams()).every((s) => s['connected'] === true && s['target'] === replica.discovery);
    await eventually('edge connected to replica a', 30_000, () => allOn(a), running);

    // A site with mTLS on api.example.com and a rule that blocks requests without a verified certificate.
    const account = await call(a, 'POST', '/v1/accounts', adminToken, { name: 'Failover' });
    const key = account['apiKey']['secret'] as string;
    const site = await call(a, 'POST', '/v1/sites', key, { name: 'example.com', originUrl: origin.url });
    const siteId = site['id'] as string;
    const server = await pki.serverCertificate(['example.com', '*.example.com']);
    await call(a, 'POST', `/v1/sites/${siteId}/server-certificates`, key, { certificate: server.chainPem, privateKey: server.keyPem });
    const issued = await call(a, 'POST', `/v1/sites/${siteId}/client-certificates`, key, { pkeyType: 'ECC', validityDays: 30 });
    const client = {
      chainPem: issued['certificate']['certificate'] as string,
      keyPem: issued['privateKey'] as string,
      certFile: pki.file('device.pem', issued['certificate']['certificate']),
      keyFile: pki.file('device.key', issued['privateKey']),
    };
    await call(a, 'PUT', `/v1/sites/${siteId}/ca-bindings/account`, key, { hostnames: ['api.example.com'] });
    await call(a, 'POST', `/v1/sites/${siteId}/waf-rules`, key, {
      expression: 'http.host eq "api.example.com" and not ssl.client_cert.verified',
      action: { type: 'block', status: 403 },
    });
    const get = (withCert: boolean) =>
      curl(httpsPort, 'api.example.com', '/', { cacert: pki.serverCaFile, ...(withCert ? { cert: client } : {}) });
    await eventually(
      'configuration in force',
      20_000,
      async () => (await get(true)).status === 200 && (await get(false)).status === 403,
      running,
    );
    await eventually('heartbeats from replica a', 5_000, async () => (await streams()).every((s) => s['configAgeMs'] < 2_000), running);

    // Replica a hangs: its connections stay open and silent.
    a.process.child.kill('SIGSTOP');
    stopped.push(a.process);
    const hungAt = Date.now();
    await eventually(
      'edge connected to replica b',
      15_000,
      () => allOn(b),
      running.filter((p) => p !== a.process),
    );
    const failoverMs = Date.now() - hungAt;
    console.log(`hung replica left for the healthy one in ${failoverMs} ms`);
    expect(failoverMs).toBeLessThan(5_000);
    for (const stream of await streams()) {
      expect(stream['staleCalls'], stream['type']).toBeGreaterThanOrEqual(1);
      expect(stream['lastError'], stream['type']).toMatch(/^stale: nothing from the control plane for \d+ ms$/);
    }
    // Each stream went stale (connected turned false: the warning below says when) before it moved.
    const lines = edge.logLines();
    const lost = lines.findIndex((l) => l['msg'] === 'control plane lost: serving the last configuration until it is back');
    const back = lines.findIndex((l) => l['msg'] === 'control plane back: configuration current again');
    expect(lost).toBeGreaterThan(-1);
    expect(back).toBeGreaterThan(lost);
    expect([lines[lost]!['level'], lines[back]!['level']]).toEqual([40, 30]);
    expect(lines.filter((l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('control plane lost'))).toHaveLength(1);

    // A revocation made through replica b reaches the edge: the exact revision and resource.
    const before = (await call(b, 'GET', '/v1/edges', adminToken))['systemVersion'] as number;
    await call(b, 'POST', `/v1/sites/${siteId}/client-certificates/${issued['certificate']['id']}/revoke`, key, { confirm: true });
    let revision = before;
    await eventually(
      'replica b reflects the revocation',
      5_000,
      async () => (revision = (await call(b, 'GET', '/v1/edges', adminToken))['systemVersion'] as number) > before,
      running.filter((p) => p !== a.process),
    );
    const revocationName = `revocations/${account['account']['id']}`;
    await eventually(
      'revocation applied by the edge',
      10_000,
      async () => {
        const now = await status();
        const stream = (now['streams'] as Json[]).find((s) => s['type'] === 'revocations')!;
        return stream['systemVersion'] >= revision && Object.keys(now['resources']['revocations']['versions']).length === 1;
      },
      running.filter((p) => p !== a.process),
    );
    const final = await status();
    const seenByB = await call(b, 'GET', '/v1/edges/edge-failover', adminToken);
    expect(seenByB).toMatchObject({ connected: true });
    expect(seenByB['versions']['portcullis.edge.v1.RevocationSet']).toEqual(final['resources']['revocations']['versions']);
    expect(Object.keys(final['resources']['revocations']['versions'])).toEqual([revocationName]);
    expect((await get(true)).status).toBe(403);

    a.process.child.kill('SIGCONT');
    stopped.splice(0);
  });
});
