import type { AuditEntry } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { accountOf } from './accounts.ts';
import { indexes } from './names.ts';
import type { PageOf, PageRequest } from './paging.ts';

/** The audit log of an account, newest first: every change with who, what, when and request id. */
export function auditLogService(deps: Deps) {
  return {
    async list(caller: Caller, page: PageRequest): Promise<PageOf<AuditEntry>> {
      const index = indexes.auditOf(accountOf(caller));
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
