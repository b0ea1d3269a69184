import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { rpcActions } from '../src/http/rpc/rpc-actions.ts';
import { TempDir } from './support/openssl.ts';
import { apiRoutes } from './support/routes.ts';
import { createTenant, type Tenant } from './support/tenant.ts';
import { buildTestApp, call, expectError, expectRpcError, rpc, snapshot, type TestApp } from './support/test-app.ts';

interface World {
  readonly A: Tenant;
  readonly B: Tenant;
}

type Expectation = readonly [status: number, code: string] | 'own';

/** A request B makes; `expect` is the designed answer ('own': B sees its own things only). */
interface Probe {
  readonly label: string;
  readonly url: (w: World) => string;
  readonly body?: (w: World) => unknown;
  readonly expect: Expectation;
}

interface Row {
  readonly route: string;
  /** Who may call it: the administrator token, account keys, both, or an edge with a join token (no key). */
  readonly access: 'admin' | 'account' | 'both' | 'joinToken';
  readonly probes: readonly Probe[];
}

const notFound = (code: string) => [404, code] as const;
const aSite = (w: World) => `/v1/sites/${w.A.site.id}`;
const bSite = (w: World) => `/v1/sites/${w.B.site.id}`;
const onASite = (suffix: (w: World) => string, body?: (w: World) => unknown): Probe => ({
  label: "A's site",
  url: (w) => `${aSite(w)}${suffix(w)}`,
  ...(body ? { body } : {}),
  expect: notFound('NotFound.Site'),
});
const viaBSite = (suffix: (w: World) => string, code: string, body?: (w: World) => unknown): Probe => ({
  label: `A's item through B's site`,
  url: (w) => `${bSite(w)}${suffix(w)}`,
  ...(body ? { body } : {}),
  expect: notFound(code),
});
const wafExpression = (w: World) => `http.host eq "x.${w.A.site.name}"`;

/**
 * Every REST route, with what account B gets when it reaches for account A's resources.
 * A route without a row fails the coverage test below.
 */
