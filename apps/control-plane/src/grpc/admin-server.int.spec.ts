import { randomBytes } from 'node:crypto';
import { Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import { adminV1 } from '@portcullis/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiErrors } from '../domain/api-error.ts';
import { startAdminGrpcServer } from './admin-server.ts';
import { adminApi, adminServiceDefinitions, apiOf, expectFailure, startAdminFixture, type AdminFixture } from './test/admin-fixture.ts';

describe('admin gRPC server', () => {
  let f: AdminFixture;
  let account: { accountId: string; apiKey: string };
  beforeAll(async () => {
    f = await startAdminFixture();
    account = await f.newAccount();
  });
  afterAll(() => f.close());

  it('serves every method of every admin/v1 service, each behind authentication', async () => {
    expect([...adminServiceDefinitions.keys()].sort()).toEqual([
      'portcullis.admin.v1.AccountService',
      'portcullis.admin.v1.AuditLogService',
      'portcullis.admin.v1.ClientCertificateService',
      'portcullis.admin.v1.CustomCaService',
      'portcullis.admin.v1.SiteService',
      'portcullis.admin.v1.WafRuleService',
    ]);
    let methods = 0;
    for (const definition of adminServiceDefinitions.values()) {
      const api = apiOf(definition, `127.0.0.1:${f.server.port}`) as unknown as Record<
        string,
        (request: object, token: undefined) => Promise<unknown>
      >;
      for (const method of Object.keys(definition)) {
        const error = (await api[method]!({}, undefined).catch((e: unknown) => e)) as ServiceError;
        // UNIMPLEMENTED would mean the method is not registered.
        expect({ method, code: error.code, errorCode: error.metadata.get('portcullis-error-code')[0] }).toEqual({
          method,
          code: status.UNAUTHENTICATED,
          errorCode: 'Auth.MissingKey',
        });
        methods++;
      }
      (api as unknown as { close(): void }).close();
    }
    expect(methods).toBe(40);
  });

  it('refuses missing, malformed, unknown and forged credentials as UNAUTHENTICATED', async () => {
    const missing = await expectFailure(f.api.sites.listSites({}, undefined), status.UNAUTHENTICATED, 'Auth.MissingKey');
    expect(missing.details).toBe(apiErrors['Auth.MissingKey'][1]);
    await expectFailure(f.api.sites.listSites({}, 'nope'), status.UNAUTHENTICATED, 'Auth.InvalidKey');
    await expectFailure(f.api.sites.listSites({}, `${f.adminToken}x`), status.UNAUTHENTICATED, 'Auth.InvalidKey');
    const forged = account.apiKey.replace(/.{43}$/, randomBytes(32).toString('base64url'));
    await expectFailure(f.api.sites.listSites({}, forged), status.UNAUTHENTICATED, 'Auth.InvalidKey');

    // Not the Bearer scheme: refused as HTTP refuses the same header.
    const metadata = new Metadata();
    metadata.set('authorization', `Basic ${account.apiKey}`);
    const client = new adminV1.SiteServiceClient(`127.0.0.1:${f.server.port}`, credentials.createInsecure());
    const error = await new Promise<ServiceError>((resolve) => client.listSites({}, metadata, (e) => resolve(e!)));
    client.close();
    expect(error.code).toBe(status.UNAUTHENTICATED);
  });

  it('keeps account operations from the administrator token', async () => {
    await expectFailure(f.api.sites.listSites({}, f.adminToken), status.PERMISSION_DENIED, 'Auth.AccountOnly');
    await expectFailure(
      f.api.clientCertificates.listClientCertificates({ siteId: 'site_00000000000000000000' }, f.adminToken),
      status.PERMISSION_DENIED,
      'Auth.AccountOnly',
    );
  });

  it('gives each call its own request id, sends it back, and records it in the audit log', async () => {
    const first = await f.api.sites.createSite(
      { name: `${randomBytes(4).toString('hex')}.example.com`, originUrl: 'https://o.example.net' },
      account.apiKey,
    );
    const second = await f.api.sites.listSites({}, account.apiKey);
    const id = first.headers.get('x-request-id')[0] as string;
    expect(id).toMatch(/^req_[0-9a-f]{16}$/);
    expect(second.headers.get('x-request-id')[0]).not.toBe(id);
    const log = (await f.api.auditLog.listAuditLog({}, account.apiKey)).response;
    expect(log.entries[0]).toMatchObject({ action: 'Site.Create', requestId: id, target: { kind: 'site', id: first.response.site!.id } });
  });

  it('accepts requests beyond gRPC’s default 4 MiB up to the CRL limit, and only once authenticated', async () => {
    const site = await f.newSite(account.apiKey);
    const big = randomBytes(8 * 1024 * 1024);
    big[0] = 0x41;
    await expectFailure(
      f.api.customCas.uploadClientCaCrl({ siteId: site.id, id: 'ca_00000000000000000000', crl: big }, undefined),
      status.UNAUTHENTICATED,
      'Auth.MissingKey',
    );
    // Authenticated, the message reaches the domain, which finds no such CA.
    await expectFailure(
      f.api.customCas.uploadClientCaCrl({ siteId: site.id, id: 'ca_00000000000000000000', crl: big }, account.apiKey),
      status.NOT_FOUND,
      'NotFound.CaCertificate',
    );
    const tooBig = Buffer.alloc(64 * 1024 * 1024 + 1, 0x41);
    const error = await f.api.customCas
      .uploadClientCaCrl({ siteId: site.id, id: 'x', crl: tooBig }, account.apiKey)
      .catch((e: ServiceError) => e);
    expect((error as ServiceError).code).toBe(status.RESOURCE_EXHAUSTED);
  });

  it('answers anything unexpected with INTERNAL and the catalogue message, logging the cause', async () => {
    const log = { error: vi.fn() };
    const failing = {
      ...f.services,
      sites: {
        ...f.services.sites,
        get: async () => Promise.reject(new Error('sqlite: database disk image is malformed at /secret/path')),
      },
    };
    const server = await startAdminGrpcServer({ services: failing, host: '127.0.0.1', port: 0, log });
    const api = adminApi(`127.0.0.1:${server.port}`);
    try {
      const error = await expectFailure(api.sites.getSite({ siteId: 'site_1' }, account.apiKey), status.INTERNAL, 'Internal');
      expect(error.details).toBe(apiErrors.Internal[1]);
      expect(JSON.stringify(error)).not.toMatch(/secret|sqlite|at .*\.ts/);
      expect(log.error).toHaveBeenCalledTimes(1);
      expect(log.error.mock.calls[0]![0]).toMatchObject({ requestId: error.metadata.get('x-request-id')[0] });
    } finally {
      for (const client of Object.values(api)) client.close();
      await server.close();
    }
  });

  it('limits each caller’s rate like the HTTP API, as RESOURCE_EXHAUSTED', async () => {
    const server = await startAdminGrpcServer({
      services: f.services,
      host: '127.0.0.1',
      port: 0,
      rateLimit: { perSecond: 0.001, burst: 2 },
    });
    const api = adminApi(`127.0.0.1:${server.port}`);
    try {
      await api.sites.listSites({}, account.apiKey);
      await api.sites.listSites({}, account.apiKey);
      await expectFailure(api.sites.listSites({}, account.apiKey), status.RESOURCE_EXHAUSTED, 'Throttling');
      // Another caller has its own allowance.
      await api.sites.listSites({}, (await f.newAccount()).apiKey);
    } finally {
      for (const client of Object.values(api)) client.close();
      await server.close();
    }
  });

  it('closes: running calls finish, new ones are refused', async () => {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const slow = {
      ...f.services,
      sites: {
        ...f.services.sites,
        list: async (...args: Parameters<typeof f.services.sites.list>) => {
          started();
          await new Promise((resolve) => setTimeout(resolve, 300));
          return f.services.sites.list(...args);
        },
      },
    };
    const server = await startAdminGrpcServer({ services: slow, host: '127.0.0.1', port: 0 });
    const api = adminApi(`127.0.0.1:${server.port}`);
    try {
      const call = api.sites.listSites({}, account.apiKey);
      await running;
      await server.close();
      await expect(call).resolves.toMatchObject({ response: { page: { pageNumber: 1 } } });
      const after = await api.sites.listSites({}, account.apiKey).catch((e: ServiceError) => e);
      expect((after as ServiceError).code).toBe(status.UNAVAILABLE);
    } finally {
      for (const client of Object.values(api)) client.close();
    }
  });
});
