import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auditLog,
  buildTestApp,
  call,
  createAccount,
  createSite,
  expectError,
  rpc,
  expectRpcError,
  snapshot,
  type TestAccount,
  type TestApp,
} from './support/test-app.ts';

const apiKeyPattern = /^pk_key_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/;

describe('accounts and API keys', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t?.close());

  it('creates an account with its first key (admin), stores only the key hash, and audits both', async () => {
    const revision = await t.store.revision();
    const answer = await call(t.app, t.adminToken, 'POST', '/v1/accounts', { name: 'Acme' });
    expect(answer.status).toBe(201);
    const { account, apiKey } = answer.body;
    expect(account).toEqual({
      id: expect.stringMatching(/^acc_[0-9a-f]{20}$/),
      name: 'Acme',
      plan: { customCaQuota: 5 },
      createdAt: expect.any(String),
    });
    expect(apiKey.key).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{20}$/),
      accountId: account.id,
      name: 'initial',
      createdAt: expect.any(String),
    });
    expect(apiKey.secret).toMatch(apiKeyPattern);
    expect(apiKey.secret).toContain(apiKey.key.id);
    expect(await t.store.revision()).toBe(revision + 1);

    const storedAccount = await t.store.get('account', account.id);
    expect(storedAccount?.data).toEqual(account);
    const storedKey = await t.store.get('apiKey', apiKey.key.id);
    expect(storedKey?.data.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(storedKey)).not.toContain(apiKey.secret.slice(-43));

    const entries = await auditLog(t, { accountId: account.id, keyId: apiKey.key.id, apiKey: apiKey.secret });
    expect(entries.map((e) => [e.action, e.actor, e.requestId])).toEqual([
      ['ApiKey.Create', 'admin', answer.raw.headers['x-request-id']],
      ['Account.Create', 'admin', answer.raw.headers['x-request-id']],
    ]);
  });

  it('takes a plan', async () => {
    const answer = await call(t.app, t.adminToken, 'POST', '/v1/accounts', { name: 'Small', plan: { customCaQuota: 1 } });
    expect(answer.status).toBe(201);
    expect(answer.body.account.plan).toEqual({ customCaQuota: 1 });
    expect((await t.store.get('account', answer.body.account.id))?.data.plan).toEqual({ customCaQuota: 1 });
  });

  it('lists accounts for the administrator, paged, oldest first', async () => {
    const a = await createAccount(t, { name: 'list-1' });
    const b = await createAccount(t, { name: 'list-2' });
    const all = await call(t.app, t.adminToken, 'GET', '/v1/accounts?pageSize=100');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ pageNumber: 1, pageSize: 100, totalCount: all.body.items.length });
    const ids = all.body.items.map((i: { id: string }) => i.id);
    expect(ids.indexOf(a.accountId)).toBeLessThan(ids.indexOf(b.accountId));
    const page = await call(t.app, t.adminToken, 'GET', `/v1/accounts?pageSize=1&pageNumber=${ids.indexOf(b.accountId) + 1}`);
    expect(page.body.items).toEqual([expect.objectContaining({ id: b.accountId, name: 'list-2' })]);
    expect(page.body.totalCount).toBe(all.body.totalCount);
    const beyond = await call(t.app, t.adminToken, 'GET', '/v1/accounts?pageSize=100&pageNumber=500');
    expect(beyond.body.items).toEqual([]);
  });

  it('shows an account to itself and to the administrator; an unknown one is NotFound.Account', async () => {
    const a = await createAccount(t, { name: 'self' });
    for (const key of [a.apiKey, t.adminToken]) {
      const answer = await call(t.app, key, 'GET', `/v1/accounts/${a.accountId}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ id: a.accountId, name: 'self', plan: { customCaQuota: 5 }, createdAt: expect.any(String) });
    }
    expectError(await call(t.app, t.adminToken, 'GET', '/v1/accounts/acc_00000000000000000000'), 404, 'NotFound.Account');
  });

  it('creates more keys (shown once), lists them without secrets, and revokes them at once', async () => {
    const a = await createAccount(t);
    const created = await call(t.app, a.apiKey, 'POST', `/v1/accounts/${a.accountId}/api-keys`, { name: 'ci' });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(apiKeyPattern);
    expect(created.body.key).toMatchObject({ accountId: a.accountId, name: 'ci' });
    const byAdmin = await call(t.app, t.adminToken, 'POST', `/v1/accounts/${a.accountId}/api-keys`, { name: 'support' });
    expect(byAdmin.status).toBe(201);
    const second = created.body.secret as string;
    expect((await call(t.app, second, 'GET', '/v1/sites')).status).toBe(200);

    const listed = await call(t.app, a.apiKey, 'GET', `/v1/accounts/${a.accountId}/api-keys`);
    expect(listed.status).toBe(200);
    expect(listed.body.totalCount).toBe(3);
    expect(listed.body.items.map((k: { name: string }) => k.name)).toEqual(['initial', 'ci', 'support']);
    for (const item of listed.body.items) expect(Object.keys(item).sort()).toEqual(['accountId', 'createdAt', 'id', 'name']);
    expect(listed.raw.body).not.toContain(second.slice(-43));
    expect(listed.raw.body).not.toContain('secretHash');
    expect(
      (await call(t.app, t.adminToken, 'GET', `/v1/accounts/${a.accountId}/api-keys?pageSize=2&pageNumber=2`)).body.items,
    ).toHaveLength(1);

    const revoked = await call(t.app, a.apiKey, 'DELETE', `/v1/accounts/${a.accountId}/api-keys/${created.body.key.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: created.body.key.id, revokedAt: expect.any(String) });
    expectError(await call(t.app, second, 'GET', '/v1/sites'), 401, 'Auth.InvalidKey');
    // Revoking again changes nothing and answers the same key.
    const s = await snapshot(t, a);
    const again = await call(t.app, a.apiKey, 'DELETE', `/v1/accounts/${a.accountId}/api-keys/${created.body.key.id}`);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
    await s.expectUnchanged();
    expect((await auditLog(t, a)).filter((e) => e.action === 'ApiKey.Revoke')).toHaveLength(1);
    expectError(
      await call(t.app, a.apiKey, 'DELETE', `/v1/accounts/${a.accountId}/api-keys/key_00000000000000000000`),
      404,
      'NotFound.ApiKey',
    );
    // An account can revoke the very key it calls with; the next call is refused.
    expect((await call(t.app, a.apiKey, 'DELETE', `/v1/accounts/${a.accountId}/api-keys/${a.keyId}`)).status).toBe(200);
    expectError(await call(t.app, a.apiKey, 'GET', '/v1/sites'), 401, 'Auth.InvalidKey');
  });
});

