import type { AuditEntry } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { ApiError } from './api-error.ts';
import { systemAccountId } from './fleet-ca.ts';
import { indexes } from './names.ts';
import type { PageOf, PageRequest } from './paging.ts';

/**
 * Audit logs, newest first: every change with who, what, when and request id. An account
 * reads its own. The administrator reads the administrator's log (every change made with
 * the administrator token, and the fleet's: join tokens, enrollments) or, naming it, any
 * account's.
 */
export function auditLogService(deps: Deps) {
  /** Whose log `caller` asked for; `NotFound.Account` for an account the caller cannot see. */
  async function logOf(caller: Caller, accountId: string | undefined): Promise<string> {
    if (caller.kind === 'account') {
      if (accountId !== undefined && accountId !== caller.accountId) throw new ApiError('NotFound.Account');
      return caller.accountId;
    }
    if (accountId === undefined) return systemAccountId;
    if (!(await deps.store.get('account', accountId))) throw new ApiError('NotFound.Account');
    return accountId;
  }

  return {
    async list(caller: Caller, page: PageRequest, accountId?: string): Promise<PageOf<AuditEntry>> {
      const index = indexes.auditOf(await logOf(caller, accountId));
      const total = await deps.store.count(index);
      // The index is oldest first; page N of the newest-first view is a window from the end.
      const end = total - (page.pageNumber - 1) * page.pageSize;
      const start = Math.max(0, end - page.pageSize);
      const listed = end > 0 ? await deps.store.list('audit', index, { offset: start, limit: end - start }) : { items: [] };
      return { totalCount: total, ...page, items: listed.items.map((i) => i.data).reverse() };
    },
  };
}

export type AuditLogService = ReturnType<typeof auditLogService>;
