import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFailure, startAdminFixture, type AdminFixture } from './test/admin-fixture.ts';

describe('AuditLogService over gRPC', () => {
  let f: AdminFixture;
  beforeAll(async () => {
    f = await startAdminFixture();
  });
  afterAll(() => f.close());

  it('lists the account’s changes newest first, with actor, request id and details', async () => {
    const { accountId, apiKey } = await f.newAccount();
    const keyId = apiKey.split('_').slice(1, 3).join('_');
    const site = await f.newSite(apiKey);
    const update = await f.api.sites.updateSite({ siteId: site.id, originUrl: 'https://new.example.net' }, apiKey);

    const { response } = await f.api.auditLog.listAuditLog({}, apiKey);
    expect(response.entries.map((e) => e.action)).toEqual(['Site.Update', 'Site.Create', 'ApiKey.Create', 'Account.Create']);
    expect(response.page).toEqual({ totalCount: 4, pageNumber: 1, pageSize: 20 });
    const [latest] = response.entries;
    expect(latest).toMatchObject({
      actor: `key:${keyId}`,
      requestId: update.headers.get('x-request-id')[0],
      target: { kind: 'site', id: site.id },
      details: { originUrl: 'https://new.example.net' },
    });
    expect(response.entries.at(-1)).toMatchObject({ actor: 'admin', target: { kind: 'account', id: accountId } });
    expect(response.entries[0]!.revision).toBeGreaterThan(response.entries[1]!.revision);

    const second = (await f.api.auditLog.listAuditLog({ page: { pageNumber: 2, pageSize: 3 } }, apiKey)).response;
    expect(second.entries.map((e) => e.action)).toEqual(['Account.Create']);
    await expectFailure(
      f.api.auditLog.listAuditLog({ page: { pageNumber: 501 } }, apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter.Paging',
    );
  });

  it('shows an account nothing of another’s, not even by naming it', async () => {
    const a = await f.newAccount();
    const b = await f.newAccount();
    await f.newSite(a.apiKey);
    const seen = (await f.api.auditLog.listAuditLog({ page: { pageSize: 100 } }, b.apiKey)).response.entries;
    expect(seen.every((e) => e.target!.id !== a.accountId && e.action !== 'Site.Create')).toBe(true);
    await expectFailure(f.api.auditLog.listAuditLog({ accountId: a.accountId }, b.apiKey), status.NOT_FOUND, 'NotFound.Account');
    const own = (await f.api.auditLog.listAuditLog({ accountId: b.accountId, page: { pageSize: 100 } }, b.apiKey)).response;
    expect(own.entries).toEqual(seen);
  });

  it("gives the administrator the administrator's log, and any account's by id", async () => {
    const a = await f.newAccount();
    await f.newSite(a.apiKey);
    const admin = (await f.api.auditLog.listAuditLog({ page: { pageSize: 100 } }, f.adminToken)).response.entries;
    // The administrator created the account (and its first key); the account's own site is not an administrator action.
    expect(admin.filter((e) => e.target!.id === a.accountId).map((e) => [e.action, e.actor])).toEqual([['Account.Create', 'admin']]);
    expect(admin.every((e) => e.actor === 'admin' || e.actor.startsWith('joinToken:'))).toBe(true);
    const ofA = (await f.api.auditLog.listAuditLog({ accountId: a.accountId }, f.adminToken)).response.entries;
    expect(ofA.map((e) => e.action)).toEqual(['Site.Create', 'ApiKey.Create', 'Account.Create']);
    await expectFailure(
      f.api.auditLog.listAuditLog({ accountId: 'acc_00000000000000000000' }, f.adminToken),
      status.NOT_FOUND,
      'NotFound.Account',
    );
    await expectFailure(
      f.api.auditLog.listAuditLog({ accountId: 'x'.repeat(65) }, f.adminToken),
      status.INVALID_ARGUMENT,
      'InvalidParameter',
    );
  });
});
