import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, apiErrors } from '../src/domain/api-error.ts';
import { maxRulesPerSite } from '../src/domain/waf-rules.ts';
import { buildTestApp, call, createAccount, createSite, expectError, snapshot, type TestApp } from './support/test-app.ts';

/** Test files of the control plane: these tests and the specs beside the code. */
function testSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testSources(file);
    return entry.name.endsWith('.spec.ts') ? [fs.readFileSync(file, 'utf8')] : [];
  });
}

describe('the error catalogue', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t?.close());

  it('has every code asserted by some test', () => {
    const sources = testSources(path.join(import.meta.dirname, '..')).join('\n');
    const untested = Object.keys(apiErrors).filter((code) => !sources.includes(`'${code}'`));
    expect(untested).toEqual([]);
  });

  it('maps every code to one of the designed statuses (500 only for Internal) and a message', () => {
    for (const [code, [status, message]] of Object.entries(apiErrors)) {
      expect([400, 401, 403, 404, 408, 409, 413, 414, 415, 417, 422, 429, 431, 503], code).toContain(code === 'Internal' ? 400 : status);
      if (code === 'Internal') expect(status).toBe(500);
      expect(message.length, code).toBeGreaterThan(10);
    }
  });

  it('refuses names with control characters in every API (InvalidParameter.Name)', async () => {
    const a = await createAccount(t);
    const s = await snapshot(t, a);
    expectError(await call(t.app, t.adminToken, 'POST', '/v1/accounts', { name: 'del\u007fchar' }), 400, 'InvalidParameter.Name');
    expectError(
      await call(t.app, a.apiKey, 'POST', `/v1/accounts/${a.accountId}/api-keys`, { name: 'del\u007fchar' }),
      400,
      'InvalidParameter.Name',
    );
    await s.expectUnchanged();
  });

  it('refuses a bad plan even where no HTTP schema stands in front (gRPC): InvalidParameter.Plan', async () => {
    const admin = { kind: 'admin', requestId: 'req_test' } as const;
    for (const customCaQuota of [-1, 1001, 2.5, Number.NaN]) {
      const error = await t.services.accounts.createAccount(admin, { name: 'planned', plan: { customCaQuota } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe('InvalidParameter.Plan');
    }
    const error = await t.services.accounts.createAccount(admin, { name: '' }).catch((e: unknown) => e);
    expect((error as ApiError).code).toBe('InvalidParameter.Name');
  });

  it(`takes ${maxRulesPerSite} WAF rules on a site and refuses one more: QuotaExceeded.WafRule`, async () => {
    const a = await createAccount(t);
    const site = await createSite(t, a);
    for (let i = 0; i < maxRulesPerSite; i++) {
      const answer = await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/waf-rules`, {
        expression: `http.host eq "r${i}.${site.name}"`,
        action: { type: 'log' },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    }
    const s = await snapshot(t, a);
    expectError(
      await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/waf-rules`, { expression: `http.host eq "one-more.${site.name}"` }),
      409,
      'QuotaExceeded.WafRule',
    );
    await s.expectUnchanged();
  });
});
