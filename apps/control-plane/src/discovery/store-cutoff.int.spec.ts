import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startRedis, type TestRedis } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpRelay, type TcpRelay } from '../store/test/tcp-relay.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/** A JSON answer read loosely: the test checks what it uses. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked by the assertions
type Json = Record<string, any>;

interface Running {
  readonly child: ChildProcess;
  output(): string;
}

/** A Portcullis entry file as its own process (the edge is started by path: the control plane imports nothing of it). */
function run(entry: string, env: Record<string, string>): Running {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
  const child = spawn(process.execPath, [entry], { cwd: repoRoot, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** Polls `probe` every 100 ms for at most `timeoutMs`, showing the processes' output if it never holds. */
async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>, processes: Running[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs} ms\n${processes.map((p) => p.output().slice(-3000)).join('\n---\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The second fault an operator found: a replica cut off from its store kept its edges "in
 * sync" at a stale revision. Two replica processes on one Redis, replica a reaching it
 * through a TCP relay the test black-holes (connections stay open, nothing arrives): a must
 * stop serving discovery, so the edge moves to b and keeps receiving changes from there.
 */
describe('a replica cut off from its store', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-cutoff-'));
  const adminToken = `adm_${randomBytes(24).toString('base64url')}`;
  const masterKey = randomBytes(32).toString('base64');
  let redis: TestRedis;
  let relay: TcpRelay;
  const processes: Running[] = [];

  beforeAll(async () => {
    redis = await startRedis({ appendOnly: false });
    relay = await startTcpRelay(redis.port);
  });
  afterAll(async () => {
    for (const proc of processes) proc.child.kill('SIGKILL');
    await Promise.all(
      processes.map((p) => new Promise((resolve) => (p.child.exitCode !== null ? resolve(null) : p.child.once('exit', resolve)))),
    );
    await relay?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function replica(redisUrl: string) {
    const [httpPort, grpcPort, discoveryPort] = [await freePort(), await freePort(), await freePort()];
    const proc = run('apps/control-plane/src/main.ts', {
      PORTCULLIS_REDIS_URL: redisUrl,
      PORTCULLIS_MASTER_KEY: masterKey,
      PORTCULLIS_ADMIN_TOKEN: adminToken,
      PORTCULLIS_HTTP_PORT: String(httpPort),
      PORTCULLIS_GRPC_PORT: String(grpcPort),
      PORTCULLIS_DISCOVERY_PORT: String(discoveryPort),
      PORTCULLIS_LOG_LEVEL: 'warn',
    });
    processes.push(proc);
    const api = `http://127.0.0.1:${httpPort}`;
    await until('replica ready', 30_000, async () => (await fetch(`${api}/healthz`)).ok, processes);
    const call = async (method: string, route: string, token: string, body?: unknown): Promise<Json> => {
      const response = await fetch(`${api}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = (await response.json()) as Json;
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    return { proc, api, call, discovery: `127.0.0.1:${discoveryPort}` };
  }

  it('stops serving discovery, so its edge moves to the healthy replica and gets changes from there', async () => {
    const a = await replica(`redis://127.0.0.1:${relay.port}`);
    const b = await replica(redis.url);
    const joinToken = await a.call('POST', '/v1/edge-join-tokens', adminToken, { name: 'cutoff' });
    const tokenFile = path.join(dir, 'join-token');
    writeFileSync(tokenFile, `${joinToken['token']}\n`, { mode: 0o600 });
    const adminPort = await freePort();
    const edge = run('apps/edge-node/src/main.ts', {
      PORTCULLIS_NODE_ID: 'edge-cutoff',
      PORTCULLIS_CONTROL_PLANE_URL: a.api,
      PORTCULLIS_JOIN_TOKEN_FILE: tokenFile,
      PORTCULLIS_FLEET_CA_SHA256: joinToken['fleetCaFingerprintSha256'],
      PORTCULLIS_DISCOVERY_ADDRESS: `${a.discovery},${b.discovery}`,
      PORTCULLIS_EDGE_HTTPS_PORT: String(await freePort()),
      PORTCULLIS_EDGE_ADMIN_PORT: String(adminPort),
      PORTCULLIS_STATE_DIR: path.join(dir, 'edge'),
      PORTCULLIS_LOG_LEVEL: 'warn',
    });
    processes.push(edge);
    const status = async (): Promise<Json> => (await fetch(`http://127.0.0.1:${adminPort}/status`)).json() as Promise<Json>;
    const allOn = async (target: string) =>
      ((await status())['streams'] as Json[]).every((s) => s['connected'] === true && s['target'] === target);
    await until('edge on replica a', 30_000, () => allOn(a.discovery), processes);
    const onA = await a.call('GET', '/v1/edges/edge-cutoff', adminToken);
    expect(onA['types'].every((t: Json) => t['inSync'] === true)).toBe(true);

    relay.pause();
    const cutAt = Date.now();
    await until('edge on replica b', 15_000, () => allOn(b.discovery), processes);
    const movedMs = Date.now() - cutAt;
    console.log(`edge left the replica cut off from its store in ${movedMs} ms`);
    // The store health monitor gives up on a probe after 2 s; then the streams end at once.
    expect(movedMs).toBeLessThan(8_000);
    for (const stream of (await status())['streams'] as Json[]) {
      expect(stream['lastError'], stream['type']).toContain('this replica cannot confirm it reads the current store');
    }
    // While cut off, replica a answers 503 rather than vouching for anything.
    expect((await fetch(`${a.api}/readyz`)).status).toBe(503);

    // A change made on b reaches the edge, at b's revision.
    const account = await b.call('POST', '/v1/accounts', adminToken, { name: 'After the cut' });
    const site = await b.call('POST', '/v1/sites', account['apiKey']['secret'], {
      name: 'cut.example.com',
      originUrl: 'https://o.example.net',
    });
    let revision = 0;
    await until(
      'b reflects the site',
      5_000,
      async () => {
        const listed = await b.call('GET', '/v1/edges', adminToken);
        revision = listed['systemVersion'] as number;
        const seen = await b.call('GET', '/v1/edges/edge-cutoff', adminToken);
        return seen['versions']['portcullis.edge.v1.Site']?.[`site/${site['id']}`] !== undefined;
      },
      processes,
    );
    const now = await status();
    expect(now['streams'].find((s: Json) => s['type'] === 'site')['systemVersion']).toBeGreaterThanOrEqual(revision);
    expect(Object.keys(now['resources']['site']['versions'])).toContain(`site/${site['id']}`);

    // Reconnected to its store, a serves again; the edge stays where it is.
    relay.resume();
    await until('replica a ready again', 10_000, async () => (await fetch(`${a.api}/readyz`)).ok, processes);
    expect(await allOn(b.discovery)).toBe(true);
  });
});
