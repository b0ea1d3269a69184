import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { localKeyManager, type KeyManager } from '../../src/crypto/key-manager.ts';
import { createServices, type Services } from '../../src/domain/services.ts';
import { buildHttpApp, type HttpAppOptions } from '../../src/http/app.ts';
import { createSqliteStore } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';

/** The administrator token of every test app (the bootstrap key from the environment in production). */
export const testAdminToken = `adm_${randomBytes(24).toString('base64url')}`;

export interface TestApp {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly services: Services;
  readonly keyManager: KeyManager;
  readonly adminToken: string;
  /** Every line the fastify logger wrote, when built with `captureLogs`. */
  readonly logs: string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Default: a fresh SQLite `:memory:` store, closed with the app. */
  readonly store?: Store;
  /** Default: one fresh random master key. Replicas share one. */
  readonly keyManager?: KeyManager;
  readonly now?: () => Date;
  /** Capture the fastify logger's output (level trace) into `logs`. */
  readonly captureLogs?: boolean;
  readonly rateLimit?: HttpAppOptions['rateLimit'];
  readonly enrollRateLimit?: HttpAppOptions['enrollRateLimit'];
}

/** The HTTP app over the real services and a real store, as main.ts builds it. */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const ownStore = options.store === undefined;
  const store = options.store ?? createSqliteStore({ path: ':memory:' });
  const keyManager = options.keyManager ?? localKeyManager([randomBytes(32)]);
  const services = createServices({ store, keyManager, now: options.now ?? (() => new Date()) }, { adminToken: testAdminToken });
  const logs: string[] = [];
  const logger = options.captureLogs
    ? {
        level: 'trace',
        stream: new Writable({
          write(chunk: Buffer, _encoding, done) {
            logs.push(chunk.toString('utf8'));
            done();
          },
        }),
      }
    : false;
  const app = await buildHttpApp({
    services,
    logger,
    rateLimit: options.rateLimit ?? { perSecond: 10_000, burst: 10_000 },
    enrollRateLimit: options.enrollRateLimit ?? { perSecond: 10_000, burst: 10_000 },
  });
  await app.ready();
  return {
    app,
    store,
    services,
    keyManager,
    adminToken: testAdminToken,
    logs,
    async close() {
      await app.close();
      if (ownStore) await store.close();
    },
  };
}

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A response with its JSON body parsed (undefined when it has none). */
export interface Answer {
  readonly status: number;
  readonly body: Json;
  readonly raw: LightMyRequestResponse;
}

/** `app.inject` with a bearer key and a JSON body. */
export async function call(
  app: FastifyInstance,
  key: string | undefined,
  method: InjectOptions['method'],
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const raw = await app.inject({
    method,
    url,
    headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...headers },
    ...(body === undefined ? {} : typeof body === 'string' || Buffer.isBuffer(body) ? { payload: body } : { payload: body as object }),
  });
  let parsed: Json;
  try {
    parsed = raw.body === '' ? undefined : JSON.parse(raw.body);
  } catch {
    parsed = raw.body;
  }
  return { status: raw.statusCode, body: parsed, raw };
}

/** A call to the original product's RPC endpoint: `POST /?Action=…` with a JSON body. */
export async function rpc(
  app: FastifyInstance,
  key: string | undefined,
  action: string,
  params: Record<string, unknown> = {},
): Promise<Answer> {
  return call(app, key, 'POST', `/?Action=${encodeURIComponent(action)}`, params);
}

/** Asserts a REST error answer: status, code, message and request id. */
export function expectError(answer: Answer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body?.code }, JSON.stringify(answer.body)).toEqual({ status, code });
  expect(answer.body.message).toEqual(expect.any(String));
  expect(answer.body.requestId).toBe(answer.raw.headers['x-request-id']);
}

/** Asserts an RPC error answer: `{ RequestId, Code, Message }`. */
export function expectRpcError(answer: Answer, status: number, code: string): void {
  expect({ status: answer.status, code: answer.body?.Code }, JSON.stringify(answer.body)).toEqual({ status, code });
  expect(answer.body.Message).toEqual(expect.any(String));
  expect(answer.body.RequestId).toBe(answer.raw.headers['x-request-id']);
}

export interface TestAccount {
  readonly accountId: string;
  readonly keyId: string;
  /** The API key itself: `pk_<key id>_<secret>`. */
  readonly apiKey: string;
}

/** Creates an account through the API with the administrator token. */
export async function createAccount(t: TestApp, input: { name?: string; plan?: { customCaQuota: number } } = {}): Promise<TestAccount> {
  const answer = await call(t.app, t.adminToken, 'POST', '/v1/accounts', {
    name: input.name ?? 'Test account',
    ...(input.plan ? { plan: input.plan } : {}),
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return { accountId: answer.body.account.id, keyId: answer.body.apiKey.key.id, apiKey: answer.body.apiKey.secret };
}

let siteCounter = 0;

/** A fresh zone name no other test uses (site names are unique system-wide). */
export function uniqueZone(label = 'site'): string {
  return `${label}${++siteCounter}-${randomBytes(3).toString('hex')}.example.com`;
}

export interface TestSite {
  readonly id: string;
  readonly name: string;
}

/** Creates a site for the account through the API. */
export async function createSite(t: TestApp, account: TestAccount, name = uniqueZone()): Promise<TestSite> {
  const answer = await call(t.app, account.apiKey, 'POST', '/v1/sites', { name, originUrl: 'https://origin.example.net' });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return { id: answer.body.id, name: answer.body.name };
}

/** Issues a client certificate with a system key through the API. */
export async function createClientCertificate(
  t: TestApp,
  account: TestAccount,
  siteId: string,
  body: Record<string, unknown> = {},
): Promise<Json> {
  const answer = await call(t.app, account.apiKey, 'POST', `/v1/sites/${siteId}/client-certificates`, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body;
}

/** Uploads a custom CA through the API. */
export async function uploadCustomCa(t: TestApp, account: TestAccount, siteId: string, certificate: string, name?: string): Promise<Json> {
  const answer = await call(t.app, account.apiKey, 'POST', `/v1/sites/${siteId}/client-ca-certificates`, {
    certificate,
    ...(name ? { name } : {}),
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body;
}

/** The account's audit log as the API returns it (newest first, first 100 entries). */
export async function auditLog(t: TestApp, account: TestAccount): Promise<Json[]> {
  const answer = await call(t.app, account.apiKey, 'GET', '/v1/audit-log?pageSize=100');
  expect(answer.status).toBe(200);
  return answer.body.items;
}

/**
 * Snapshot of what a request must not change: the store's global revision and, for the
 * accounts given, their audit logs. `expectUnchanged` compares after the request.
 */
export async function snapshot(t: TestApp, ...accounts: TestAccount[]) {
  const take = async () => ({ revision: await t.store.revision(), audit: await Promise.all(accounts.map((a) => auditLog(t, a))) });
  const before = await take();
  return {
    before,
    async expectUnchanged(label = '') {
      expect(await take(), label).toEqual(before);
    },
  };
}

/** A stream of captured log lines as one string. */
export function logText(t: TestApp): string {
  return t.logs.join('');
}
