import type { AuditEntry } from '../domain/entities.ts';
import type { AuditDraft, WriteContext } from './store.ts';

/** The index listing an account's audit entries, oldest first. */
export function auditIndex(accountId: string): string {
  return `audit:${accountId}`;
}

/** `<revision>-<position in write.audit>`: unique without a counter of its own. */
export function auditEntryId(revision: number, position: number): string {
  return `${revision}-${position}`;
}

/** An audit entry without the two fields only known inside the commit: `id` and `revision`. */
export type AuditBody = Omit<AuditEntry, 'id' | 'revision'>;

export function auditBody(draft: AuditDraft, context: WriteContext, at: string): AuditBody {
  return {
    accountId: draft.accountId,
    at,
    actor: context.actor,
    requestId: context.requestId,
    action: draft.action,
    target: { kind: draft.target.kind, id: draft.target.id },
    ...(draft.details === undefined ? {} : { details: draft.details }),
  };
}
