import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { crlBodyLimit } from '../src/http/routes/custom-cas.ts';
import { defaultBodyLimit } from '../src/http/app.ts';
import { TempDir } from './support/openssl.ts';
import { apiRoutes } from './support/routes.ts';
import { createTenant, urlFor, type Tenant } from './support/tenant.ts';
import { buildTestApp, call, expectError, expectRpcError, snapshot, type Answer, type TestApp } from './support/test-app.ts';

/** Strings that would do harm if any layer built a query, a script or a command from them. */
const injections = [
  "x'; DROP TABLE docs; --",
  '" OR 1=1 --',
  "]] redis.call('FLUSHALL') --[[",
  "'); os.exit() --",
  '$(rm -rf /)',
  '`reboot`',
  '; cat /etc/passwd',
  '../../../../etc/passwd',
  '{"$gt": ""}',
  '\u0000\u0001\u001b[31m',
  '%s%n%x',
  '${jndi:ldap://x}',
];

describe('bad input', () => {
  let t: TestApp;
  let dir: TempDir;
  let a: Tenant;
  let routesWithBody: string[];

  beforeAll(async () => {
    t = await buildTestApp();
    dir = new TempDir();
    a = await createTenant(t, dir, 'bad-input');
    routesWithBody = apiRoutes(t.app).filter((route) => /^(POST|PUT|PATCH) /.test(route));
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  const keyFor = (route: string) => (route === 'POST /v1/accounts' ? t.adminToken : a.account.apiKey);
  const send = (route: string, payload: string | Buffer, contentType = 'application/json'): Promise<Answer> => {
    const [method, pattern] = route.split(' ') as [InjectOptions['method'], string];
    return call(t.app, keyFor(route), method, urlFor(pattern, a), payload, { 'content-type': contentType });
  };

  /** No 500, a catalogue-shaped error, and the store untouched. */
  async function expectRefused(label: string, run: () => Promise<Answer>, expected?: readonly [number, string]): Promise<void> {
    const s = await snapshot(t, a.account);
    const answer = await run();
    expect(answer.status, `${label}: ${JSON.stringify(answer.body)}`).toBeGreaterThanOrEqual(400);
    expect(answer.status, `${label}: ${JSON.stringify(answer.body)}`).toBeLessThan(500);
    const code = answer.body.code ?? answer.body.Code;
    expect(code, label).toEqual(expect.any(String));
    if (expected) expect([answer.status, code], label).toEqual(expected);
    await s.expectUnchanged(label);
  }

  /** No 500 and no write; a read may still answer (hostile values that mean nothing to it are ignored). */
  async function expectNoHarm(label: string, run: () => Promise<Answer>): Promise<void> {
    const s = await snapshot(t, a.account);
    const answer = await run();
    expect(answer.status, `${label}: ${JSON.stringify(answer.body)}`).toBeLessThan(500);
    if (answer.status >= 400) expect(answer.body.Code ?? answer.body.code, label).toEqual(expect.any(String));
    await s.expectUnchanged(label);
  }

  it('knows the routes that take a body', () => {
    expect(routesWithBody.length).toBeGreaterThanOrEqual(15);
  });

  it('refuses JSON that is not an object, or malformed, on every route with a body', async () => {
    for (const route of routesWithBody) {
      for (const payload of ['[]', '"text"', '42', 'null', 'true', '{', '{"a":}', '{"a":1,}', "{'a':1}", '\u0000']) {
        // Routes without a body schema ignore the body; a refusal there comes from the state.
        await expectRefused(`${route} ${JSON.stringify(payload)}`, () => send(route, payload));
      }
    }
  });

  it('refuses prototype-pollution keys and unknown fields on every route with a body', async () => {
    for (const route of routesWithBody) {
      for (const payload of [
        '{"__proto__":{"admin":true}}',
        '{"constructor":{"prototype":{"admin":true}}}',
        '{"$where":"1"}',
        '{"unexpected":"field"}',
      ]) {
        await expectRefused(`${route} ${payload}`, () => send(route, payload));
      }
    }
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });

  it('refuses deeply nested JSON without failing', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const deepObject = `${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}`;
    for (const route of routesWithBody) {
      await expectRefused(`${route} deep array`, () => send(route, deep));
      await expectRefused(`${route} deep object`, () => send(route, deepObject));
    }
  });

  it('refuses bodies that are not JSON or a form: Payload.UnsupportedMediaType (415)', async () => {
    for (const route of routesWithBody) {
      for (const contentType of [
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/octet-stream',
        'application/x-yaml',
      ]) {
        await expectRefused(`${route} ${contentType}`, () => send(route, 'a=1', contentType), [415, 'Payload.UnsupportedMediaType']);
      }
    }
  });

  it(`refuses bodies over ${defaultBodyLimit} bytes: Payload.TooLarge (413), CRL uploads over ${crlBodyLimit}`, async () => {
    const big = JSON.stringify({ name: 'x'.repeat(defaultBodyLimit) });
    for (const route of routesWithBody.filter((r) => !r.endsWith('/crl'))) {
      await expectRefused(`${route} oversized`, () => send(route, big), [413, 'Payload.TooLarge']);
      await expectRefused(
        `${route} oversized form`,
        () => send(route, `name=${'x'.repeat(defaultBodyLimit)}`, 'application/x-www-form-urlencoded'),
        [413, 'Payload.TooLarge'],
      );
    }
    const crlRoute = routesWithBody.find((r) => r.endsWith('/crl'))!;
    // Above the default limit but within the CRL limit, it is read, and refused as a CRL.
    await expectRefused('CRL of 1 MB', () => send(crlRoute, JSON.stringify({ crl: 'A'.repeat(1024 * 1024) })), [400, 'Crl.Malformed']);
    await expectRefused('CRL over its limit', () => send(crlRoute, Buffer.alloc(crlBodyLimit + 1, 0x41)), [413, 'Payload.TooLarge']);
    // The RPC endpoint has the default limit.
    const s = await snapshot(t, a.account);
    expectRpcError(
      await call(
        t.app,
        a.account.apiKey,
        'POST',
        '/?Action=UploadClientCaCertificate',
        JSON.stringify({ SiteId: a.site.id, Certificate: 'x'.repeat(defaultBodyLimit) }),
        { 'content-type': 'application/json' },
      ),
      413,
      'Payload.TooLarge',
    );
    await s.expectUnchanged();
  });

  it('refuses wrong JSON types field by field (no coercion), changing nothing', async () => {
    const site = `/v1/sites/${a.site.id}`;
    // Each mistake gets its field's own code where the catalogue has one (as RPC and gRPC give).
    const cases: [InjectOptions['method'], string, unknown, string][] = [
      ['POST', '/v1/sites', { name: ['x.example.com'], originUrl: 'https://o.example.net' }, 'InvalidParameter.SiteName'],
      ['POST', '/v1/sites', { name: 'typed.example.com', originUrl: ['https://o.example.net'] }, 'InvalidParameter.OriginUrl'],
      ['POST', '/v1/sites', { name: 12345, originUrl: 'https://o.example.net' }, 'InvalidParameter.SiteName'],
      ['PATCH', site, { originUrl: null }, 'InvalidParameter.OriginUrl'],
      ['POST', `${site}/client-certificates`, { validityDays: '30' }, 'InvalidParameter.ValidityDays'],
      ['POST', `${site}/client-certificates`, { validityDays: true }, 'InvalidParameter.ValidityDays'],
      ['POST', `${site}/client-certificates`, { validityDays: [30] }, 'InvalidParameter.ValidityDays'],
      ['POST', `${site}/client-certificates`, { pkeyType: ['ECC'] }, 'InvalidParameter.PkeyType'],
      ['POST', `${site}/client-certificates`, { csr: { pem: 'x' } }, 'InvalidParameter'],
      ['POST', `${site}/client-certificates`, { pkcs12Password: 12345678 }, 'InvalidParameter.Pkcs12Password'],
      ['POST', `${site}/client-certificates/${a.clientCertificate}/revoke`, { confirm: 'true' }, 'InvalidParameter.Confirmation'],
      ['POST', `${site}/client-certificates/${a.clientCertificate}/revoke`, { confirm: 1 }, 'InvalidParameter.Confirmation'],
      ['POST', `${site}/client-certificates/${a.clientCertificate}/revoke`, { confirm: [true] }, 'InvalidParameter.Confirmation'],
      ['POST', `${site}/client-ca-certificates`, { certificate: [a.spareCaPem] }, 'InvalidParameter'],
      ['POST', `${site}/client-ca-certificates`, { certificate: a.spareCaPem, name: 7 }, 'InvalidParameter.Name'],
      ['PUT', `${site}/client-ca-certificates/${a.customCa}/crl`, { crl: [a.crl] }, 'InvalidParameter'],
      ['POST', `${site}/client-ca-certificates/${a.customCa}/revocations`, { serialNumber: 1234 }, 'InvalidParameter.SerialNumber'],
      ['PUT', `${site}/ca-bindings/account`, { hostnames: a.site.name }, 'InvalidParameter.Hostname'],
      ['PUT', `${site}/ca-bindings/account`, { hostnames: [[a.site.name]] }, 'InvalidParameter.Hostname'],
      ['POST', `/v1/accounts/${a.account.accountId}/api-keys`, { name: null }, 'InvalidParameter.Name'],
      ['POST', `/v1/accounts/${a.account.accountId}/api-keys`, { name: '' }, 'InvalidParameter.Name'],
      ['POST', `/v1/accounts/${a.account.accountId}/api-keys`, { name: 'tab\tin name' }, 'InvalidParameter.Name'],
      ['POST', `/v1/accounts/${a.account.accountId}/api-keys`, { name: 'n'.repeat(129) }, 'InvalidParameter.Name'],
    ];
    for (const [method, url, body, code] of cases) {
      await expectRefused(`${method} ${url} ${JSON.stringify(body)}`, () => call(t.app, a.account.apiKey, method, url, body), [400, code]);
    }
    for (const plan of [
      { customCaQuota: '5' },
      { customCaQuota: -1 },
      { customCaQuota: 1001 },
      { customCaQuota: 2.5 },
      { quota: 5 },
      'gold',
    ]) {
      await expectRefused(`plan ${JSON.stringify(plan)}`, () => call(t.app, t.adminToken, 'POST', '/v1/accounts', { name: 'x', plan }), [
        400,
        'InvalidParameter.Plan',
      ]);
    }
  });

  it('refuses bad paging on every list route, changing nothing', async () => {
    const listRoutes = apiRoutes(t.app)
      .filter((route) => route.startsWith('GET '))
      .filter((route) => {
        const [, pattern] = route.split(' ') as [string, string];
        return /(accounts|api-keys|audit-log|sites|server-certificates|client-certificates|client-ca-certificates|revocations)$/.test(
          pattern,
        );
      });
    expect(listRoutes.length).toBeGreaterThanOrEqual(8);
    for (const route of listRoutes) {
      const [, pattern] = route.split(' ') as [string, string];
      const key = route === 'GET /v1/accounts' ? t.adminToken : a.account.apiKey;
      for (const query of [
        'pageNumber=0',
        'pageNumber=501',
        'pageNumber=-1',
        'pageNumber=abc',
        'pageSize=0',
        'pageSize=101',
        'pageSize=1e9',
        'pageNumber=',
        'pageNumber=1%27%20OR%201',
        'offset=5',
        'pageSize=10&pageSize=20',
      ]) {
        // An unknown query parameter is no paging mistake; every paging one is.
        await expectRefused(`${route}?${query}`, () => call(t.app, key, 'GET', `${urlFor(pattern, a)}?${query}`), [
          400,
          query === 'offset=5' ? 'InvalidParameter' : 'InvalidParameter.Paging',
        ]);
      }
      const ok = await call(t.app, key, 'GET', `${urlFor(pattern, a)}?pageNumber=500&pageSize=100`);
      expect(ok.status, route).toBe(200);
      expect(ok.body.items, route).toEqual([]);
    }
  });

  it('refuses oversized path parameters and finds nothing for hostile ids, without a write', async () => {
    for (const route of apiRoutes(t.app).filter((r) => r.includes(':'))) {
      const [method, pattern] = route.split(' ') as [InjectOptions['method'], string];
      const long = pattern.replace(/:\w+/g, 'x'.repeat(65));
      await expectRefused(`${route} long id`, () =>
        call(t.app, a.account.apiKey, method, long, method === 'GET' || method === 'DELETE' ? undefined : {}),
      );
      for (const id of injections.slice(0, 6)) {
        const hostile = pattern.replace(/:\w+/g, encodeURIComponent(id));
        await expectRefused(`${route} ${id}`, () =>
          call(t.app, a.account.apiKey, method, hostile, method === 'GET' || method === 'DELETE' ? undefined : {}),
        );
      }
    }
  });

  it('stores SQL/Lua/shell-looking names verbatim, as data', async () => {
    for (const name of injections.filter((s) => !/[\u0000-\u001f]/.test(s))) {
      const account = await call(t.app, t.adminToken, 'POST', '/v1/accounts', { name });
      expect(account.status).toBe(201);
      expect((await call(t.app, t.adminToken, 'GET', `/v1/accounts/${account.body.account.id}`)).body.name).toBe(name);
      const key = await call(t.app, a.account.apiKey, 'POST', `/v1/accounts/${a.account.accountId}/api-keys`, { name });
      expect(key.body.key.name).toBe(name);
    }
    // Control characters are not names.
    await expectRefused('a name with an escape', () => call(t.app, t.adminToken, 'POST', '/v1/accounts', { name: 'a\u001bb' }), [
      400,
      'InvalidParameter.Name',
    ]);
  });

  it('refuses SQL/Lua/shell-looking site names and hostnames with their codes', async () => {
    for (const text of injections) {
      await expectRefused(
        `site ${text}`,
        () => call(t.app, a.account.apiKey, 'POST', '/v1/sites', { name: text, originUrl: 'https://o.example.net' }),
        [400, 'InvalidParameter.SiteName'],
      );
      await expectRefused(
        `site ${text}.example.com`,
        () => call(t.app, a.account.apiKey, 'POST', '/v1/sites', { name: `${text}.example.com`, originUrl: 'https://o.example.net' }),
        [400, 'InvalidParameter.SiteName'],
      );
      await expectRefused(`origin ${text}`, () => call(t.app, a.account.apiKey, 'PATCH', `/v1/sites/${a.site.id}`, { originUrl: text }), [
        400,
        'InvalidParameter.OriginUrl',
      ]);
      await expectRefused(
        `hostname ${text}`,
        () => call(t.app, a.account.apiKey, 'PUT', `/v1/sites/${a.site.id}/ca-bindings/account`, { hostnames: [`${text}.${a.site.name}`] }),
        [400, 'InvalidParameter.Hostname'],
      );
      await expectRefused(
        `serial ${text}`,
        () =>
          call(t.app, a.account.apiKey, 'POST', `/v1/sites/${a.site.id}/client-ca-certificates/${a.customCa}/revocations`, {
            serialNumber: text,
          }),
        [400, 'InvalidParameter.SerialNumber'],
      );
    }
  });

  it('refuses hostile RPC parameters without a 500 or a write', async () => {
    const actions = [
      'CreateClientCertificate',
      'GetClientCertificate',
      'ListClientCertificates',
      'RevokeClientCertificate',
      'UploadClientCaCertificate',
      'SetClientCaCertificateHostnames',
      'GetClientCaCertificateHostnames',
    ];
    const values: unknown[] = [null, true, 42, [], {}, ['a'], { $ne: 1 }, ...injections];
    for (const action of actions) {
      for (const value of values) {
        const params = {
          SiteId: a.site.id,
          Id: value,
          Hostnames: value,
          Certificate: value,
          CSR: value,
          PkeyType: value,
          PageSize: value,
          ValidityDays: value,
        };
        await expectNoHarm(`${action} ${JSON.stringify(value)}`, () => call(t.app, a.account.apiKey, 'POST', `/?Action=${action}`, params));
        await expectNoHarm(`${action} SiteId ${JSON.stringify(value)}`, () =>
          call(t.app, a.account.apiKey, 'POST', `/?Action=${action}`, { SiteId: value, Id: a.clientCertificate, Hostnames: [] }),
        );
      }
    }
  });

  it('answers unknown routes with NotFound.Route, not 500', async () => {
    for (const url of ['/v1', '/v1/', '/v1/sites/x/y/z/w', '/%00', '/v1/sites/%ZZ', '/..%2f..%2fetc%2fpasswd']) {
      const answer = await call(t.app, a.account.apiKey, 'GET', url);
      expect(answer.status, url).toBeGreaterThanOrEqual(400);
      expect(answer.status, url).toBeLessThan(500);
    }
    expectError(await call(t.app, a.account.apiKey, 'GET', '/v1/sites/x/y/z/w'), 404, 'NotFound.Route');
  });
});
