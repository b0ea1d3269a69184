import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../domain/services.ts';
import { pageRequest } from '../../domain/paging.ts';
import { PageOf, PagingQuery, Timestamp, commonErrors } from '../schemas.ts';

const AuditEntry = Type.Object({
  id: Type.String(),
  revision: Type.Integer(),
  at: Timestamp,
  actor: Type.String({ description: '"key:<api key id>" or "admin"' }),
  requestId: Type.String(),
  action: Type.String(),
  target: Type.Object({ kind: Type.String(), id: Type.String() }),
  details: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))),
});

const AuditLogQuery = Type.Object(
  {
    ...PagingQuery.properties,
    accountId: Type.Optional(
      Type.String({ maxLength: 64, description: "Administrator: this account's log instead of the administrator's own" }),
    ),
  },
  { additionalProperties: false },
);

/**
 * The audit log, newest first: the account's own, or for the administrator the log of
 * administrator and fleet changes, or any account's with `accountId`.
 */
export function auditLogRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/audit-log',
      {
        schema: {
          tags: ['audit'],
          summary: "Every change, newest first: the caller's account's, or (administrator) the administrator's or an account's",
          querystring: AuditLogQuery,
          response: { 200: PageOf(AuditEntry), ...commonErrors },
        },
      },
      async (request) =>
        services.auditLog.list(request.caller, pageRequest(request.query.pageNumber, request.query.pageSize), request.query.accountId),
    );
  };
}
