import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { freePort, startRedis, type TestRedis } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa } from './support/pki.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/** One control plane as its own process, reached over HTTP on a free loopback port. */
interface Replica {
  readonly base: string;
  readonly process: ChildProcess;
  output: string;
}

/**
 * Two control-plane processes, as two replicas would run, sharing one Redis: the limits the
 * product promises (5 custom CAs per plan, one whole hostname list per binding) hold when
 * the competing requests land on different processes at the same moment.
 */
describe('two control-plane processes on one Redis', () => {
  let redis: TestRedis;
  const replicas: Replica[] = [];
  const adminToken = `adm_${randomBytes(24).toString('base64url')}`;
  const masterKey = randomBytes(32).toString('base64');

  async function startReplica(): Promise<Replica> {
    const [httpPort, grpcPort, discoveryPort] = [await freePort(), await freePort(), await freePort()];
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
    const child = spawn(process.execPath, ['apps/control-plane/src/main.ts'], {
      cwd: repoRoot,
      env: {
        ...env,
        PORTCULLIS_REDIS_URL: redis.url,
        PORTCULLIS_MASTER_KEY: masterKey,
        PORTCULLIS_ADMIN_TOKEN: adminToken,
        PORTCULLIS_HTTP_PORT: String(httpPort),
        PORTCULLIS_GRPC_PORT: String(grpcPort),
        PORTCULLIS_DISCOVERY_PORT: String(discoveryPort),
        PORTCULLIS_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const replica: Replica = { base: `http://127.0.0.1:${httpPort}`, process: child, output: '' };
    child.stdout!.on('data', (chunk: Buffer) => (replica.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (replica.output += chunk.toString()));
    for (const until = Date.now() + 20_000; ;) {
      try {
        if ((await fetch(`${replica.base}/healthz`)).ok) return replica;
      } catch {
        // not listening yet
      }
      if (Date.now() > until || child.exitCode !== null) throw new Error(`replica did not start:\n${replica.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function call(replica: Replica, key: string, method: string, route: string, body?: unknown) {
    const answer = await fetch(`${replica.base}${route}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: answer.status, body: (await answer.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  beforeAll(async () => {
    redis = await startRedis();
    replicas.push(await startReplica(), await startReplica());
  });
  afterAll(async () => {
    for (const replica of replicas) replica.process.kill('SIGTERM');
    await Promise.all(
      replicas.map((r) => new Promise((resolve) => (r.process.exitCode !== null ? resolve(null) : r.process.once('exit', resolve)))),
    );
    await redis?.stop();
  });

  it('lets exactly one of six concurrent uploads take the fifth custom CA slot, across processes', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const account = await call(a, adminToken, 'POST', '/v1/accounts', { name: 'two processes' });
    expect(account.status).toBe(201);
    const key = account.body.apiKey.secret as string;
    const site = await call(b, key, 'POST', '/v1/sites', {
      name: `replicas-${randomBytes(3).toString('hex')}.example.com`,
      originUrl: 'https://origin.example.net',
    });
    expect(site.status).toBe(201);
    const uploads = `/v1/sites/${site.body.id}/client-ca-certificates`;
    for (let i = 0; i < 4; i++) {
      expect(
        (await call(i % 2 ? a : b, key, 'POST', uploads, { certificate: (await makeCa(`Existing ${i}`)).certificatePem })).status,
      ).toBe(201);
    }
    const contenders = await Promise.all(Array.from({ length: 6 }, (_, i) => makeCa(`Contender ${i}`)));
    const answers = await Promise.all(
      contenders.map((ca, i) => call(i % 2 ? a : b, key, 'POST', uploads, { certificate: ca.certificatePem })),
    );
    expect(answers.map((x) => x.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    expect(answers.filter((x) => x.status === 409).every((x) => x.body.code === 'QuotaExceeded.CaCertificate')).toBe(true);
    expect((await call(a, key, 'GET', uploads)).body.totalCount).toBe(5);
    expect((await call(b, key, 'GET', uploads)).body.totalCount).toBe(5);
  });

  it('keeps one whole hostname list when both processes set bindings at once', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const account = await call(b, adminToken, 'POST', '/v1/accounts', { name: 'bindings race' });
    const key = account.body.apiKey.secret as string;
    const zone = `bind-${randomBytes(3).toString('hex')}.example.com`;
    const site = await call(a, key, 'POST', '/v1/sites', { name: zone, originUrl: 'https://origin.example.net' });
    const url = `/v1/sites/${site.body.id}/ca-bindings/account`;
    const lists = Array.from({ length: 8 }, (_, i) => Array.from({ length: 20 }, (_, j) => `h${i}-${j}.${zone}`));
    const answers = await Promise.all(lists.map((hostnames, i) => call(i % 2 ? a : b, key, 'PUT', url, { hostnames })));
    expect(answers.every((x) => x.status === 200)).toBe(true);
    const final = (await call(a, key, 'GET', url)).body.hostnames as string[];
    expect(lists).toContainEqual(final);
    expect((await call(b, key, 'GET', url)).body.hostnames).toEqual(final);
  });
});