describe('authentication', () => {
  let t: TestApp;
  let a: TestAccount;
  beforeAll(async () => {
    t = await buildTestApp();
    a = await createAccount(t);
  });
  afterAll(async () => t?.close());

  it('refuses a request without a key: Auth.MissingKey (REST and RPC)', async () => {
    expectError(await call(t.app, undefined, 'GET', '/v1/sites'), 401, 'Auth.MissingKey');
    expectRpcError(await rpc(t.app, undefined, 'ListClientCertificates', { SiteId: 'site_x' }), 401, 'Auth.MissingKey');
  });

  it.each([
    ['a well-formed key that does not exist', () => `pk_key_${randomBytes(10).toString('hex')}_${randomBytes(32).toString('base64url')}`],
    ['an existing key id with a wrong secret', () => `pk_${a.keyId}_${randomBytes(32).toString('base64url')}`],
    ['a truncated key', () => a.apiKey.slice(0, -1)],
    ['garbage', () => 'hello'],
    ['an injection attempt', () => "pk_key_' OR 1=1 --"],
    ['the admin token with a character changed', () => `${t.adminToken.slice(0, -1)}${t.adminToken.endsWith('A') ? 'B' : 'A'}`],
  ])('refuses %s: Auth.InvalidKey', async (_label, key) => {
    expectError(await call(t.app, key(), 'GET', '/v1/sites'), 401, 'Auth.InvalidKey');
    expectRpcError(await rpc(t.app, key(), 'ListClientCertificates', { SiteId: 'site_x' }), 401, 'Auth.InvalidKey');
  });

  it.each([['Basic dXNlcjpwYXNz'], ['Bearer'], ['Bearer '], ['Bearer a b'], ['Token abc']])(
    'refuses a malformed Authorization header %j: Auth.InvalidKey',
    async (header) => {
      expectError(await call(t.app, undefined, 'GET', '/v1/sites', undefined, { authorization: header }), 401, 'Auth.InvalidKey');
    },
  );

  it('accepts the bearer scheme case-insensitively', async () => {
    expect((await call(t.app, undefined, 'GET', '/v1/sites', undefined, { authorization: `bearer ${a.apiKey}` })).status).toBe(200);
  });

  it('keeps administrator routes from account keys: Auth.AdminOnly', async () => {
    const s = await snapshot(t, a);
    expectError(await call(t.app, a.apiKey, 'POST', '/v1/accounts', { name: 'sneaky' }), 403, 'Auth.AdminOnly');
    expectError(await call(t.app, a.apiKey, 'GET', '/v1/accounts'), 403, 'Auth.AdminOnly');
    await s.expectUnchanged();
  });

  it('keeps account routes from the administrator token: Auth.AccountOnly (REST and RPC)', async () => {
    const site = await createSite(t, a);
    const revision = await t.store.revision();
    expectError(await call(t.app, t.adminToken, 'GET', '/v1/sites'), 403, 'Auth.AccountOnly');
    expectError(
      await call(t.app, t.adminToken, 'POST', '/v1/sites', { name: 'admin.example.com', originUrl: 'https://o.example.net' }),
      403,
      'Auth.AccountOnly',
    );
    expectError(await call(t.app, t.adminToken, 'GET', `/v1/sites/${site.id}`), 403, 'Auth.AccountOnly');
    expectError(await call(t.app, t.adminToken, 'GET', '/v1/account-ca'), 403, 'Auth.AccountOnly');
    expectRpcError(await rpc(t.app, t.adminToken, 'ListClientCertificates', { SiteId: site.id }), 403, 'Auth.AccountOnly');
    expect(await t.store.revision()).toBe(revision);
  });

  it('answers unknown routes and actions with NotFound.Route', async () => {
    expectError(await call(t.app, a.apiKey, 'GET', '/v1/nothing-here'), 404, 'NotFound.Route');
    expectError(await call(t.app, undefined, 'GET', '/v2/sites'), 404, 'NotFound.Route');
    expectRpcError(await rpc(t.app, a.apiKey, 'DescribeEverything'), 404, 'NotFound.Route');
    expectRpcError(await call(t.app, a.apiKey, 'POST', '/', {}), 404, 'NotFound.Route');
  });

  it('throttles a caller beyond its burst: Throttling (429), per caller', async () => {
    const limited = await buildTestApp({ rateLimit: { perSecond: 0.001, burst: 3 } });
    try {
      const x = await createAccount(limited);
      const y = await createAccount(limited);
      for (let i = 0; i < 3; i++) expect((await call(limited.app, x.apiKey, 'GET', '/v1/sites')).status).toBe(200);
      expectError(await call(limited.app, x.apiKey, 'GET', '/v1/sites'), 429, 'Throttling');
      expectRpcError(await rpc(limited.app, x.apiKey, 'ListClientCertificates', { SiteId: 'site_x' }), 429, 'Throttling');
      expect((await call(limited.app, y.apiKey, 'GET', '/v1/sites')).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t?.close());

  it("lists the account's own changes newest first, with who, what, when and the request id, paged", async () => {
    const a = await createAccount(t);
    const other = await createAccount(t);
    await createSite(t, other);
    const site = await call(t.app, a.apiKey, 'POST', '/v1/sites', { name: 'audit.example.org', originUrl: 'https://o.example.net' });
    const patched = await call(t.app, a.apiKey, 'PATCH', `/v1/sites/${site.body.id}`, { originUrl: 'https://p.example.net' });
    const log = await call(t.app, a.apiKey, 'GET', '/v1/audit-log');
    expect(log.status).toBe(200);
    expect(log.body).toMatchObject({ totalCount: 4, pageNumber: 1, pageSize: 20 });
    expect(log.body.items.map((e: { action: string }) => e.action)).toEqual([
      'Site.Update',
      'Site.Create',
      'ApiKey.Create',
      'Account.Create',
    ]);
    const [update, create] = log.body.items;
    expect(update).toEqual({
      id: expect.any(String),
      revision: expect.any(Number),
      at: expect.any(String),
      actor: `key:${a.keyId}`,
      requestId: patched.raw.headers['x-request-id'],
      action: 'Site.Update',
      target: { kind: 'site', id: site.body.id },
      details: { originUrl: 'https://p.example.net', forwardClientCert: false },
    });
    expect(create.requestId).toBe(site.raw.headers['x-request-id']);
    expect(update.revision).toBeGreaterThan(create.revision);
    const second = await call(t.app, a.apiKey, 'GET', '/v1/audit-log?pageSize=3&pageNumber=2');
    expect(second.body.items.map((e: { action: string }) => e.action)).toEqual(['Account.Create']);
    expect((await call(t.app, a.apiKey, 'GET', '/v1/audit-log?pageSize=3&pageNumber=3')).body.items).toEqual([]);
  });
});
