import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { rpcActions } from '../src/http/rpc/rpc-actions.ts';
import { TempDir } from './support/openssl.ts';
import { apiRoutes } from './support/routes.ts';
import { createTenant, urlFor, type Tenant } from './support/tenant.ts';
import { buildTestApp, call, snapshot, type Answer, type TestApp } from './support/test-app.ts';

/**
 * Hostile input on every REST route and every RPC action, table by table. Each case is
 * refused with its exact status and code, in the catalogue's body, without repeating what
 * was sent, and changes nothing (store revision and audit log compared before and after).
 */

/** Names an object inherits, which a lookup on a plain object would find. */
const prototypeNames = [
  'constructor',
  '__proto__',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__lookupSetter__',
];

/** Spellings of a number that are not decimal digits, or out of every paging range. */
const notPageNumbers = [
  '1.5',
  '0x10',
  'true',
  '1e1',
  '+5',
  '05',
  '-0',
  '%205',
  '5%20',
  '１０', // fullwidth digits
  '1٠', // Arabic-Indic zero
  '10%00',
  'Infinity',
  'NaN',
  '1099511627776', // 2^40
  '4294967326', // 2^32 + 30
  '9223372036854775807', // 2^63 - 1
  '[5]',
];

/** Body routes (POST, PUT, PATCH with a body schema) and the code for a body of only unknown keys. */
const unknownKeysBodyCode: Readonly<Record<string, string>> = {
  'PATCH /v1/sites/:siteId': 'InvalidParameter',
  'PATCH /v1/sites/:siteId/waf-rules/:ruleId': 'InvalidParameter',
  'POST /v1/accounts': 'InvalidParameter.Name',
  'POST /v1/accounts/:accountId/api-keys': 'InvalidParameter.Name',
  'POST /v1/edge-join-tokens': 'InvalidParameter',
  'POST /v1/edge/enroll': 'InvalidParameter',
  'POST /v1/sites': 'InvalidParameter.SiteName',
  'POST /v1/sites/:siteId/client-ca-certificates': 'InvalidParameter',
  'POST /v1/sites/:siteId/client-ca-certificates/:id/revocations': 'InvalidParameter.SerialNumber',
  'POST /v1/sites/:siteId/client-certificates': 'InvalidParameter',
  'POST /v1/sites/:siteId/client-certificates/:id/revoke': 'InvalidParameter.Confirmation',
  'POST /v1/sites/:siteId/server-certificates': 'InvalidParameter',
  'POST /v1/sites/:siteId/waf-rules': 'InvalidParameter',
  'POST /v1/sites/:siteId/waf-rules/test': 'InvalidParameter',
  'PUT /v1/sites/:siteId/ca-bindings/:caId': 'InvalidParameter.Hostname',
  'PUT /v1/sites/:siteId/client-ca-certificates/:id/crl': 'InvalidParameter',
  'PUT /v1/sites/:siteId/waf-rules/order': 'InvalidParameter',
};
/** The one POST route that takes no body: whatever is sent is not read. */
const routesWithoutBody = new Set(['POST /v1/sites/:siteId/client-certificates/:id/activate']);

/** List routes (paging query) and who may call them. */
const listRoutes: Readonly<Record<string, 'admin' | 'account'>> = {
  'GET /v1/accounts': 'admin',
  'GET /v1/accounts/:accountId/api-keys': 'account',
  'GET /v1/audit-log': 'account',
  'GET /v1/edge-join-tokens': 'admin',
  'GET /v1/sites': 'account',
  'GET /v1/sites/:siteId/client-ca-certificates': 'account',
  'GET /v1/sites/:siteId/client-ca-certificates/:id/revocations': 'account',
  'GET /v1/sites/:siteId/client-certificates': 'account',
  'GET /v1/sites/:siteId/server-certificates': 'account',
};

/** RPC actions that take paging. */
const rpcListActions = new Set(['ListClientCertificates', 'ListClientCaCertificates']);