const table: readonly Row[] = [
  {
    route: 'POST /v1/accounts',
    access: 'admin',
    probes: [{ label: 'create an account', url: () => '/v1/accounts', body: () => ({ name: 'x' }), expect: [403, 'Auth.AdminOnly'] }],
  },
  {
    route: 'GET /v1/accounts',
    access: 'admin',
    probes: [{ label: 'list accounts', url: () => '/v1/accounts', expect: [403, 'Auth.AdminOnly'] }],
  },
  {
    route: 'GET /v1/accounts/:accountId',
    access: 'both',
    probes: [{ label: "A's account", url: (w) => `/v1/accounts/${w.A.account.accountId}`, expect: notFound('NotFound.Account') }],
  },
  {
    route: 'POST /v1/accounts/:accountId/api-keys',
    access: 'both',
    probes: [
      {
        label: "a key for A's account",
        url: (w) => `/v1/accounts/${w.A.account.accountId}/api-keys`,
        body: () => ({ name: 'mine now' }),
        expect: notFound('NotFound.Account'),
      },
    ],
  },
  {
    route: 'GET /v1/accounts/:accountId/api-keys',
    access: 'both',
    probes: [{ label: "A's keys", url: (w) => `/v1/accounts/${w.A.account.accountId}/api-keys`, expect: notFound('NotFound.Account') }],
  },
  {
    route: 'DELETE /v1/accounts/:accountId/api-keys/:keyId',
    access: 'both',
    probes: [
      {
        label: "A's key in A's account",
        url: (w) => `/v1/accounts/${w.A.account.accountId}/api-keys/${w.A.otherKeyId}`,
        expect: notFound('NotFound.Account'),
      },
      {
        label: "A's key through B's account",
        url: (w) => `/v1/accounts/${w.B.account.accountId}/api-keys/${w.A.otherKeyId}`,
        expect: notFound('NotFound.ApiKey'),
      },
    ],
  },
  { route: 'GET /v1/account-ca', access: 'account', probes: [{ label: "B's own CA only", url: () => '/v1/account-ca', expect: 'own' }] },
  {
    route: 'GET /v1/audit-log',
    access: 'both',
    probes: [
      { label: "B's own log only", url: () => '/v1/audit-log?pageSize=100', expect: 'own' },
      {
        label: "A's log by account id",
        url: (w) => `/v1/audit-log?accountId=${w.A.account.accountId}`,
        expect: notFound('NotFound.Account'),
      },
    ],
  },
  {
    route: 'POST /v1/edge-join-tokens',
    access: 'admin',
    probes: [{ label: 'create a join token', url: () => '/v1/edge-join-tokens', body: () => ({}), expect: [403, 'Auth.AdminOnly'] }],
  },
  {
    route: 'GET /v1/edge-join-tokens',
    access: 'admin',
    probes: [{ label: 'list join tokens', url: () => '/v1/edge-join-tokens', expect: [403, 'Auth.AdminOnly'] }],
  },
  {
    route: 'DELETE /v1/edge-join-tokens/:id',
    access: 'admin',
    probes: [{ label: 'delete a join token', url: () => '/v1/edge-join-tokens/jt_00000000000000000000', expect: [403, 'Auth.AdminOnly'] }],
  },
  {
    route: 'GET /v1/edges',
    access: 'admin',
    probes: [{ label: 'list edges', url: () => '/v1/edges', expect: [403, 'Auth.AdminOnly'] }],
  },
  {
    route: 'GET /v1/edges/:nodeId',
    access: 'admin',
    probes: [{ label: 'one edge', url: () => '/v1/edges/edge-1', expect: [403, 'Auth.AdminOnly'] }],
  },
  {
    route: 'POST /v1/edge/enroll',
    access: 'joinToken',
    probes: [
      {
        label: 'enroll with an API key for a token',
        url: () => '/v1/edge/enroll',
        body: (w) => ({ joinToken: w.B.account.apiKey, nodeId: 'edge-1', publicKeyPem: 'x' }),
        expect: [401, 'Auth.InvalidJoinToken'],
      },
    ],
  },
  {
    route: 'POST /v1/sites',
    access: 'account',
    probes: [
      {
        label: "A's zone",
        url: () => '/v1/sites',
        body: (w) => ({ name: w.A.site.name, originUrl: 'https://o.example.net' }),
        expect: [409, 'Conflict.SiteExists'],
      },
      {
        label: "a zone under A's",
        url: () => '/v1/sites',
        body: (w) => ({ name: `shop.${w.A.site.name}`, originUrl: 'https://o.example.net' }),
        expect: [409, 'Conflict.SiteExists'],
      },
    ],
  },
  {
    route: 'GET /v1/sites',
    access: 'account',
    probes: [{ label: "B's own sites only", url: () => '/v1/sites?pageSize=100', expect: 'own' }],
  },
  { route: 'GET /v1/sites/:siteId', access: 'account', probes: [onASite(() => '')] },
  {
    route: 'PATCH /v1/sites/:siteId',
    access: 'account',
    probes: [
      onASite(
        () => '',
        () => ({ originUrl: 'https://evil.example.net' }),
      ),
    ],
  },
  { route: 'DELETE /v1/sites/:siteId', access: 'account', probes: [onASite(() => '')] },

  {
    route: 'POST /v1/sites/:siteId/server-certificates',
    access: 'account',
    probes: [
      onASite(
        () => '/server-certificates',
        (w) => w.A.server,
      ),
    ],
  },
  { route: 'GET /v1/sites/:siteId/server-certificates', access: 'account', probes: [onASite(() => '/server-certificates')] },
  {
    route: 'DELETE /v1/sites/:siteId/server-certificates/:id',
    access: 'account',
    probes: [
      onASite((w) => `/server-certificates/${w.A.serverCertificate}`),
      viaBSite((w) => `/server-certificates/${w.A.serverCertificate}`, 'NotFound.ServerCertificate'),
    ],
  },

  {
    route: 'POST /v1/sites/:siteId/client-certificates',
    access: 'account',
    probes: [
      onASite(
        () => '/client-certificates',
        () => ({ pkeyType: 'ECC' }),
      ),
    ],
  },
  { route: 'GET /v1/sites/:siteId/client-certificates', access: 'account', probes: [onASite(() => '/client-certificates')] },
  ...(['GET', 'DELETE'] as const).map((method) => ({
    route: `${method} /v1/sites/:siteId/client-certificates/:id`,
    access: 'account' as const,
    probes: [
      onASite((w) => `/client-certificates/${w.A.clientCertificate}`),
      viaBSite((w) => `/client-certificates/${w.A.clientCertificate}`, 'NotFound.ClientCertificate'),
    ],
  })),
  {
    route: 'POST /v1/sites/:siteId/client-certificates/:id/revoke',
    access: 'account',
    probes: [
      onASite(
        (w) => `/client-certificates/${w.A.clientCertificate}/revoke`,
        () => ({ confirm: true }),
      ),
      viaBSite(
        (w) => `/client-certificates/${w.A.clientCertificate}/revoke`,
        'NotFound.ClientCertificate',
        () => ({ confirm: true }),
      ),
    ],
  },
  {
    route: 'POST /v1/sites/:siteId/client-certificates/:id/activate',
    access: 'account',
    probes: [
      onASite((w) => `/client-certificates/${w.A.clientCertificate}/activate`),
      viaBSite((w) => `/client-certificates/${w.A.clientCertificate}/activate`, 'NotFound.ClientCertificate'),
    ],
  },

  {
    route: 'POST /v1/sites/:siteId/client-ca-certificates',
    access: 'account',
    probes: [
      onASite(
        () => '/client-ca-certificates',
        (w) => ({ certificate: w.B.spareCaPem, name: 'n' }),
      ),
    ],
  },
  { route: 'GET /v1/sites/:siteId/client-ca-certificates', access: 'account', probes: [onASite(() => '/client-ca-certificates')] },
  ...(['GET', 'DELETE'] as const).map((method) => ({
    route: `${method} /v1/sites/:siteId/client-ca-certificates/:id`,
    access: 'account' as const,
    probes: [
      onASite((w) => `/client-ca-certificates/${w.A.customCa}`),
      viaBSite((w) => `/client-ca-certificates/${w.A.customCa}`, 'NotFound.CaCertificate'),
    ],
  })),
  {
    route: 'PUT /v1/sites/:siteId/client-ca-certificates/:id/crl',
    access: 'account',
    probes: [
      onASite(
        (w) => `/client-ca-certificates/${w.A.customCa}/crl`,
        (w) => ({ crl: w.A.crl }),
      ),
      viaBSite(
        (w) => `/client-ca-certificates/${w.A.customCa}/crl`,
        'NotFound.CaCertificate',
        (w) => ({ crl: w.A.crl }),
      ),
    ],
  },
  {
    route: 'GET /v1/sites/:siteId/client-ca-certificates/:id/crl',
    access: 'account',
    probes: [
      onASite((w) => `/client-ca-certificates/${w.A.customCa}/crl`),
      viaBSite((w) => `/client-ca-certificates/${w.A.customCa}/crl`, 'NotFound.CaCertificate'),
    ],
  },
  {
    route: 'POST /v1/sites/:siteId/client-ca-certificates/:id/revocations',
    access: 'account',
    probes: [
      onASite(
        (w) => `/client-ca-certificates/${w.A.customCa}/revocations`,
        () => ({ serialNumber: 'abcdef' }),
      ),
      viaBSite(
        (w) => `/client-ca-certificates/${w.A.customCa}/revocations`,
        'NotFound.CaCertificate',
        () => ({ serialNumber: 'abcdef' }),
      ),
    ],
  },
  {
    route: 'GET /v1/sites/:siteId/client-ca-certificates/:id/revocations',
    access: 'account',
    probes: [
      onASite((w) => `/client-ca-certificates/${w.A.customCa}/revocations`),
      viaBSite((w) => `/client-ca-certificates/${w.A.customCa}/revocations`, 'NotFound.CaCertificate'),
    ],
  },
  {
    route: 'DELETE /v1/sites/:siteId/client-ca-certificates/:id/revocations/:serialNumber',
    access: 'account',
    probes: [
      onASite((w) => `/client-ca-certificates/${w.A.customCa}/revocations/${w.A.revokedSerial}`),
      viaBSite((w) => `/client-ca-certificates/${w.A.customCa}/revocations/${w.A.revokedSerial}`, 'NotFound.CaCertificate'),
    ],
  },

  {
    route: 'PUT /v1/sites/:siteId/ca-bindings/:caId',
    access: 'account',
    probes: [
      onASite(
        () => '/ca-bindings/account',
        (w) => ({ hostnames: [w.A.site.name] }),
      ),
      onASite(
        (w) => `/ca-bindings/${w.A.customCa}`,
        (w) => ({ hostnames: [w.A.site.name] }),
      ),
      viaBSite(
        (w) => `/ca-bindings/${w.A.customCa}`,
        'NotFound.CaCertificate',
        (w) => ({ hostnames: [w.B.site.name] }),
      ),
      {
        ...viaBSite(
          (w) => `/ca-bindings/${w.A.account.accountId}`,
          'NotFound.CaCertificate',
          (w) => ({ hostnames: [w.B.site.name] }),
        ),
        label: "A's account CA through B's site",
      },
    ],
  },
  {
    route: 'GET /v1/sites/:siteId/ca-bindings/:caId',
    access: 'account',
    probes: [
      onASite(() => '/ca-bindings/account'),
      onASite((w) => `/ca-bindings/${w.A.customCa}`),
      viaBSite((w) => `/ca-bindings/${w.A.customCa}`, 'NotFound.CaCertificate'),
      { ...viaBSite((w) => `/ca-bindings/${w.A.account.accountId}`, 'NotFound.CaCertificate'), label: "A's account CA through B's site" },
    ],
  },

  { route: 'GET /v1/sites/:siteId/waf-rules', access: 'account', probes: [onASite(() => '/waf-rules')] },
  {
    route: 'POST /v1/sites/:siteId/waf-rules',
    access: 'account',
    probes: [
      onASite(
        () => '/waf-rules',
        (w) => ({ expression: wafExpression(w) }),
      ),
    ],
  },
  {
    route: 'PUT /v1/sites/:siteId/waf-rules/order',
    access: 'account',
    probes: [
      onASite(
        () => '/waf-rules/order',
        (w) => ({ ruleIds: [w.A.wafRule] }),
      ),
    ],
  },
  {
    route: 'POST /v1/sites/:siteId/waf-rules/test',
    access: 'account',
    probes: [
      onASite(
        () => '/waf-rules/test',
        (w) => ({ expression: wafExpression(w), request: { host: `x.${w.A.site.name}` } }),
      ),
    ],
  },
  ...(['GET', 'PATCH', 'DELETE'] as const).map((method) => ({
    route: `${method} /v1/sites/:siteId/waf-rules/:ruleId`,
    access: 'account' as const,
    probes: [
      onASite((w) => `/waf-rules/${w.A.wafRule}`, method === 'PATCH' ? () => ({ enabled: false }) : undefined),
      viaBSite((w) => `/waf-rules/${w.A.wafRule}`, 'NotFound.WafRule', method === 'PATCH' ? () => ({ enabled: false }) : undefined),
    ],
  })),
];

