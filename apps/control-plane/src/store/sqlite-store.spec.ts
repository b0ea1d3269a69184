import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditIndex } from './audit-entry.ts';
import { createSqliteStore } from './sqlite-store.ts';
import { describeStoreContract } from './store-contract.ts';
import { StoreUnavailableError } from './store-unavailable-error.ts';
import type { Write } from './store.ts';

describeStoreContract('sqlite file', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-store-'));
  const store = createSqliteStore({ path: path.join(dir, 'store.db') });
  return {
    store,
    async cleanup() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describeStoreContract('sqlite in memory', async () => {
  const store = createSqliteStore({ path: ':memory:' });
  return { store, cleanup: () => store.close() };
});

describe('sqlite store', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'portcullis-store-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const write = (parts: Partial<Write>): Write => ({
    guards: [],
    puts: [],
    deletes: [],
    audit: [],
    context: { accountId: 'acc-1', actor: 'admin', requestId: 'req' },
    ...parts,
  });

  it('keeps documents, index order, claims, revision, changes and audit across close and reopen', async () => {
    const file = path.join(dir, 'store.db');
    const first = createSqliteStore({ path: file });
    for (const id of ['c', 'a', 'b']) {
      await first.commit(
        write({
          puts: [{ kind: 'site', id, data: { id }, indexes: ['sites'], uniques: [{ name: 'siteName', value: `${id}.example` }] }],
          audit: [{ accountId: 'acc-1', action: 'Site.Create', target: { kind: 'site', id } }],
        }),
      );
    }
    const before = {
      revision: await first.revision(),
      sites: await first.list('site', 'sites', { offset: 0, limit: 10 }),
      audit: await first.list('audit', auditIndex('acc-1'), { offset: 0, limit: 10 }),
      changes: await first.changes(0, 10),
      holder: await first.findUnique('siteName', 'a.example'),
    };
    await first.close();

    const reopened = createSqliteStore({ path: file });
    try {
      expect(before.revision).toBe(3);
      expect(before.sites.items.map((i) => i.id)).toEqual(['c', 'a', 'b']);
      expect({
        revision: await reopened.revision(),
        sites: await reopened.list('site', 'sites', { offset: 0, limit: 10 }),
        audit: await reopened.list('audit', auditIndex('acc-1'), { offset: 0, limit: 10 }),
        changes: await reopened.changes(0, 10),
        holder: await reopened.findUnique('siteName', 'a.example'),
      }).toEqual(before);
      expect(await reopened.commit(write({ guards: [{ type: 'indexBelow', index: 'sites', limit: 4 }] }))).toEqual({
        ok: true,
        revision: 4,
      });
    } finally {
      await reopened.close();
    }
  });

  it('runs the file in WAL mode', async () => {
    const file = path.join(dir, 'store.db');
    await createSqliteStore({ path: file }).close();
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      db.close();
    }
  });

  it('trims change records beyond the retention and says which is the oldest left', async () => {
    const store = createSqliteStore({ path: path.join(dir, 'store.db'), changeRetention: 10 });
    try {
      for (let i = 0; i < 25; i++) await store.commit(write({}));
      const { records, oldest } = await store.changes(0, 100);
      expect(oldest).toBe(16);
      expect(records.map((r) => r.revision)).toEqual(Array.from({ length: 10 }, (_, i) => 16 + i));
      expect(await store.changes(25, 10)).toEqual({ records: [], oldest: 16 });
    } finally {
      await store.close();
    }
  });

  it('rejects a commit with StoreUnavailableError while another connection holds the write lock, and commits after', async () => {
    const file = path.join(dir, 'store.db');
    const store = createSqliteStore({ path: file, busyTimeoutMs: 20 });
    const other = new DatabaseSync(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      await expect(store.commit(write({}))).rejects.toBeInstanceOf(StoreUnavailableError);
      other.exec('ROLLBACK');
      expect(await store.commit(write({}))).toEqual({ ok: true, revision: 1 });
    } finally {
      other.close();
      await store.close();
    }
  });
});
