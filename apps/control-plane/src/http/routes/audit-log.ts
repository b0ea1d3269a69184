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

/** The account's audit log, newest first. */
export function auditLogRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/audit-log',
      {
        schema: {
          tags: ['audit'],
          summary: 'Every change, newest first',
          querystring: PagingQuery,
          response: { 200: PageOf(AuditEntry), ...commonErrors },
        },
      },
      async (request) => services.auditLog.list(request.caller, pageRequest(request.query.pageNumber, request.query.pageSize)),
    );
  };
}
