import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { freePort, startRedis, type TestRedis } from '@portcullis/testing';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { adminApi, type AdminApi } from '../src/grpc/test/admin-fixture.ts';
import { startTcpRelay, type TcpRelay } from '../src/store/test/tcp-relay.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const adminToken = `adm_${randomBytes(24).toString('base64url')}`;
const masterKey = randomBytes(32).toString('base64');

/** One real control-plane process on loopback ports, with everything it printed. */
interface ControlPlane {
  readonly base: string;
  readonly grpc: AdminApi;
  readonly process: ChildProcess;
  output: string;
}

async function startControlPlane(redisUrl: string): Promise<ControlPlane> {
  const [httpPort, grpcPort, discoveryPort] = [await freePort(), await freePort(), await freePort()];
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
  const child = spawn(process.execPath, ['apps/control-plane/src/main.ts'], {
    cwd: repoRoot,
    env: {
      ...env,
      PORTCULLIS_REDIS_URL: redisUrl,
      PORTCULLIS_MASTER_KEY: masterKey,
      PORTCULLIS_ADMIN_TOKEN: adminToken,
      PORTCULLIS_HTTP_PORT: String(httpPort),
      PORTCULLIS_GRPC_PORT: String(grpcPort),
      PORTCULLIS_DISCOVERY_PORT: String(discoveryPort),
      PORTCULLIS_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const controlPlane: ControlPlane = {
    base: `http://127.0.0.1:${httpPort}`,
    grpc: adminApi(`127.0.0.1:${grpcPort}`),
    process: child,
    output: '',
  };
  child.stdout!.on('data', (chunk: Buffer) => (controlPlane.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (controlPlane.output += chunk.toString()));
  // Everything has started (discovery last) once it says so; then /readyz speaks for the store.
  await until('the control plane has started', 20_000, async () => controlPlane.output.includes('control plane ready'), controlPlane);
  expect((await readiness(controlPlane)).status).toBe(200);
  return controlPlane;
}

/** Polls `check` every 100 ms until it holds or `ms` pass (then throws, with the process output). */
async function until(what: string, ms: number, check: () => Promise<boolean>, controlPlane?: ControlPlane): Promise<void> {
  for (const deadline = Date.now() + ms; ;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline || controlPlane?.process.exitCode != null) {
      throw new Error(`timed out waiting until ${what}\n${controlPlane?.output ?? ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function readiness(controlPlane: ControlPlane) {
  const answer = await fetch(`${controlPlane.base}/readyz`, { signal: AbortSignal.timeout(5_000) });
  return { status: answer.status, body: (await answer.json()) as Record<string, unknown> };
}

/** One API call as the administrator, timed; a call that takes over 8 s is aborted (counted as hanging). */
async function call(controlPlane: ControlPlane, method: string, route: string, body?: unknown) {
  const started = Date.now();
  const answer = await fetch(`${controlPlane.base}${route}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(8_000),
  });
  return {
    status: answer.status,
    retryAfter: answer.headers.get('retry-after'),
    body: (await answer.json()) as Record<string, any>, // eslint-disable-line @typescript-eslint/no-explicit-any
    ms: Date.now() - started,
  };
}

/** A gRPC admin call's failure, timed. */
async function grpcFailure(controlPlane: ControlPlane, accountId: string) {
  const started = Date.now();
  const error = (await controlPlane.grpc.accounts.getAccount({ accountId }, adminToken).then(
    () => undefined,
    (e: unknown) => e,
  )) as ServiceError | undefined;
  return { code: error?.code, errorCode: error?.metadata.get('portcullis-error-code'), ms: Date.now() - started };
}

/** While the store is away: fail fast with 503 Store.Unavailable everywhere, say so on /readyz, stay alive on /healthz. */
async function expectUnavailable(controlPlane: ControlPlane, accountId: string): Promise<void> {
  // The first call may wait on the store, boundedly: the command timeout, not forever.
  const write = await call(controlPlane, 'POST', '/v1/accounts', { name: 'during the outage' });
  expect(write).toMatchObject({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), body: { code: 'Store.Unavailable' } });
  expect(write.ms).toBeLessThan(5_000);

  await until('/readyz says not ready', 10_000, async () => (await readiness(controlPlane)).status === 503, controlPlane);
  expect((await readiness(controlPlane)).body).toEqual({ ready: false, reason: expect.any(String), since: expect.any(String) });
  expect((await fetch(`${controlPlane.base}/healthz`)).status).toBe(200);

  // Now known unhealthy: refused at once, without waiting on the store.
  const read = await call(controlPlane, 'GET', `/v1/accounts/${accountId}`);
  expect(read).toMatchObject({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), body: { code: 'Store.Unavailable' } });
  expect(read.ms).toBeLessThan(1_000);
  const viaGrpc = await grpcFailure(controlPlane, accountId);
  expect(viaGrpc).toMatchObject({ code: status.UNAVAILABLE, errorCode: ['Store.Unavailable'] });
  expect(viaGrpc.ms).toBeLessThan(1_000);
}

/** Once the store is back: ready again by itself, and the write made before the outage is there. */
async function expectRecovered(controlPlane: ControlPlane, accountId: string): Promise<void> {
  await until('/readyz says ready again', 20_000, async () => (await readiness(controlPlane)).status === 200, controlPlane);
  expect(await call(controlPlane, 'GET', `/v1/accounts/${accountId}`)).toMatchObject({
    status: 200,
    body: { id: accountId, name: 'before the outage' },
  });
  expect((await controlPlane.grpc.accounts.getAccount({ accountId }, adminToken)).response.account?.name).toBe('before the outage');
  expect(controlPlane.output.match(/store unavailable: not serving until it answers/g)).toHaveLength(1);
  expect(controlPlane.output.match(/store reachable again/g)).toHaveLength(1);
  // The outage is told once per component (health monitor, discovery, change-log reader): no error line per refused request, no warning per reconnect attempt.
  const warnings = controlPlane.output.split('\n').filter((line) => /"level":[4-6]0,/.test(line));
  expect(warnings.map((line) => JSON.parse(line).msg as string).sort()).toEqual(
    [
      'discovery stopped: the replica cannot confirm it reads the current store',
      'reading change records failed',
      'store unavailable: not serving until it answers',
    ].sort(),
  );
}

describe('a control-plane process whose Redis goes away', () => {
  let redis: TestRedis | undefined;
  let relay: TcpRelay | undefined;
  let controlPlane: ControlPlane | undefined;
  afterEach(async () => {
    for (const client of Object.values(controlPlane?.grpc ?? {})) client.close();
    const child = controlPlane?.process;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await relay?.close();
    await redis?.stop();
    [redis, relay, controlPlane] = [undefined, undefined, undefined];
  });

  it('answers 503 Store.Unavailable, never hangs, while its link to Redis is black-holed, and recovers', async () => {
    redis = await startRedis();
    relay = await startTcpRelay(redis.port);
    controlPlane = await startControlPlane(`redis://127.0.0.1:${relay.port}`);
    const created = await call(controlPlane, 'POST', '/v1/accounts', { name: 'before the outage' });
    expect(created.status).toBe(201);
    const accountId = created.body.account.id as string;

    relay.pause();
    await expectUnavailable(controlPlane, accountId);
    relay.resume();
    await expectRecovered(controlPlane, accountId);
  });

  it('answers 503 Store.Unavailable, never 500, while Redis is stopped, and recovers when it restarts', async () => {
    redis = await startRedis();
    controlPlane = await startControlPlane(redis.url);
    const created = await call(controlPlane, 'POST', '/v1/accounts', { name: 'before the outage' });
    expect(created.status).toBe(201);
    const accountId = created.body.account.id as string;

    // The server process ends (its container stops with it); the append-only file keeps the data.
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    admin.on('error', () => {});
    await admin.call('SHUTDOWN').catch(() => undefined);
    admin.disconnect();

    await expectUnavailable(controlPlane, accountId);
    await redis.restart();
    await expectRecovered(controlPlane, accountId);
  });
});