interface RpcProbe {
  readonly label: string;
  readonly params: (w: World) => Record<string, unknown>;
  readonly expect: readonly [number, string];
}

const onASiteRpc = (extra: (w: World) => Record<string, unknown> = () => ({})): RpcProbe => ({
  label: "A's site",
  params: (w) => ({ SiteId: w.A.site.id, ...extra(w) }),
  expect: notFound('NotFound.Site'),
});
const viaBSiteRpc = (code: string, extra: (w: World) => Record<string, unknown>): RpcProbe => ({
  label: "A's item through B's site",
  params: (w) => ({ SiteId: w.B.site.id, ...extra(w) }),
  expect: notFound(code),
});
const certId = (w: World) => ({ Id: w.A.clientCertificate });
const caId = (w: World) => ({ Id: w.A.customCa });

/** Every RPC action, the same way. */
const rpcTable: Readonly<Record<string, readonly RpcProbe[]>> = {
  CreateClientCertificate: [onASiteRpc(() => ({ PkeyType: 'ECC', ValidityDays: 30 }))],
  GetClientCertificate: [onASiteRpc(certId), viaBSiteRpc('NotFound.ClientCertificate', certId)],
  ListClientCertificates: [onASiteRpc()],
  RevokeClientCertificate: [onASiteRpc(certId), viaBSiteRpc('NotFound.ClientCertificate', certId)],
  ActivateClientCertificate: [onASiteRpc(certId), viaBSiteRpc('NotFound.ClientCertificate', certId)],
  DeleteClientCertificate: [onASiteRpc(certId), viaBSiteRpc('NotFound.ClientCertificate', certId)],
  UploadClientCaCertificate: [onASiteRpc((w) => ({ Certificate: w.B.spareCaPem }))],
  GetClientCaCertificate: [onASiteRpc(caId), viaBSiteRpc('NotFound.CaCertificate', caId)],
  ListClientCaCertificates: [onASiteRpc()],
  DeleteClientCaCertificate: [onASiteRpc(caId), viaBSiteRpc('NotFound.CaCertificate', caId)],
  ...Object.fromEntries(
    ['SetClientCaCertificateHostnames', 'SetClientCertificateHostnames'].map((action) => [
      action,
      [
        onASiteRpc((w) => ({ Hostnames: [w.A.site.name] })),
        onASiteRpc((w) => ({ Id: w.A.customCa, Hostnames: [w.A.site.name] })),
        viaBSiteRpc('NotFound.CaCertificate', (w) => ({ Id: w.A.customCa, Hostnames: [w.B.site.name] })),
      ],
    ]),
  ),
  ...Object.fromEntries(
    ['GetClientCaCertificateHostnames', 'GetClientCertificateHostnames'].map((action) => [
      action,
      [onASiteRpc(), onASiteRpc(caId), viaBSiteRpc('NotFound.CaCertificate', caId)],
    ]),
  ),
};

