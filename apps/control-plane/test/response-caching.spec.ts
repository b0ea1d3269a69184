import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, call, createAccount, createSite, rpc, type TestAccount, type TestApp } from './support/test-app.ts';

/**
 * API answers carry account data and secrets shown once (a private key, an API key): no
 * browser or proxy cache may keep them, errors included.
 */
describe('API answers are never cached', () => {
  let t: TestApp;
  let a: TestAccount;
  beforeAll(async () => {
    t = await buildTestApp();
    a = await createAccount(t);
  });
  afterAll(async () => t?.close());

  it('says no-store on REST and RPC answers, successes and errors alike', async () => {
    const site = await createSite(t, a);
    const answers = [
      await call(t.app, t.adminToken, 'POST', '/v1/accounts', { name: 'cached?' }),
      await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/client-certificates`, { pkeyType: 'ECC', validityDays: 30 }),
      await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/client-certificates`),
      await call(t.app, a.apiKey, 'GET', '/v1/sites/no-such-site'),
      await call(t.app, undefined, 'GET', '/v1/sites'),
      await rpc(t.app, a.apiKey, 'ListClientCertificates', { SiteId: site.id }),
    ];
    for (const answer of answers) expect(answer.raw.headers['cache-control'], answer.raw.body.slice(0, 80)).toBe('no-store');
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 200, 404, 401, 200]);
  });
});
