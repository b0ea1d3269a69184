import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../src/domain/api-error.ts';
import { makeCa } from './support/pki.ts';
import {
  buildTestApp,
  call,
  createAccount,
  createSite,
  expectError,
  expectRpcError,
  rpc,
  snapshot,
  uniqueZone,
  type TestAccount,
  type TestApp,
  type TestSite,
} from './support/test-app.ts';

/**
 * Input the API cannot store faithfully is refused with its code, never repaired: each case
 * here was once silently rewritten (a path cut off, `%2e` decoded, a trailing dot dropped, an
 * empty host filled in) or accepted though invalid. After each refusal nothing is stored.
 */
describe('input refused, not rewritten', () => {
  let t: TestApp;
  let a: TestAccount;
  let site: TestSite;
  beforeAll(async () => {
    t = await buildTestApp();
    a = await createAccount(t);
    site = await createSite(t, a);
  });
  afterAll(async () => t?.close());

  describe('binding hostnames', () => {
    const bindingUrl = () => `/v1/sites/${site.id}/ca-bindings/account`;
    const kept = () => [`kept.${site.name}`];

    beforeAll(async () => {
      expect((await call(t.app, a.apiKey, 'PUT', bindingUrl(), { hostnames: kept() })).status).toBe(200);
    });

    it.each([
      ['a path', (z: string) => `api.${z}/x`, /"\/"/],
      ['a percent-encoded dot', (z: string) => `api%2e${z}`, /"%"/],
      ['an A-label that decodes to a control character', (z: string) => `xn--a.${z}`, /not a valid IDN A-label/],
      ['an A-label that decodes to symbols', (z: string) => `xn--zz-zzzzzzz.${z}`, /not a valid IDN A-label/],
      ['a reserved "--" label', (z: string) => `ab--cd.${z}`, /reserved/],
      ['a trailing dot', (z: string) => `api.${z}.`, /ends with a dot/],
      ['a port', (z: string) => `api.${z}:443`, /":"/],
      ['an underscore', (z: string) => `_acme.${z}`, /"_"/],
      ['leading whitespace', (z: string) => ` api.${z}`, /whitespace/],
      ['a tab inside', (z: string) => `a\tpi.${z}`, /whitespace/],
      ['a Unicode label', (z: string) => `bücher.${z}`, /non-ASCII/],
      ['fullwidth letters', (z: string) => `ＡＰＩ.${z}`, /non-ASCII/],
      ['the Kelvin sign, which lower-cases to "k"', (z: string) => `\u212Aey.${z}`, /non-ASCII/],
      ['an ideographic full stop', (z: string) => `api\u3002${z}`, /non-ASCII/],
      ['a lone surrogate', (z: string) => `a\uD800.${z}`, /non-ASCII/],
    ])('refuses %s: 400 InvalidParameter.Hostname, the binding unchanged', async (_label, input, reason) => {
      const s = await snapshot(t, a);
      const answer = await call(t.app, a.apiKey, 'PUT', bindingUrl(), { hostnames: [`ok.${site.name}`, input(site.name)] });
      expectError(answer, 400, 'InvalidParameter.Hostname');
      expect(answer.body.details.reason).toMatch(reason);
      expect(answer.body.message).toContain(answer.body.details.reason);
      expect((await call(t.app, a.apiKey, 'GET', bindingUrl())).body.hostnames).toEqual(kept());
      await s.expectUnchanged();
    });

    it('refuses the same through the RPC API', async () => {
      const s = await snapshot(t, a);
      for (const hostname of [`api.${site.name}/x`, `api%2e${site.name}`, `xn--a.${site.name}`, `api.${site.name}.`]) {
        expectRpcError(
          await rpc(t.app, a.apiKey, 'SetClientCaCertificateHostnames', { SiteId: site.id, Hostnames: [hostname] }),
          400,
          'InvalidParameter.Hostname',
        );
      }
      expect((await t.store.get('binding', `${site.id}:${a.accountId}`))?.data.hostnames).toEqual(kept());
      await s.expectUnchanged();
    });

    it('still lower-cases (the documented canonical form) and takes valid A-labels', async () => {
      const z = site.name;
      const answer = await call(t.app, a.apiKey, 'PUT', bindingUrl(), { hostnames: [`API.${z}`, `xn--bcher-kva.${z}`, `*.XN--P1AI.${z}`] });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.hostnames).toEqual([`api.${z}`, `xn--bcher-kva.${z}`, `*.xn--p1ai.${z}`]);
      expect((await call(t.app, a.apiKey, 'PUT', bindingUrl(), { hostnames: kept() })).status).toBe(200);
    });
  });

  describe('site names', () => {
    it.each([
      ['a trailing dot', () => `${uniqueZone()}.`],
      ['an invalid A-label', () => `xn--a.${uniqueZone()}`],
      ['a Unicode label', () => `bücher.${uniqueZone()}`],
      ['a path', () => `${uniqueZone()}/x`],
      ['a percent-encoded dot', () => uniqueZone().replace('.', '%2e')],
      ['an underscore', () => `_x.${uniqueZone()}`],
    ])('refuses %s: 400 InvalidParameter.SiteName, no site stored', async (_label, name) => {
      const before = (await call(t.app, a.apiKey, 'GET', '/v1/sites?pageSize=100')).body;
      const s = await snapshot(t, a);
      expectError(
        await call(t.app, a.apiKey, 'POST', '/v1/sites', { name: name(), originUrl: 'https://o.example.net' }),
        400,
        'InvalidParameter.SiteName',
      );
      expect((await call(t.app, a.apiKey, 'GET', '/v1/sites?pageSize=100')).body).toEqual(before);
      await s.expectUnchanged();
    });
  });

  describe('origin URLs', () => {
    it.each([
      ['http:///x', /host/],
      ['http:x', /must be http/],
      ['http:\\\\o.example.net\\x', /backslash/],
      ['https://o.example.net\\x', /backslash/],
      ['https:/o.example.net', /must be http/],
      ['https://user@o.example.net', /must be http/],
      ['https://o.example.net/?q=1', /must be http/],
      [' https://o.example.net', /whitespace/],
      ['https://o.example.net/a b', /whitespace/],
      ['https://o.example.net\t', /whitespace/],
      ['https://o.exa\u0000mple.net', /whitespace/],
      ['https://ö.example.net', /non-ASCII/],
      ['http://o.example.net:80', /would be read as http:\/\/o\.example\.net\//],
      ['https://o.example.net/a/../b', /would be read as/],
      ['https://o.example.net/%2e%2e/x', /would be read as/],
      ['https://o.example.net/<x>', /would be read as/],
      ['http://0x7f.1/', /not a hostname or an IP address/],
      ['http://127.1/', /not a hostname or an IP address/],
      ['http://o_1.example.net/', /not a hostname or an IP address/],
      ['https://[::0:1]/', /would be read as https:\/\/\[::1\]\//],
      ['https://o.example.net:0', /port/],
      ['https://o.example.net:65536', /port/],
      ['https://o.example.net:', /port/],
    ])('refuses %j: 400 InvalidParameter.OriginUrl, the site unchanged', async (originUrl, reason) => {
      const before = (await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}`)).body;
      const s = await snapshot(t, a);
      const patched = await call(t.app, a.apiKey, 'PATCH', `/v1/sites/${site.id}`, { originUrl });
      expectError(patched, 400, 'InvalidParameter.OriginUrl');
      expect(patched.body.details.reason).toMatch(reason);
      expectError(await call(t.app, a.apiKey, 'POST', '/v1/sites', { name: uniqueZone(), originUrl }), 400, 'InvalidParameter.OriginUrl');
      expect((await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}`)).body).toEqual(before);
      await s.expectUnchanged();
    });

    it.each([
      ['http://origin:8080', 'http://origin:8080'],
      ['HTTPS://Origin.Example.NET/App/', 'https://origin.example.net/App/'],
      ['http://127.0.0.1:9000', 'http://127.0.0.1:9000'],
      ['http://[::1]:8080/app', 'http://[::1]:8080/app'],
      ['https://o.example.net/a%20b/~x', 'https://o.example.net/a%20b/~x'],
    ])('stores %j as %j', async (originUrl, stored) => {
      const patched = await call(t.app, a.apiKey, 'PATCH', `/v1/sites/${site.id}`, { originUrl });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      expect(patched.body.originUrl).toBe(stored);
      expect((await t.store.get('site', site.id))?.data.originUrl).toBe(stored);
    });
  });

  describe('client certificate text', () => {
    const certificates = () => call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/client-certificates?pageSize=100`);

    it('refuses a lone surrogate as commonName (Subject.InvalidCommonName) and in a PKCS#12 password; nothing issued', async () => {
      const before = (await certificates()).body;
      const s = await snapshot(t, a);
      const url = `/v1/sites/${site.id}/client-certificates`;
      for (const commonName of ['\uD800', 'device\uDFFF', '\uDC00\uD800']) {
        expectError(await call(t.app, a.apiKey, 'POST', url, { commonName }), 422, 'Subject.InvalidCommonName');
      }
      expectError(await call(t.app, a.apiKey, 'POST', url, { pkcs12Password: 'password\uD800' }), 400, 'InvalidParameter.Pkcs12Password');
      expect((await certificates()).body).toEqual(before);
      await s.expectUnchanged();
    });
  });

  describe('names people give', () => {
    const notText = [
      ['a lone high surrogate', 'name\uD800'],
      ['a lone low surrogate', '\uDC00name'],
      ['a C1 control', 'name\u0085'],
      ['DEL', 'na\u007fme'],
    ] as const;

    it.each(notText)('refuses %s in account, API key, custom CA and WAF rule names: InvalidParameter.Name', async (_label, name) => {
      const ca = (await makeCa('Names CA')).certificatePem;
      const s = await snapshot(t, a);
      const rulesBefore = (await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/waf-rules`)).body;
      const casBefore = (await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/client-ca-certificates`)).body;
      expectError(await call(t.app, t.adminToken, 'POST', '/v1/accounts', { name }), 400, 'InvalidParameter.Name');
      expectError(await call(t.app, a.apiKey, 'POST', `/v1/accounts/${a.accountId}/api-keys`, { name }), 400, 'InvalidParameter.Name');
      expectError(
        await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/client-ca-certificates`, { certificate: ca, name }),
        400,
        'InvalidParameter.Name',
      );
      expectError(
        await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/waf-rules`, { name, expression: 'http.host eq "x.example"' }),
        400,
        'InvalidParameter.Name',
      );
      expect((await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/waf-rules`)).body).toEqual(rulesBefore);
      expect((await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/client-ca-certificates`)).body).toEqual(casBefore);
      await s.expectUnchanged();
    });

    it('refuses a lone surrogate in a block body (it would be sent as U+FFFD): Waf.BadRule, no rule stored', async () => {
      const before = (await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/waf-rules`)).body;
      const answer = await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/waf-rules`, {
        expression: 'http.host eq "x.example"',
        action: { type: 'block', status: 403, body: 'denied \uD800' },
      });
      expectError(answer, 400, 'Waf.BadRule');
      expect((await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/waf-rules`)).body).toEqual(before);
    });

    it('still takes names with any printable text, emoji included', async () => {
      const answer = await call(t.app, a.apiKey, 'POST', `/v1/accounts/${a.accountId}/api-keys`, { name: 'déploiement 🚀 «prod»' });
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      expect(answer.body.key.name).toBe('déploiement 🚀 «prod»');
    });
  });

  describe('the WAF rule tester', () => {
    const test = (request: Record<string, unknown>) =>
      call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/waf-rules/test`, { expression: 'http.host eq "x.example"', request });

    it('takes header names up to 256 characters and refuses 257 (InvalidParameter.SampleRequest)', async () => {
      const host = site.name;
      expect((await test({ host, headers: { ['x'.repeat(256)]: 'v' } })).status).toBe(200);
      const answer = await test({ host, headers: { ['x'.repeat(257)]: 'v' } });
      expectError(answer, 400, 'InvalidParameter.SampleRequest');
      expect(answer.body.details).toEqual({ field: 'request.headers' });
    });

    it.each([
      ['a header name with a space', { headers: { 'x y': 'v' } }, 'request.headers'],
      ['a header name with a colon', { headers: { 'x:y': 'v' } }, 'request.headers'],
      ['an empty header name', { headers: { '': 'v' } }, 'request.headers'],
      ['two names that differ in case only', { headers: { 'X-A': '1', 'x-a': '2' } }, 'request.headers'],
      ['101 headers', { headers: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`h${i}`, 'v'])) }, 'request.headers'],
      ['a value with CR LF', { headers: { 'x-a': 'v\r\nx-b: w' } }, 'request.headers.x-a'],
      ['a value with surrounding space', { headers: { 'x-a': ' v' } }, 'request.headers.x-a'],
      ['a value beyond Latin-1', { headers: { 'x-a': 'v\u0100' } }, 'request.headers.x-a'],
      ['a method that is not a token', { method: 'GE T' }, 'request.method'],
      ['a uri with a space', { uri: '/a b' }, 'request.uri'],
      ['a uri that is not origin-form', { uri: 'http://x/' }, 'request.uri'],
      ['an address that is not an IP address', { ip: 'localhost' }, 'request.ip'],
      ['certificate text with a lone surrogate', { certificate: { subjectDn: 'CN=\uD800' } }, 'request.certificate.subjectDn'],
    ])('refuses %s', async (_label, request, field) => {
      const answer = await test({ host: site.name, ...request });
      expectError(answer, 400, 'InvalidParameter.SampleRequest');
      expect(answer.body.details).toEqual({ field });
    });

    it('refuses a host it would have cut or decoded: InvalidParameter.Hostname', async () => {
      for (const host of [`api.${site.name}/x`, `api%2e${site.name}`, `api.${site.name}.`, `xn--a.${site.name}`]) {
        expectError(await test({ host }), 400, 'InvalidParameter.Hostname');
      }
    });

    it('enforces its limits in the domain, whatever the transport', async () => {
      const caller = { kind: 'account', accountId: a.accountId, keyId: a.keyId, requestId: 'req_test' } as const;
      const refused = await t.services.wafRuleTest
        .evaluate(caller, site.id, {
          expression: 'http.host eq "x.example"',
          request: { host: site.name, headers: { ['x'.repeat(257)]: 'v' } },
        })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ApiError);
      expect((refused as ApiError).code).toBe('InvalidParameter.SampleRequest');
      const values = Array.from({ length: 33 }, () => 'v');
      const tooMany = await t.services.wafRuleTest
        .evaluate(caller, site.id, { expression: 'http.host eq "x.example"', request: { host: site.name, headers: { 'x-a': values } } })
        .catch((error: unknown) => error);
      expect((tooMany as ApiError).code).toBe('InvalidParameter.SampleRequest');
    });
  });
});
