import type { Caller } from './caller.ts';
import { actorOf } from './caller.ts';
import { ApiError } from './api-error.ts';
import type { AuditDraft, Delete, Guard, Put, Store } from '../store/store.ts';
import { systemAccountId } from './fleet-ca.ts';

/** A write as services describe it; `commit` adds who asked. */
export interface Change {
  readonly guards?: readonly Guard[];
  readonly puts?: readonly Put[];
  readonly deletes?: readonly Delete[];
  readonly audit: readonly AuditDraft[];
}

/**
 * Commits `change` for `caller` and returns the new revision. When a guard fails,
 * `onGuardFailure` names the error to throw (its argument is the guard's position, or -1
 * for a unique-claim conflict); by default a concurrent change is reported.
 */
export async function commit(
  store: Store,
  caller: Caller,
  change: Change,
  onGuardFailure: (guard: number) => ApiError = () => new ApiError('Conflict.ConcurrentChange'),
): Promise<number> {
  const result = await store.commit({
    guards: change.guards ?? [],
    puts: change.puts ?? [],
    deletes: change.deletes ?? [],
    audit: caller.kind === 'admin' ? withAdministratorLog(change.audit) : change.audit,
    context: {
      accountId: caller.kind === 'account' ? caller.accountId : change.audit[0]?.accountId,
      actor: actorOf(caller),
      requestId: caller.requestId,
    },
  });
  if (!result.ok) throw onGuardFailure(result.guard);
  return result.revision;
}

/**
 * The administrator's changes to an account are audited in the account's log and, as a
 * copy, in the administrator's own (the system log, which also holds fleet changes), so the
 * administrator can review everything done with the administrator token.
 */
function withAdministratorLog(audit: readonly AuditDraft[]): readonly AuditDraft[] {
  const copies = audit.filter((entry) => entry.accountId !== systemAccountId).map((entry) => ({ ...entry, accountId: systemAccountId }));
  return [...audit, ...copies];
}

/**
 * Runs a read-modify-write `attempt` until its `unchanged` guard holds, up to a few times;
 * concurrent writers to one entity then serialise instead of failing the caller.
 */
export async function withRetry<T>(attempt: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ApiError) || error.code !== 'Conflict.ConcurrentChange' || i >= tries) throw error;
    }
  }
}
