import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../domain/services.ts';
import { pageRequest } from '../../domain/paging.ts';
import { PageOf, PagingQuery, Timestamp, commonErrors } from '../schemas.ts';

const Plan = Type.Object(
  { customCaQuota: Type.Integer({ minimum: 0, maximum: 1000, description: 'Custom CAs the account may upload' }) },
  { additionalProperties: false },
);
const Account = Type.Object({ id: Type.String(), name: Type.String(), plan: Plan, createdAt: Timestamp });
const ApiKey = Type.Object({
  id: Type.String(),
  accountId: Type.String(),
  name: Type.String(),
  createdAt: Timestamp,
  revokedAt: Type.Optional(Timestamp),
});
const IssuedApiKey = Type.Object({
  key: ApiKey,
  secret: Type.String({ description: 'The API key itself. Shown once; only its hash is stored.' }),
});
const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f]+$' });
const AccountParams = Type.Object({ accountId: Type.String({ maxLength: 64 }) });

/** Accounts (administrator) and API keys (the account itself or the administrator). */
export function accountRoutes(services: Services): FastifyPluginAsyncTypebox {
  const { accounts } = services;
  return async (app) => {
    app.post(
      '/accounts',
      {
        schema: {
          tags: ['accounts'],
          summary: 'Create an account with its first API key (administrator)',
          body: Type.Object({ name: Name, plan: Type.Optional(Plan) }, { additionalProperties: false }),
          response: { 201: Type.Object({ account: Account, apiKey: IssuedApiKey }), ...commonErrors },
        },
      },
      async (request, reply) => reply.status(201).send(await accounts.createAccount(request.caller, request.body)),
    );
    app.get(
      '/accounts',
      {
        schema: {
          tags: ['accounts'],
          summary: 'List accounts (administrator)',
          querystring: PagingQuery,
          response: { 200: PageOf(Account), ...commonErrors },
        },
      },
      async (request) => accounts.listAccounts(request.caller, pageRequest(request.query.pageNumber, request.query.pageSize)),
    );
    app.get(
      '/accounts/:accountId',
      { schema: { tags: ['accounts'], summary: 'Get an account', params: AccountParams, response: { 200: Account, ...commonErrors } } },
      async (request) => accounts.getAccount(request.caller, request.params.accountId),
    );
    app.post(
      '/accounts/:accountId/api-keys',
      {
        schema: {
          tags: ['accounts'],
          summary: 'Create an API key; its secret is returned once',
          params: AccountParams,
          body: Type.Object({ name: Name }, { additionalProperties: false }),
          response: { 201: IssuedApiKey, ...commonErrors },
        },
      },
      async (request, reply) =>
        reply.status(201).send(await accounts.createApiKey(request.caller, request.params.accountId, request.body.name)),
    );
    app.get(
      '/accounts/:accountId/api-keys',
      {
        schema: {
          tags: ['accounts'],
          summary: 'List API keys (never their secrets)',
          params: AccountParams,
          querystring: PagingQuery,
          response: { 200: PageOf(ApiKey), ...commonErrors },
        },
      },
      async (request) =>
        accounts.listApiKeys(request.caller, request.params.accountId, pageRequest(request.query.pageNumber, request.query.pageSize)),
    );
    app.delete(
      '/accounts/:accountId/api-keys/:keyId',
      {
        schema: {
          tags: ['accounts'],
          summary: 'Revoke an API key at once',
          params: Type.Object({ accountId: Type.String({ maxLength: 64 }), keyId: Type.String({ maxLength: 64 }) }),
          response: { 200: ApiKey, ...commonErrors },
        },
      },
      async (request) => accounts.revokeApiKey(request.caller, request.params.accountId, request.params.keyId),
    );
  };
}
