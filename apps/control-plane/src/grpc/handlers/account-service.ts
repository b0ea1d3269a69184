import type { adminV1 } from '@portcullis/proto';
import type { Plan } from '../../domain/entities.ts';
import type { Services } from '../../domain/services.ts';
import { ApiError } from '../../domain/api-error.ts';
import { message } from '../admin-messages.ts';
import { entityName, paging, requiredId } from '../request-fields.ts';
import type { UnaryHandler } from '../unary-handler.ts';

/** Plans beyond this many custom CAs are refused, as by the HTTP API. */
const maxCustomCaQuota = 1000;

/** AccountService: accounts (administrator token) and API keys (the account or the administrator). */
export function accountService(services: Services, unary: UnaryHandler): adminV1.AccountServiceServer {
  const { accounts } = services;
  return {
    createAccount: unary(async (caller, request: adminV1.CreateAccountRequest) => {
      const name = entityName(request.name);
      const created = await accounts.createAccount(caller, { name, ...(request.plan ? { plan: planOf(request.plan) } : {}) });
      return {
        account: message.account(created.account),
        apiKey: message.apiKey(created.apiKey.key),
        apiKeySecret: created.apiKey.secret,
      };
    }),
    getAccount: unary(async (caller, request) => ({
      account: message.account(await accounts.getAccount(caller, requiredId(request.accountId, 'account_id'))),
    })),
    listAccounts: unary(async (caller, request: adminV1.ListAccountsRequest) => {
      const page = await accounts.listAccounts(caller, paging(request.page));
      return { page: message.pageInfo(page), accounts: page.items.map(message.account) };
    }),
    createApiKey: unary(async (caller, request: adminV1.CreateApiKeyRequest) => {
      const issued = await accounts.createApiKey(caller, requiredId(request.accountId, 'account_id'), entityName(request.name));
      return { apiKey: message.apiKey(issued.key), apiKeySecret: issued.secret };
    }),
    listApiKeys: unary(async (caller, request: adminV1.ListApiKeysRequest) => {
      const page = await accounts.listApiKeys(caller, requiredId(request.accountId, 'account_id'), paging(request.page));
      return { page: message.pageInfo(page), apiKeys: page.items.map(message.apiKey) };
    }),
    revokeApiKey: unary(async (caller, request: adminV1.RevokeApiKeyRequest) => ({
      apiKey: message.apiKey(
        await accounts.revokeApiKey(caller, requiredId(request.accountId, 'account_id'), requiredId(request.keyId, 'key_id')),
      ),
    })),
  };
}

function planOf(plan: adminV1.Plan): Plan {
  if (plan.customCaQuota > maxCustomCaQuota) throw new ApiError('InvalidParameter.Plan', { details: { max: maxCustomCaQuota } });
  return { customCaQuota: plan.customCaQuota };
}
