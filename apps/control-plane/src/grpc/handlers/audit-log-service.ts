import type { adminV1 } from '@portcullis/proto';
import type { Services } from '../../domain/services.ts';
import { message } from '../admin-messages.ts';
import { paging } from '../request-fields.ts';
import type { UnaryHandler } from '../unary-handler.ts';

/** AuditLogService: the caller's account's changes, newest first. */
export function auditLogService(services: Services, unary: UnaryHandler): adminV1.AuditLogServiceServer {
  return {
    listAuditLog: unary(async (caller, request) => {
      const page = await services.auditLog.list(caller, paging(request.page));
      return { page: message.pageInfo(page), entries: page.items.map(message.auditEntry) };
    }),
  };
}