describe('hostile input, every route and every RPC action', () => {
  let t: TestApp;
  let dir: TempDir;
  let a: Tenant;
  let routes: string[];

  beforeAll(async () => {
    t = await buildTestApp();
    dir = new TempDir();
    a = await createTenant(t, dir, 'hostile');
    routes = apiRoutes(t.app);
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  const adminOnly = (route: string) => /^(POST|GET) \/v1\/(accounts|edge-join-tokens)$/.test(route) || route.includes('/v1/edge');
  const keyFor = (route: string) => (adminOnly(route) ? t.adminToken : a.account.apiKey);
  const urlOf = (route: string) =>
    urlFor(route.split(' ')[1]!.replace('/edge-join-tokens/:id', '/edge-join-tokens/jt_0').replace(':nodeId', 'edge-1'), a);

  /**
   * The answer is `status` with `code` in the REST catalogue body ({ code, message,
   * requestId[, details] }) or the RPC one ({ RequestId, Code, Message }), repeats none of
   * `sent`, and nothing changed.
   */
  async function expectRefused(label: string, run: () => Promise<Answer>, status: number, code: string, sent: readonly string[] = []) {
    const s = await snapshot(t, a.account);
    const answer = await run();
    const body = answer.body as Record<string, unknown>;
    const rpc = 'Code' in (body ?? {});
    expect({ label, status: answer.status, code: rpc ? body.Code : body?.code }, answer.raw.body).toEqual({ label, status, code });
    const keys = Object.keys(body).sort();
    if (rpc) expect(keys, label).toEqual(['Code', 'Message', 'RequestId']);
    else
      expect(
        keys.filter((k) => k !== 'details'),
        label,
      ).toEqual(['code', 'message', 'requestId']);
    expect(rpc ? body.RequestId : body.requestId, label).toBe(answer.raw.headers['x-request-id']);
    const message = String(rpc ? body.Message : body.message);
    for (const marker of sent) expect(message, `${label}: message repeats ${marker}`).not.toContain(marker);
    await s.expectUnchanged(label);
  }

  it('has a row for every REST route with a body and every list route', () => {
    const withBody = routes.filter((route) => /^(POST|PUT|PATCH) /.test(route) && !routesWithoutBody.has(route));
    expect(withBody.sort()).toEqual(Object.keys(unknownKeysBodyCode).sort());
    const lists = routes.filter((route) => route.startsWith('GET ') && Object.hasOwn(listRoutes, route));
    expect(lists.sort()).toEqual(Object.keys(listRoutes).sort());
  });

  it.each(Object.entries(listRoutes))(
    '%s refuses paging that is not a decimal integer in range: InvalidParameter.Paging',
    async (route) => {
      for (const field of ['pageNumber', 'pageSize']) {
        for (const value of notPageNumbers) {
          await expectRefused(
            `${route}?${field}=${value}`,
            () => call(t.app, keyFor(route), 'GET', `${urlOf(route)}?${field}=${value}`),
            400,
            'InvalidParameter.Paging',
            [decodeURIComponent(value)],
          );
        }
      }
      // The same values in range, spelled as decimal digits, are served.
      expect((await call(t.app, keyFor(route), 'GET', `${urlOf(route)}?pageNumber=1&pageSize=16`)).body.pageSize).toBe(16);
    },
  );

  it.each(Object.entries(listRoutes))('%s refuses prototype names as query keys: InvalidParameter', async (route) => {
    for (const name of prototypeNames) {
      await expectRefused(
        `${route}?${name}=1`,
        () => call(t.app, keyFor(route), 'GET', `${urlOf(route)}?${name}=1`),
        400,
        'InvalidParameter',
        [name],
      );
    }
  });

  it.each(Object.entries(unknownKeysBodyCode))('%s refuses hostile bodies with exact codes', async (route, unknownKeysCode) => {
    const [method] = route.split(' ') as [InjectOptions['method']];
    const send = (payload: string, contentType = 'application/json') =>
      call(t.app, keyFor(route), method, urlOf(route), payload, { 'content-type': contentType });
    for (const name of prototypeNames.filter((n) => n !== '__proto__')) {
      await expectRefused(`${route} {"${name}":1}`, () => send(JSON.stringify({ [name]: 1 })), 400, unknownKeysCode, [name]);
    }
    // fastify's JSON parser refuses prototype poisoning outright.
    for (const payload of ['{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"admin":true}}}']) {
      await expectRefused(`${route} ${payload}`, () => send(payload), 400, 'InvalidParameter', ['admin']);
    }
    for (const payload of ['[]', '"text"', '42', 'null', 'true']) {
      await expectRefused(`${route} ${payload}`, () => send(payload), 400, 'InvalidParameter', ['text']);
    }
    for (const payload of ['{"name": "trunc', '{"a":', '{', '\u0000', '{"a":1}garbage']) {
      await expectRefused(`${route} truncated ${JSON.stringify(payload)}`, () => send(payload), 400, 'InvalidParameter', [
        'trunc',
        'garbage',
      ]);
    }
    await expectRefused(
      `${route} form of prototype names`,
      () => send('__proto__=1&constructor=2', 'application/x-www-form-urlencoded'),
      400,
      unknownKeysCode,
    );
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined();
  });

  it('answers a non-object body with a message a person understands', async () => {
    const answer = await call(t.app, a.account.apiKey, 'POST', '/v1/sites', '[1]', { 'content-type': 'application/json' });
    expect(answer.body.message).toBe('The request body must be a JSON object.');
    const typed = await call(t.app, a.account.apiKey, 'POST', `/v1/sites/${a.site.id}/client-certificates`, { pkeyType: 'DSA' });
    expect(typed.body).toMatchObject({ code: 'InvalidParameter.PkeyType', details: { location: 'body', field: 'pkeyType' } });
    expect(typed.body.message).not.toMatch(/constant|anyOf|schema/);
  });

  it.each([...prototypeNames, 'createclientcertificate', 'CreateClientCertificate\u200b', 'СreateClientCertificate', 'Create%00', ''])(
    'refuses Action=%j as an unknown action: 404 NotFound.Route, in the RPC body, echoing nothing',
    async (action) => {
      for (const method of ['GET', 'POST'] as const) {
        await expectRefused(
          `${method} Action=${action}`,
          () => call(t.app, a.account.apiKey, method, `/?Action=${encodeURIComponent(action)}`),
          404,
          'NotFound.Route',
          action === '' ? [] : [action, a.account.accountId, a.account.keyId],
        );
      }
      // Also as a form and as a JSON body field.
      await expectRefused(
        `form Action=${action}`,
        () =>
          call(t.app, a.account.apiKey, 'POST', '/', `Action=${encodeURIComponent(action)}`, {
            'content-type': 'application/x-www-form-urlencoded',
          }),
        404,
        'NotFound.Route',
      );
    },
  );

  it('refuses a repeated form field instead of keeping one of its values, and takes a repeated list field as the list', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const revoke = `/v1/sites/${a.site.id}/client-certificates/${a.clientCertificate}/revoke`;
    await expectRefused(
      'confirm twice',
      () => call(t.app, a.account.apiKey, 'POST', revoke, 'confirm=false&confirm=true', form),
      400,
      'InvalidParameter.Confirmation',
    );
    await expectRefused(
      'SiteId twice',
      () => call(t.app, a.account.apiKey, 'POST', '/?Action=GetClientCaCertificateHostnames', `SiteId=${a.site.id}&SiteId=other`, form),
      400,
      'InvalidParameter',
    );
    const hostnames = `SiteId=${a.site.id}&Hostnames=${a.site.name}&Hostnames=${a.site.name}`;
    await expectRefused(
      'Hostnames twice, the same name',
      () => call(t.app, a.account.apiKey, 'POST', '/?Action=SetClientCaCertificateHostnames', hostnames, form),
      400,
      'InvalidParameter.DuplicateHostname',
    );
  });

  it('refuses a JSON key named twice (JSON.parse kept the last: confirm false, then true, revoked)', async () => {
    const json = { 'content-type': 'application/json' };
    const revoke = `/v1/sites/${a.site.id}/client-certificates/${a.clientCertificate}/revoke`;
    await expectRefused(
      'confirm twice',
      () => call(t.app, a.account.apiKey, 'POST', revoke, '{"confirm":false,"confirm":true}', json),
      400,
      'InvalidParameter',
    );
    await expectRefused(
      'nested key twice',
      () =>
        call(
          t.app,
          a.account.apiKey,
          'POST',
          '/v1/sites',
          '{"name":"dup.example.com","originUrl":"https://o.example.net","originUrl":"https://p.example.net"}',
          json,
        ),
      400,
      'InvalidParameter',
      ['p.example.net'],
    );
    await expectRefused(
      'RPC SiteId twice',
      () =>
        call(
          t.app,
          a.account.apiKey,
          'POST',
          '/?Action=DeleteClientCertificate',
          `{"SiteId":"${a.site.id}","Id":"x","Id":"${a.clientCertificate}"}`,
          json,
        ),
      400,
      'InvalidParameter',
    );
  });

  it('answers Action=constructor without the caller (it answered 200 with the account and key ids)', async () => {
    const answer = await call(t.app, a.account.apiKey, 'GET', '/?Action=constructor');
    expect(answer.status).toBe(404);
    expect(answer.raw.body).not.toContain(a.account.accountId);
    expect(answer.raw.body).not.toContain(a.account.keyId);
  });

  it.each([...rpcActions(undefined as never).keys()])('RPC %s refuses hostile parameters with exact codes', async (action) => {
    const rpcCall = (params: Record<string, unknown>) => call(t.app, a.account.apiKey, 'POST', `/?Action=${action}`, params);
    // A SiteId that is not text; prototype names as the only parameters (SiteId then missing).
    await expectRefused(`${action} SiteId object`, () => rpcCall({ SiteId: { toString: 'x' } }), 400, 'InvalidParameter', ['toString']);
    await expectRefused(`${action} SiteId list`, () => rpcCall({ SiteId: [a.site.id] }), 400, 'InvalidParameter');
    const onlyPrototypeNames = Object.fromEntries(prototypeNames.filter((n) => n !== '__proto__').map((n) => [n, 'x']));
    await expectRefused(`${action} prototype names only`, () => rpcCall(onlyPrototypeNames), 400, 'InvalidParameter');
    await expectRefused(
      `${action} prototype names as a form`,
      () =>
        call(t.app, a.account.apiKey, 'POST', `/?Action=${action}`, '__proto__=x&constructor=y', {
          'content-type': 'application/x-www-form-urlencoded',
        }),
      400,
      'InvalidParameter',
    );
    if (rpcListActions.has(action)) {
      for (const name of ['PageNumber', 'PageSize']) {
        for (const value of notPageNumbers) {
          await expectRefused(
            `${action} ${name}=${value}`,
            () => call(t.app, a.account.apiKey, 'GET', `/?Action=${action}&SiteId=${a.site.id}&${name}=${value}`),
            400,
            'InvalidParameter.Paging',
            [decodeURIComponent(value)],
          );
        }
        for (const value of [1.5, true, 2 ** 40, -1, 0, [5], { n: 5 }]) {
          await expectRefused(
            `${action} ${name}=${JSON.stringify(value)}`,
            () => rpcCall({ SiteId: a.site.id, [name]: value }),
            400,
            'InvalidParameter.Paging',
          );
        }
      }
    }
  });

  it('RPC CreateClientCertificate refuses non-integer and out-of-range ValidityDays and bad key types, issuing nothing', async () => {
    const create = (params: Record<string, unknown>) =>
      call(t.app, a.account.apiKey, 'POST', '/?Action=CreateClientCertificate', { SiteId: a.site.id, ...params });
    for (const value of [...notPageNumbers, 1.5, true, 2 ** 32 + 30, Number.MAX_SAFE_INTEGER, 0, 3651, [30]]) {
      await expectRefused(
        `ValidityDays ${JSON.stringify(value)}`,
        () => create({ ValidityDays: value }),
        400,
        'InvalidParameter.ValidityDays',
      );
    }
    for (const value of ['toString', 'constructor', 'rsa', 'ECC\u0000', 'ЕСС', 1]) {
      await expectRefused(`PkeyType ${JSON.stringify(value)}`, () => create({ PkeyType: value }), 400, 'InvalidParameter.PkeyType');
    }
  });

  it('REST refuses the same mistakes with the same codes as RPC', async () => {
    const url = `/v1/sites/${a.site.id}/client-certificates`;
    for (const validityDays of ['30', 1.5, true, 0, 3651, 2 ** 32 + 30, [30], null]) {
      await expectRefused(
        `validityDays ${JSON.stringify(validityDays)}`,
        () => call(t.app, a.account.apiKey, 'POST', url, { validityDays }),
        400,
        'InvalidParameter.ValidityDays',
      );
    }
    for (const pkeyType of ['DSA', 'toString', 'ЕСС', 1, ['ECC']]) {
      await expectRefused(
        `pkeyType ${JSON.stringify(pkeyType)}`,
        () => call(t.app, a.account.apiKey, 'POST', url, { pkeyType }),
        400,
        'InvalidParameter.PkeyType',
      );
    }
  });

  it("refuses numbers out of range or not integers in bodies, with each field's code", async () => {
    const site = `/v1/sites/${a.site.id}`;
    const cases: [string, string, string, Record<string, unknown>, string][] = [
      ...[1e300, 101, -1, 1.5, '1', true].map(
        (position) =>
          [a.account.apiKey, 'POST', `${site}/waf-rules`, { expression: 'http.host eq "a"', position }, 'InvalidParameter'] as [
            string,
            string,
            string,
            Record<string, unknown>,
            string,
          ],
      ),
      ...[1e300, 59, 2 ** 53, 60.5, '3600'].map(
        (ttlSeconds) =>
          [t.adminToken, 'POST', '/v1/edge-join-tokens', { ttlSeconds }, 'InvalidParameter.JoinToken'] as [
            string,
            string,
            string,
            Record<string, unknown>,
            string,
          ],
      ),
      ...[1e300, 0, 1001, 1.5].map(
        (maxUses) =>
          [t.adminToken, 'POST', '/v1/edge-join-tokens', { maxUses }, 'InvalidParameter.JoinToken'] as [
            string,
            string,
            string,
            Record<string, unknown>,
            string,
          ],
      ),
      ...[1e300, -1, 0.5, '5'].map(
        (customCaQuota) =>
          [t.adminToken, 'POST', '/v1/accounts', { name: 'n', plan: { customCaQuota } }, 'InvalidParameter.Plan'] as [
            string,
            string,
            string,
            Record<string, unknown>,
            string,
          ],
      ),
    ];
    for (const [key, method, url, body, code] of cases) {
      await expectRefused(`${method} ${url} ${JSON.stringify(body)}`, () => call(t.app, key, method as 'POST', url, body), 400, code);
    }
  });

  /** A body the route's schema takes, so that the lookup of the path's ids decides the answer. */
  const validBody = (route: string): Record<string, unknown> | undefined =>
    ({
      'PATCH /v1/sites/:siteId': { originUrl: 'https://o.example.net' },
      'PATCH /v1/sites/:siteId/waf-rules/:ruleId': { enabled: true },
      'POST /v1/accounts/:accountId/api-keys': { name: 'hostile' },
      'POST /v1/sites/:siteId/client-ca-certificates': { certificate: a.spareCaPem },
      'POST /v1/sites/:siteId/client-ca-certificates/:id/revocations': { serialNumber: 'ab' },
      'POST /v1/sites/:siteId/client-certificates': {},
      'POST /v1/sites/:siteId/client-certificates/:id/revoke': { confirm: true },
      'POST /v1/sites/:siteId/server-certificates': a.server,
      'POST /v1/sites/:siteId/waf-rules': { expression: 'http.host eq "a"' },
      'POST /v1/sites/:siteId/waf-rules/test': { request: { host: a.site.name } },
      'PUT /v1/sites/:siteId/ca-bindings/:caId': { hostnames: [] },
      'PUT /v1/sites/:siteId/client-ca-certificates/:id/crl': { crl: a.crl },
      'PUT /v1/sites/:siteId/waf-rules/order': { ruleIds: [a.wafRule] },
      'POST /v1/edge/enroll': { joinToken: 'pjt_x', nodeId: 'edge-1', publicKeyPem: 'x' },
    })[route];

  it('finds nothing for prototype names and unicode tricks as path parameters on every route, writing nothing', async () => {
    const hostileIds = [...prototypeNames, 'ｓｉｔｅ', 'site_\u202e', '%00', 'a\u0000b'];
    let checked = 0;
    for (const route of routes.filter((r) => r.includes(':'))) {
      const [method, pattern] = route.split(' ') as [InjectOptions['method'], string];
      // The first parameter decides: later ones are never looked up under a missing parent.
      const first = /:(\w+)/.exec(pattern)![1]!;
      const expected =
        first === 'siteId'
          ? 'NotFound.Site'
          : first === 'accountId'
            ? 'NotFound.Account'
            : first === 'nodeId'
              ? 'NotFound.Edge'
              : first === 'id' && pattern.startsWith('/v1/edge-join-tokens')
                ? 'NotFound.JoinToken'
                : undefined;
      expect(expected, route).toBeDefined();
      for (const id of hostileIds) {
        const url = urlOf(route).replace(/^(\/v1\/[a-z-]+\/)[^/]+/, `$1${encodeURIComponent(id)}`);
        await expectRefused(`${route} ${first}=${id}`, () => call(t.app, keyFor(route), method, url, validBody(route)), 404, expected!, [
          id,
        ]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('refuses query parameters on every route that takes none (DELETE …?dryRun=true deleted), writing nothing', async () => {
    const withoutQuery = routes.filter((route) => !Object.hasOwn(listRoutes, route));
    expect(withoutQuery.length).toBeGreaterThan(30);
    for (const route of withoutQuery) {
      const [method] = route.split(' ') as [InjectOptions['method']];
      for (const query of ['dryRun=true', 'constructor=1', '__proto__=1', 'toString=x']) {
        await expectRefused(
          `${route}?${query}`,
          () => call(t.app, keyFor(route), method, `${urlOf(route)}?${query}`, validBody(route)),
          400,
          'InvalidParameter',
          [query.split('=')[0]!],
        );
      }
    }
    expect((await call(t.app, a.account.apiKey, 'GET', `/v1/sites/${a.site.id}`)).status).toBe(200);
  });

  it('refuses path parameters over the router limit without echoing them', async () => {
    const long = `MARK${'x'.repeat(200)}`;
    await expectRefused('long site id', () => call(t.app, a.account.apiKey, 'GET', `/v1/sites/${long}`), 400, 'InvalidParameter', [long]);
    await expectRefused(
      'bad percent-encoding',
      () => call(t.app, a.account.apiKey, 'GET', '/v1/sites/%ZZMARK'),
      400,
      'Request.InvalidUrl',
      ['MARK'],
    );
  });
});

describe('the audit log for the administrator', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t?.close());

  it("gives the administrator the administrator's actions (it answered 403 Auth.AccountOnly), and any account's by id", async () => {
    const created = await call(t.app, t.adminToken, 'POST', '/v1/accounts', { name: 'audited' });
    const accountId = created.body.account.id as string;
    const key = created.body.apiKey.secret as string;
    const joinToken = await call(t.app, t.adminToken, 'POST', '/v1/edge-join-tokens', { name: 'edge' });
    expect(joinToken.status).toBe(201);
    expect((await call(t.app, key, 'POST', '/v1/sites', { name: 'audited.example.com', originUrl: 'https://o.example.net' })).status).toBe(
      201,
    );

    const admin = await call(t.app, t.adminToken, 'GET', '/v1/audit-log?pageSize=100');
    expect(admin.status).toBe(200);
    // The fleet CA is created with the first join token; the account's own site is not an administrator action.
    expect(admin.body.items.map((e: { action: string }) => e.action)).toEqual([
      'EdgeJoinToken.Create',
      'FleetCa.Create',
      'ApiKey.Create',
      'Account.Create',
    ]);
    const byAdministrator = admin.body.items.filter((e: { action: string }) => e.action !== 'FleetCa.Create');
    expect(byAdministrator.map((e: { actor: string }) => e.actor)).toEqual(['admin', 'admin', 'admin']);

    const ofAccount = await call(t.app, t.adminToken, 'GET', `/v1/audit-log?accountId=${accountId}`);
    const own = await call(t.app, key, 'GET', '/v1/audit-log');
    expect(ofAccount.body).toEqual(own.body);
    expect(own.body.items.map((e: { action: string }) => e.action)).toEqual(['Site.Create', 'ApiKey.Create', 'Account.Create']);
    expect((await call(t.app, key, 'GET', `/v1/audit-log?accountId=${accountId}`)).body).toEqual(own.body);

    const missing = await call(t.app, t.adminToken, 'GET', '/v1/audit-log?accountId=acc_00000000000000000000');
    expect([missing.status, missing.body.code]).toEqual([404, 'NotFound.Account']);
    const other = await call(t.app, key, 'GET', '/v1/audit-log?accountId=system');
    expect([other.status, other.body.code]).toEqual([404, 'NotFound.Account']);
    const tooLong = await call(t.app, t.adminToken, 'GET', `/v1/audit-log?accountId=${'a'.repeat(65)}`);
    expect([tooLong.status, tooLong.body.code]).toEqual([400, 'InvalidParameter']);
  });
});

describe('schema errors name documented fields only', () => {
  let t: TestApp;
  let dir: TempDir;
  let a: Tenant;
  beforeAll(async () => {
    t = await buildTestApp();
    dir = new TempDir();
    a = await createTenant(t, dir, 'fields');
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  it('reports a bad value under a caller-chosen key (a header name) without the key', async () => {
    const answer = await call(t.app, a.account.apiKey, 'POST', `/v1/sites/${a.site.id}/waf-rules/test`, {
      expression: 'http.host eq "x"',
      request: { host: a.site.name, headers: { 'X-MARKER-<script>': { nested: 1 } } },
    });
    expect([answer.status, answer.body.code]).toEqual([400, 'InvalidParameter']);
    expect(answer.raw.body).not.toMatch(/MARKER|script/i);
    expect(answer.body.details.field).toMatch(/^request\.headers\.\*/);
  });
});
