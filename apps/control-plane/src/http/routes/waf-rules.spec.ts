import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  call,
  createAccount,
  createClientCertificate,
  createSite,
  expectError,
  snapshot,
  type TestAccount,
  type TestApp,
  type TestSite,
  buildTestApp,
} from '../../../test/support/test-app.ts';

describe('WAF custom rules over HTTP', () => {
  let t: TestApp;
  let owner: TestAccount;
  let other: TestAccount;
  let site: TestSite;
  const rules = () => `/v1/sites/${site.id}/waf-rules`;

  beforeAll(async () => {
    t = await buildTestApp();
    owner = await createAccount(t);
    other = await createAccount(t);
    site = await createSite(t, owner);
  });
  afterAll(async () => t?.close());

  it('creates, lists, reorders, disables and deletes rules, each a new version', async () => {
    const first = await call(t.app, owner.apiKey, 'POST', rules(), {
      name: 'mTLS on api',
      expression: `http.host eq "api.${site.name}" and not ssl.client_cert.verified`,
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.rule.action).toEqual({ type: 'block', status: 403 });
    expect(first.body.warnings).toEqual([]);

    const second = await call(t.app, owner.apiKey, 'POST', rules(), {
      expression: 'http.request.uri.path starts_with "/health"',
      action: { type: 'allow' },
      position: 0,
    });
    expect(second.status).toBe(201);
    const listed = await call(t.app, owner.apiKey, 'GET', rules());
    expect(listed.body.rules.map((r: { id: string }) => r.id)).toEqual([second.body.rule.id, first.body.rule.id]);
    const versionBefore = listed.body.version;

    const reordered = await call(t.app, owner.apiKey, 'PUT', `${rules()}/order`, { ruleIds: [first.body.rule.id, second.body.rule.id] });
    expect(reordered.status).toBe(200);
    expect(reordered.body.rules.map((r: { id: string }) => r.id)).toEqual([first.body.rule.id, second.body.rule.id]);
    expect(reordered.body.version).toBeGreaterThan(versionBefore);

    const disabled = await call(t.app, owner.apiKey, 'PATCH', `${rules()}/${first.body.rule.id}`, { enabled: false });
    expect(disabled.body.rule.enabled).toBe(false);
    expect((await call(t.app, owner.apiKey, 'GET', `${rules()}/${first.body.rule.id}`)).body.enabled).toBe(false);

    expect((await call(t.app, owner.apiKey, 'DELETE', `${rules()}/${second.body.rule.id}`)).status).toBe(204);
    expect((await call(t.app, owner.apiKey, 'GET', rules())).body.rules).toHaveLength(1);
    expectError(await call(t.app, owner.apiKey, 'GET', `${rules()}/${second.body.rule.id}`), 404, 'NotFound.WafRule');
  });

  it("accepts the original product's rule shape", async () => {
    const answer = await call(t.app, owner.apiKey, 'POST', rules(), {
      Name: 'legacy',
      Phase: 'http_custom',
      Expression: `(http.host eq "legacy.${site.name}")`,
      Action: 'deny',
      ResponseCode: 451,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.rule).toMatchObject({ name: 'legacy', action: { type: 'block', status: 451 }, enabled: true });
    const unsupported = await call(t.app, owner.apiKey, 'POST', rules(), { Phase: 'http_custom', Expression: 'ssl', Action: 'captcha' });
    expectError(unsupported, 400, 'Waf.UnsupportedRule');
  });

  it('warns about a certificate rule without a hostname condition, and saves it', async () => {
    const answer = await call(t.app, owner.apiKey, 'POST', rules(), { expression: 'not ssl.client_cert.verified', enabled: false });
    expect(answer.status).toBe(201);
    expect(answer.body.warnings.map((w: { code: string }) => w.code)).toContain('Waf.CertWithoutHost');
  });

  it('refuses a rule the edge could not compile, with position, and changes nothing', async () => {
    const before = await snapshot(t, owner);
    const answer = await call(t.app, owner.apiKey, 'POST', rules(), { expression: 'http.host eq 5' });
    expectError(answer, 400, 'Waf.TypeMismatch');
    expect(answer.body.details.errors[0]).toMatchObject({ code: 'Waf.TypeMismatch', line: 1, column: expect.any(Number) });
    expect(answer.body.message).toContain('^');
    expectError(await call(t.app, owner.apiKey, 'POST', rules(), { expression: 'http.nope eq "x"' }), 400, 'Waf.UnknownField');
    expectError(
      await call(t.app, owner.apiKey, 'POST', rules(), { expression: 'x', action: { type: 'block', status: 200 } }),
      400,
      'InvalidParameter',
    );
    expectError(await call(t.app, owner.apiKey, 'PUT', `${rules()}/order`, { ruleIds: ['rule_nope'] }), 400, 'InvalidParameter');
    await before.expectUnchanged();
  });

  it("hides another account's rules", async () => {
    const mine = await call(t.app, owner.apiKey, 'GET', rules());
    const ruleId = mine.body.rules[0].id;
    const before = await snapshot(t, owner);
    expectError(await call(t.app, other.apiKey, 'GET', rules()), 404, 'NotFound.Site');
    expectError(await call(t.app, other.apiKey, 'PATCH', `${rules()}/${ruleId}`, { enabled: true }), 404, 'NotFound.Site');
    expectError(await call(t.app, other.apiKey, 'DELETE', `${rules()}/${ruleId}`), 404, 'NotFound.Site');
    expectError(await call(t.app, other.apiKey, 'POST', `${rules()}/test`, { request: { host: site.name } }), 404, 'NotFound.Site');
    await before.expectUnchanged();
  });

  it('tests an expression against a sample request with a real certificate checked like an edge', async () => {
    const host = `secure.${site.name}`;
    const expression = `http.host eq "${host}" and not ssl.client_cert.verified`;
    const test = (request: Record<string, unknown>) => call(t.app, owner.apiKey, 'POST', `${rules()}/test`, { expression, request });

    const none = await test({ host });
    expect(none.body.decision).toMatchObject({ action: 'block', ruleId: 'test', status: 403 });
    expect(none.body.clientCert).toMatchObject({ presented: false, error: 'none' });

    const issued = await createClientCertificate(t, owner, site.id);
    const unbound = await test({ host, certificatePem: issued.certificate.certificate });
    // No CA bound to the hostname: an edge asks for no certificate there, so the rules see none.
    expect(unbound.body.clientCert).toMatchObject({ presented: false, chainVerified: false, error: 'none' });

    expect((await call(t.app, owner.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/account`, { hostnames: [host] })).status).toBe(200);
    const verified = await test({ host, certificatePem: issued.certificate.certificate });
    expect(verified.body.clientCert).toMatchObject({
      chainVerified: true,
      revoked: false,
      error: '',
      serial: issued.certificate.serialNumber,
    });
    expect(verified.body.decision).toMatchObject({ action: 'pass', ruleId: null });

    await call(t.app, owner.apiKey, 'POST', `/v1/sites/${site.id}/client-certificates/${issued.certificate.id}/revoke`, { confirm: true });
    const revoked = await test({ host, certificatePem: issued.certificate.certificate });
    expect(revoked.body.clientCert).toMatchObject({ chainVerified: true, revoked: true, error: 'revoked' });
    expect(revoked.body.decision.action).toBe('block');

    const cloudflare = await call(t.app, owner.apiKey, 'POST', `${rules()}/test`, {
      expression: `http.host eq "${host}" and not cf.tls_client_auth.cert_verified`,
      request: { host, certificatePem: issued.certificate.certificate },
    });
    expect(cloudflare.body.decision.action).toBe('pass');
  });

  it("evaluates the site's ruleset in order and names the deciding rule", async () => {
    const zone = await createSite(t, owner);
    const base = `/v1/sites/${zone.id}/waf-rules`;
    const log = await call(t.app, owner.apiKey, 'POST', base, { expression: 'http.request.method eq "POST"', action: { type: 'log' } });
    const allow = await call(t.app, owner.apiKey, 'POST', base, { expression: 'ip.src in {10.0.0.0/8}', action: { type: 'allow' } });
    const block = await call(t.app, owner.apiKey, 'POST', base, {
      expression: 'http.request.uri.path starts_with "/admin"',
      action: { type: 'block', status: 404 },
    });
    const run = (request: Record<string, unknown>) => call(t.app, owner.apiKey, 'POST', `${base}/test`, { request });

    const blocked = await run({ host: zone.name, method: 'POST', uri: '/admin/x?y=1', ip: '192.0.2.7' });
    expect(blocked.body.decision).toEqual({ action: 'block', ruleId: block.body.rule.id, status: 404, logged: [log.body.rule.id] });
    const allowed = await run({ host: zone.name, uri: '/admin', ip: '10.1.2.3' });
    expect(allowed.body.decision).toMatchObject({ action: 'allow', ruleId: allow.body.rule.id, logged: [] });
    expect((await run({ host: zone.name, uri: '/' })).body.decision).toMatchObject({ action: 'pass', ruleId: null });
  });
});
