import { apiPath, type Json } from '../api-client.ts';
import type { CommandContext, CommandGroup } from '../command.ts';
import type { Column } from '../output.ts';
import { fetchListing, pagingOptions } from '../paging.ts';
import { secretDestination, secretOutOption } from './secret-output.ts';

const accountColumns: readonly Column[] = [
  ['id', 'id'],
  ['name', 'name'],
  ['custom ca quota', 'plan.customCaQuota'],
  ['created', 'createdAt'],
];
const keyColumns: readonly Column[] = [
  ['id', 'id'],
  ['name', 'name'],
  ['created', 'createdAt'],
  ['revoked', 'revokedAt'],
];
const accountArgument = { name: 'account', description: 'The account id' };
const nameOption = { type: 'string', value: 'NAME', description: 'A name for it', required: true } as const;

/** Prints an issued API key: the secret on stdout unless --secret-out takes it. */
function showIssuedKey(ctx: CommandContext, issued: Json, account?: Json): void {
  const destination = secretDestination(ctx);
  const secretPrinted = ctx.string('secret-out') === undefined;
  if (ctx.out.format === 'json') {
    const key = secretPrinted ? issued : { key: issued['key'] };
    ctx.out.json(account ? { account, apiKey: key } : key);
  } else {
    if (account) ctx.out.item(account, accountColumns);
    ctx.out.item(issued['key'], [
      ['api key id', 'id'],
      ['api key name', 'name'],
      ...(secretPrinted ? ([['api key', () => issued['secret']]] as const) : []),
    ]);
  }
  destination.deliver('API key', issued['secret']);
}

/** Accounts (administrator) and their API keys. */
export const accountsGroup: CommandGroup = {
  name: 'accounts',
  summary: 'Accounts (administrator) and their API keys',
  commands: [
    {
      name: 'create',
      summary: 'Create an account with its first API key (administrator token)',
      operations: ['POST /v1/accounts'],
      options: {
        name: nameOption,
        'custom-ca-quota': { type: 'string', value: 'N', description: 'Custom CAs the account may upload (default 5)' },
        'secret-out': secretOutOption,
      },
      run: async (ctx) => {
        const quota = ctx.integer('custom-ca-quota', 0, 1000);
        const body = { name: ctx.required('name'), ...(quota !== undefined ? { plan: { customCaQuota: quota } } : {}) };
        secretDestination(ctx).prepare();
        const created = await ctx.api.post('accounts', body);
        showIssuedKey(ctx, created['apiKey'], created['account']);
      },
    },
    {
      name: 'list',
      summary: 'List accounts (administrator token)',
      operations: ['GET /v1/accounts'],
      options: { ...pagingOptions },
      run: async (ctx) => ctx.out.list(await fetchListing(ctx, 'accounts', 'accounts'), accountColumns),
    },
    {
      name: 'get',
      summary: 'Show an account',
      operations: ['GET /v1/accounts/{accountId}'],
      args: [accountArgument],
      run: async (ctx) => ctx.out.item(await ctx.api.get(apiPath`accounts/${ctx.arg('account')}`), accountColumns),
    },
    {
      name: 'create-key',
      summary: 'Create another API key for an account; its secret is shown once',
      operations: ['POST /v1/accounts/{accountId}/api-keys'],
      args: [accountArgument],
      options: { name: nameOption, 'secret-out': secretOutOption },
      run: async (ctx) => {
        const body = { name: ctx.required('name') };
        const path = apiPath`accounts/${ctx.arg('account')}/api-keys`;
        secretDestination(ctx).prepare();
        showIssuedKey(ctx, await ctx.api.post(path, body));
      },
    },
    {
      name: 'list-keys',
      summary: "List an account's API keys (never their secrets)",
      operations: ['GET /v1/accounts/{accountId}/api-keys'],
      args: [accountArgument],
      options: { ...pagingOptions },
      run: async (ctx) => ctx.out.list(await fetchListing(ctx, apiPath`accounts/${ctx.arg('account')}/api-keys`, 'API keys'), keyColumns),
    },
    {
      name: 'revoke-key',
      summary: 'Revoke an API key at once',
      operations: ['DELETE /v1/accounts/{accountId}/api-keys/{keyId}'],
      args: [accountArgument, { name: 'key', description: 'The API key id (not the secret)' }],
      run: async (ctx) => {
        const revoked = await ctx.api.delete(apiPath`accounts/${ctx.arg('account')}/api-keys/${ctx.arg('key')}`);
        ctx.out.item(revoked ?? {}, keyColumns);
      },
    },
  ],
};
