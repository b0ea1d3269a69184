import type { ChangeRecord, Write } from './store.ts';

/**
 * The order in which both stores apply a `Write` (see store.ts): guards against the state
 * before the write, then deletes, then puts, then one `audit` document per draft. The
 * change record lists the deletes, then the puts.
 */
export function changesOf(write: Write): ChangeRecord['changes'] {
  return [
    ...write.deletes.map((d) => ({ kind: d.kind, id: d.id, op: 'delete' as const })),
    ...write.puts.map((p) => ({ kind: p.kind, id: p.id, op: 'put' as const })),
  ];
}

/**
 * Index members are ordered by `revision * SLOTS_PER_REVISION + slot`, where `slot` is the
 * put's place in the write (puts, then audit entries). One number orders members by the
 * commit that added them and, within a commit, by the order of its puts; it stays an exact
 * double (Redis sorted-set scores) up to revision 9 007 199 254.
 */
export const SLOTS_PER_REVISION = 1_000_000;

export function indexPosition(revision: number, slot: number): number {
  return revision * SLOTS_PER_REVISION + slot;
}

/** Rejects a write too large for the index ordering above (a caller bug, not a conflict). */
export function assertWriteSize(write: Write): void {
  if (write.puts.length + write.audit.length >= SLOTS_PER_REVISION) {
    throw new RangeError(`a write may hold at most ${SLOTS_PER_REVISION - 1} puts and audit entries`);
  }
}

/** The document as JSON; puts must carry JSON-serialisable data. */
export function documentJson(data: unknown): string {
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError('document data must be serialisable as JSON');
  return json;
}

/** Change records kept by default before the oldest are trimmed. */
export const DEFAULT_CHANGE_RETENTION = 100_000;
