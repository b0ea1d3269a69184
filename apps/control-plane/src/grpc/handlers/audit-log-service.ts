import type { adminV1 } from '@portcullis/proto';
import type { Services } from '../../domain/services.ts';
import { message } from '../admin-messages.ts';
import { optionalId, paging } from '../request-fields.ts';
import type { UnaryHandler } from '../unary-handler.ts';

/**
 * AuditLogService: the caller's account's changes, newest first; for the administrator, the
 * administrator's log or, with `account_id`, any account's.
 */
export function auditLogService(services: Services, unary: UnaryHandler): adminV1.AuditLogServiceServer {
  return {
    listAuditLog: unary(async (caller, request) => {
      const page = await services.auditLog.list(caller, paging(request.page), optionalId(request.accountId, 'account_id'));
      return { page: message.pageInfo(page), entries: page.items.map(message.auditEntry) };
    }),
  };
}
