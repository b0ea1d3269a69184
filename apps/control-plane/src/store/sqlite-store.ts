import { DatabaseSync, type SQLOutputValue } from 'node:sqlite';
import type { EntityKind } from '../domain/entities.ts';
import { auditBody, auditEntryId, auditIndex } from './audit-entry.ts';
import { clampPage } from './page.ts';
import { SQLITE_SCHEMA } from './sqlite-schema.ts';
import type { ChangeRecord, CommitResult, Store, UniqueClaim, Write } from './store.ts';
import { StoreUnavailableError } from './store-unavailable-error.ts';
import { assertWriteSize, changesOf, DEFAULT_CHANGE_RETENTION, documentJson, indexPosition } from './write-order.ts';

export interface SqliteStoreOptions {
  /** The database file (created if missing), or `:memory:` for tests. */
  readonly path: string;
  /** How many change records to keep; older ones are deleted. Default 100 000. */
  readonly changeRetention?: number;
  /** How long a commit waits for another connection's write lock. Default 5 000 ms. */
  readonly busyTimeoutMs?: number;
}

/**
 * The embedded store, for a single control-plane node with no Redis, on Node's built-in
 * SQLite. One process owns the file: the store relies on running each operation
 * synchronously on its one connection (nothing can interleave inside a commit or between
 * the two reads of `list`), and cross-process writers would only meet the busy timeout.
 *
 * Durability: WAL with `synchronous = FULL`, so every commit's WAL frames are fsynced
 * before `COMMIT` returns; each commit is one `BEGIN IMMEDIATE` transaction, rolled back
 * when a guard or unique claim fails. Operations block the event loop for as long as they
 * take (a commit: one fsync), the price of no native addon and no worker hop.
 *
 * Failures: the file is local, so the only "not now" is another connection holding the
 * write lock past the busy timeout; that commit rejects with `StoreUnavailableError`.
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const retention = options.changeRetention ?? DEFAULT_CHANGE_RETENTION;
  const db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 5_000 });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec(SQLITE_SCHEMA);

  const sql = {
    doc: db.prepare('SELECT data, rev FROM docs WHERE kind = ? AND id = ?'),
    putDoc: db.prepare(
      'INSERT INTO docs (kind, id, data, rev) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET data = excluded.data, rev = excluded.rev',
    ),
    deleteDoc: db.prepare('DELETE FROM docs WHERE kind = ? AND id = ?'),
    count: db.prepare('SELECT COUNT(*) AS n FROM index_members WHERE index_name = ?'),
    page: db.prepare(
      `SELECT m.id, d.data, d.rev FROM index_members m JOIN docs d ON d.kind = m.kind AND d.id = m.id
       WHERE m.index_name = ? ORDER BY m.position LIMIT ? OFFSET ?`,
    ),
    indexesOf: db.prepare('SELECT index_name FROM index_members WHERE kind = ? AND id = ?'),
    join: db.prepare('INSERT INTO index_members (index_name, kind, id, position) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
    leave: db.prepare('DELETE FROM index_members WHERE index_name = ? AND kind = ? AND id = ?'),
    leaveAll: db.prepare('DELETE FROM index_members WHERE kind = ? AND id = ?'),
    holder: db.prepare('SELECT kind, id FROM unique_claims WHERE name = ? AND value = ?'),
    claimsOf: db.prepare('SELECT name, value FROM unique_claims WHERE kind = ? AND id = ?'),
    claim: db.prepare(
      'INSERT INTO unique_claims (name, value, kind, id) VALUES (?, ?, ?, ?) ON CONFLICT (name, value) DO UPDATE SET kind = excluded.kind, id = excluded.id',
    ),
    release: db.prepare('DELETE FROM unique_claims WHERE name = ? AND value = ?'),
    releaseAll: db.prepare('DELETE FROM unique_claims WHERE kind = ? AND id = ?'),
    revision: db.prepare("SELECT value FROM meta WHERE key = 'revision'"),
    setRevision: db.prepare("INSERT INTO meta (key, value) VALUES ('revision', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    addChange: db.prepare('INSERT INTO changes (revision, record) VALUES (?, ?)'),
    trimChanges: db.prepare('DELETE FROM changes WHERE revision <= ?'),
    changesAfter: db.prepare('SELECT revision, record FROM changes WHERE revision > ? ORDER BY revision LIMIT ?'),
    oldestChange: db.prepare('SELECT MIN(revision) AS oldest FROM changes'),
  };

  const currentRevision = () => integer(sql.revision.get()?.['value'] ?? 0);

  function guardsHold(write: Write): CommitResult | undefined {
    for (const [position, guard] of write.guards.entries()) {
      const holds =
        guard.type === 'absent'
          ? sql.doc.get(guard.kind, guard.id) === undefined
          : guard.type === 'unchanged'
            ? sql.doc.get(guard.kind, guard.id)?.['rev'] === guard.rev
            : integer(sql.count.get(guard.index)?.['n']) < guard.limit;
      if (!holds) return { ok: false, guard: position };
    }
    return undefined;
  }

  function remove(kind: EntityKind, id: string): void {
    sql.leaveAll.run(kind, id);
    sql.releaseAll.run(kind, id);
    sql.deleteDoc.run(kind, id);
  }

  /** Returns the conflicting claim and writes nothing, or writes the document. */
  function put(
    doc: { kind: EntityKind; id: string; data: string; indexes: readonly string[]; uniques: readonly UniqueClaim[] },
    revision: number,
    slot: number,
  ): UniqueClaim | undefined {
    const { kind, id } = doc;
    for (const claim of doc.uniques) {
      const holder = sql.holder.get(claim.name, claim.value);
      if (holder && (holder['kind'] !== kind || holder['id'] !== id)) return claim;
    }
    const wanted = new Set(doc.indexes);
    for (const row of sql.indexesOf.all(kind, id)) {
      const name = text(row['index_name']);
      if (!wanted.has(name)) sql.leave.run(name, kind, id);
    }
    const kept = new Set(doc.uniques.map((u) => JSON.stringify([u.name, u.value])));
    for (const row of sql.claimsOf.all(kind, id)) {
      const [name, value] = [text(row['name']), text(row['value'])];
      if (!kept.has(JSON.stringify([name, value]))) sql.release.run(name, value);
    }
    for (const name of doc.indexes) sql.join.run(name, kind, id, indexPosition(revision, slot));
    for (const claim of doc.uniques) sql.claim.run(claim.name, claim.value, kind, id);
    sql.putDoc.run(kind, id, doc.data, revision);
    return undefined;
  }

  function apply(write: Write, at: string): CommitResult {
    const failed = guardsHold(write);
    if (failed) return failed;
    const revision = currentRevision() + 1;
    for (const d of write.deletes) remove(d.kind, d.id);
    let slot = 0;
    for (const p of write.puts) {
      const conflict = put({ ...p, data: documentJson(p.data) }, revision, slot++);
      if (conflict) return { ok: false, guard: -1, conflict: { name: conflict.name, value: conflict.value } };
    }
    for (const [position, draft] of write.audit.entries()) {
      const id = auditEntryId(revision, position);
      const data = JSON.stringify({ id, revision, ...auditBody(draft, write.context, at) });
      put({ kind: 'audit', id, data, indexes: [auditIndex(draft.accountId)], uniques: [] }, revision, slot++);
    }
    sql.setRevision.run(revision);
    const { accountId, requestId } = write.context;
    sql.addChange.run(revision, JSON.stringify({ accountId, requestId, at, changes: changesOf(write) }));
    sql.trimChanges.run(revision - retention);
    return { ok: true, revision };
  }

  const store = {
    async get(kind, id) {
      const row = sql.doc.get(kind, id);
      return row && { id, rev: integer(row['rev']), data: JSON.parse(text(row['data'])) };
    },

    async list(_kind, index, page) {
      const { offset, limit } = clampPage(page);
      const total = integer(sql.count.get(index)?.['n']);
      const items = limit === 0 ? [] : sql.page.all(index, limit, offset);
      return {
        total,
        items: items.map((row) => ({ id: text(row['id']), rev: integer(row['rev']), data: JSON.parse(text(row['data'])) })),
      };
    },

    async findUnique(name, value) {
      const holder = sql.holder.get(name, value);
      return holder && text(holder['id']);
    },

    async count(index) {
      return integer(sql.count.get(index)?.['n']);
    },

    async commit(write) {
      assertWriteSize(write);
      const at = new Date().toISOString();
      try {
        db.exec('BEGIN IMMEDIATE');
      } catch (error) {
        throw sqliteFailure(error);
      }
      try {
        const result = apply(write, at);
        db.exec(result.ok ? 'COMMIT' : 'ROLLBACK');
        return result;
      } catch (error) {
        db.exec('ROLLBACK');
        throw error;
      }
    },

    async revision() {
      return currentRevision();
    },

    async changes(after, limit) {
      const rows = sql.changesAfter.all(after, clampPage({ offset: 0, limit }).limit);
      const oldest = sql.oldestChange.get()?.['oldest'];
      return {
        records: rows.map((row) => changeRecord(integer(row['revision']), text(row['record']))),
        oldest: oldest == null ? currentRevision() + 1 : integer(oldest),
      };
    },

    async close() {
      if (db.isOpen) db.close();
    },
  } satisfies Store;
  return store;
}

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

/** A lock that stayed taken becomes `StoreUnavailableError`; anything else is returned as it is. */
function sqliteFailure(error: unknown): unknown {
  const errcode = (error as { errcode?: unknown } | undefined)?.errcode;
  if (errcode !== SQLITE_BUSY && errcode !== SQLITE_LOCKED) return error;
  return new StoreUnavailableError('the embedded store is locked by another connection', { cause: error });
}

function changeRecord(revision: number, json: string): ChangeRecord {
  const record = JSON.parse(json) as Omit<ChangeRecord, 'revision'>;
  return { revision, accountId: record.accountId, requestId: record.requestId, at: record.at, changes: record.changes };
}

function text(value: SQLOutputValue | undefined): string {
  if (typeof value !== 'string') throw new TypeError(`expected TEXT from SQLite, got ${typeof value}`);
  return value;
}

function integer(value: SQLOutputValue | undefined): number {
  if (typeof value !== 'number') throw new TypeError(`expected INTEGER from SQLite, got ${typeof value}`);
  return value;
}