describe('tenant isolation', () => {
  let t: TestApp;
  let dir: TempDir;
  let w: World;

  beforeAll(async () => {
    t = await buildTestApp();
    dir = new TempDir();
    w = { A: await createTenant(t, dir, 'a'), B: await createTenant(t, dir, 'b') };
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  it('has a row for every REST route and every RPC action', () => {
    expect(table.map((row) => row.route).sort()).toEqual(apiRoutes(t.app));
    expect(Object.keys(rpcTable).sort()).toEqual([...rpcActions(t.services).keys()].sort());
  });

  /** Every id of A, none of which B may see (A's zone is public: it is in the DNS). */
  const secretsOfA = () => [
    w.A.account.accountId,
    w.A.site.id,
    w.A.clientCertificate,
    w.A.customCa,
    w.A.serverCertificate,
    w.A.wafRule,
    w.A.otherKeyId,
  ];

  describe.each(table.map((row) => [row.route, row] as const))('%s', (_route, row) => {
    it.each(row.probes.map((probe) => [probe.label, probe] as const))(
      "B's key, %s: the designed answer and no write",
      async (_label, probe) => {
        const [method, ...rest] = row.route.split(' ');
        expect(rest).toHaveLength(1);
        const s = await snapshot(t, w.A.account);
        const answer = await call(t.app, w.B.account.apiKey, method as InjectOptions['method'], probe.url(w), probe.body?.(w));
        if (probe.expect === 'own') {
          expect(answer.status).toBe(200);
          for (const secret of secretsOfA()) expect(answer.raw.body).not.toContain(secret);
        } else {
          expectError(answer, ...probe.expect);
          for (const secret of secretsOfA()) expect(answer.raw.body).not.toContain(secret);
        }
        await s.expectUnchanged(`${row.route} (${probe.label})`);
      },
    );

    it('refuses a request without a key (401) and one from the wrong kind of caller (403)', async () => {
      const [method] = row.route.split(' ') as [InjectOptions['method']];
      const probe = row.probes[0]!;
      const s = await snapshot(t, w.A.account);
      const unauthenticated = row.access === 'joinToken' ? 'Auth.InvalidJoinToken' : 'Auth.MissingKey';
      expectError(await call(t.app, undefined, method, probe.url(w), probe.body?.(w)), 401, unauthenticated);
      if (row.access === 'account')
        expectError(await call(t.app, t.adminToken, method, probe.url(w), probe.body?.(w)), 403, 'Auth.AccountOnly');
      if (row.access === 'admin')
        expectError(await call(t.app, w.A.account.apiKey, method, probe.url(w), probe.body?.(w)), 403, 'Auth.AdminOnly');
      await s.expectUnchanged(row.route);
    });
  });

  describe.each(Object.entries(rpcTable))('RPC %s', (action, probes) => {
    it.each(probes.map((probe) => [probe.label, probe] as const))("B's key, %s: 404 and no write", async (_label, probe) => {
      const s = await snapshot(t, w.A.account);
      const answer = await rpc(t.app, w.B.account.apiKey, action, probe.params(w));
      expectRpcError(answer, ...probe.expect);
      for (const secret of secretsOfA()) expect(answer.raw.body).not.toContain(secret);
      await s.expectUnchanged(`${action} (${probe.label})`);
    });

    it('refuses a request without a key (401) and the administrator token (403)', async () => {
      const s = await snapshot(t, w.A.account);
      expectRpcError(await rpc(t.app, undefined, action, probes[0]!.params(w)), 401, 'Auth.MissingKey');
      expectRpcError(await rpc(t.app, t.adminToken, action, probes[0]!.params(w)), 403, 'Auth.AccountOnly');
      await s.expectUnchanged(action);
    });
  });

  it("leaves all of A's resources as they were, and A can still use every one", async () => {
    const key = w.A.account.apiKey;
    const site = aSite(w);
    expect((await call(t.app, key, 'GET', site)).body.originUrl).toBe('https://origin.example.net');
    expect((await call(t.app, key, 'GET', `${site}/client-certificates/${w.A.clientCertificate}`)).body.status).toBe('active');
    expect((await call(t.app, key, 'GET', `${site}/client-ca-certificates/${w.A.customCa}`)).status).toBe(200);
    expect((await call(t.app, key, 'GET', `${site}/client-ca-certificates/${w.A.customCa}/crl`)).status).toBe(200);
    expect((await call(t.app, key, 'GET', `${site}/client-ca-certificates/${w.A.customCa}/revocations`)).body.items).toHaveLength(1);
    expect((await call(t.app, key, 'GET', `${site}/ca-bindings/account`)).body.hostnames).toEqual([w.A.site.name]);
    expect((await call(t.app, key, 'GET', `${site}/ca-bindings/${w.A.customCa}`)).body.hostnames).toEqual([`*.${w.A.site.name}`]);
    expect((await call(t.app, key, 'GET', `${site}/server-certificates`)).body.items).toHaveLength(1);
    expect((await call(t.app, key, 'GET', `${site}/waf-rules/${w.A.wafRule}`)).body.enabled).toBe(true);
    expect(
      (await call(t.app, key, 'GET', `/v1/accounts/${w.A.account.accountId}/api-keys`)).body.items.every(
        (k: { revokedAt?: string }) => !k.revokedAt,
      ),
    ).toBe(true);
    expect((await call(t.app, key, 'GET', '/v1/sites')).body.totalCount).toBe(1);
    expect(await t.store.count(`customCas:${w.A.account.accountId}`)).toBe(1);
  });
});
