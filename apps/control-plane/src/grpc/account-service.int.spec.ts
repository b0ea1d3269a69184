import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFailure, startAdminFixture, type AdminFixture } from './test/admin-fixture.ts';

describe('AccountService over gRPC', () => {
  let f: AdminFixture;
  beforeAll(async () => {
    f = await startAdminFixture();
  });
  afterAll(() => f.close());

  it('creates an account with the admin token and returns its first API key once', async () => {
    const { response, headers } = await f.api.accounts.createAccount({ name: 'Example Ltd', plan: { customCaQuota: 7 } }, f.adminToken);
    expect(response.account).toMatchObject({ name: 'Example Ltd', plan: { customCaQuota: 7 } });
    expect(response.account!.id).toMatch(/^acc_[0-9a-f]{20}$/);
    expect(response.apiKey).toMatchObject({ accountId: response.account!.id, name: 'initial', revokedAt: '' });
    expect(response.apiKeySecret).toMatch(new RegExp(`^pk_${response.apiKey!.id}_`));
    expect(headers.get('x-request-id')[0]).toMatch(/^req_[0-9a-f]{16}$/);
    // The key works at once; no later answer carries a secret.
    const { response: keys } = await f.api.accounts.listApiKeys({ accountId: response.account!.id }, response.apiKeySecret);
    expect(keys.apiKeys.map((k) => k.id)).toEqual([response.apiKey!.id]);
    expect(JSON.stringify(keys)).not.toContain(response.apiKeySecret.slice(-43));
  });

  it('gives the default plan when none is sent, and refuses bad names and plans', async () => {
    const { response } = await f.api.accounts.createAccount({ name: 'Defaults' }, f.adminToken);
    expect(response.account!.plan).toEqual({ customCaQuota: 5 });
    await expectFailure(f.api.accounts.createAccount({ name: '' }, f.adminToken), status.INVALID_ARGUMENT, 'InvalidParameter.Name');
    await expectFailure(
      f.api.accounts.createAccount({ name: 'x'.repeat(129) }, f.adminToken),
      status.INVALID_ARGUMENT,
      'InvalidParameter.Name',
    );
    await expectFailure(
      f.api.accounts.createAccount({ name: 'tab\there' }, f.adminToken),
      status.INVALID_ARGUMENT,
      'InvalidParameter.Name',
    );
    await expectFailure(
      f.api.accounts.createAccount({ name: 'Big', plan: { customCaQuota: 1001 } }, f.adminToken),
      status.INVALID_ARGUMENT,
      'InvalidParameter.Plan',
    );
  });

  it('keeps account creation and listing to the administrator', async () => {
    const { apiKey } = await f.newAccount();
    await expectFailure(f.api.accounts.createAccount({ name: 'Sneaky' }, apiKey), status.PERMISSION_DENIED, 'Auth.AdminOnly');
    await expectFailure(f.api.accounts.listAccounts({}, apiKey), status.PERMISSION_DENIED, 'Auth.AdminOnly');
  });

  it('lists accounts in pages, zero meaning the default, with the HTTP bounds', async () => {
    await f.newAccount();
    const all = (await f.api.accounts.listAccounts({}, f.adminToken)).response;
    expect(all.page).toEqual({ totalCount: all.accounts.length, pageNumber: 1, pageSize: 20 });
    const second = (await f.api.accounts.listAccounts({ page: { pageNumber: 2, pageSize: 1 } }, f.adminToken)).response;
    expect(second.page).toEqual({ totalCount: all.page!.totalCount, pageNumber: 2, pageSize: 1 });
    expect(second.accounts).toEqual([all.accounts[1]]);
    await expectFailure(
      f.api.accounts.listAccounts({ page: { pageSize: 101 } }, f.adminToken),
      status.INVALID_ARGUMENT,
      'InvalidParameter.Paging',
    );
    await expectFailure(
      f.api.accounts.listAccounts({ page: { pageNumber: 501 } }, f.adminToken),
      status.INVALID_ARGUMENT,
      'InvalidParameter.Paging',
    );
  });

  it('shows an account to itself and the administrator, and hides it from other accounts', async () => {
    const a = await f.newAccount();
    const b = await f.newAccount();
    expect((await f.api.accounts.getAccount({ accountId: a.accountId }, a.apiKey)).response.account!.id).toBe(a.accountId);
    expect((await f.api.accounts.getAccount({ accountId: a.accountId }, f.adminToken)).response.account!.id).toBe(a.accountId);
    await expectFailure(f.api.accounts.getAccount({ accountId: a.accountId }, b.apiKey), status.NOT_FOUND, 'NotFound.Account');
    await expectFailure(
      f.api.accounts.getAccount({ accountId: 'acc_00000000000000000000' }, f.adminToken),
      status.NOT_FOUND,
      'NotFound.Account',
    );
    await expectFailure(f.api.accounts.getAccount({ accountId: '' }, f.adminToken), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(
      f.api.accounts.getAccount({ accountId: 'a'.repeat(65) }, f.adminToken),
      status.INVALID_ARGUMENT,
      'InvalidParameter',
    );
  });

  it('creates, lists and revokes API keys; a revoked key stops working at once', async () => {
    const a = await f.newAccount();
    const b = await f.newAccount();
    const created = (await f.api.accounts.createApiKey({ accountId: a.accountId, name: 'ci' }, a.apiKey)).response;
    expect(created.apiKey).toMatchObject({ accountId: a.accountId, name: 'ci', revokedAt: '' });
    await f.api.sites.listSites({}, created.apiKeySecret);
    await expectFailure(
      f.api.accounts.createApiKey({ accountId: a.accountId, name: '' }, a.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter.Name',
    );
    await expectFailure(
      f.api.accounts.createApiKey({ accountId: a.accountId, name: 'theirs' }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Account',
    );

    const listed = (await f.api.accounts.listApiKeys({ accountId: a.accountId, page: { pageSize: 10 } }, f.adminToken)).response;
    expect(listed.apiKeys.map((k) => k.name)).toEqual(['initial', 'ci']);
    await expectFailure(f.api.accounts.listApiKeys({ accountId: a.accountId }, b.apiKey), status.NOT_FOUND, 'NotFound.Account');

    await expectFailure(
      f.api.accounts.revokeApiKey({ accountId: a.accountId, keyId: created.apiKey!.id }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Account',
    );
    await expectFailure(
      f.api.accounts.revokeApiKey({ accountId: a.accountId, keyId: 'key_00000000000000000000' }, a.apiKey),
      status.NOT_FOUND,
      'NotFound.ApiKey',
    );
    const revoked = (await f.api.accounts.revokeApiKey({ accountId: a.accountId, keyId: created.apiKey!.id }, a.apiKey)).response;
    expect(revoked.apiKey!.revokedAt).not.toBe('');
    await expectFailure(f.api.sites.listSites({}, created.apiKeySecret), status.UNAUTHENTICATED, 'Auth.InvalidKey');
  });
});
