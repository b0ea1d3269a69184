import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EntityKind } from '../domain/entities.ts';
import { auditIndex } from './audit-entry.ts';
import type { AuditDraft, Guard, Put, Store, UniqueClaim, Write, WriteContext } from './store.ts';

/** A store under test and how to dispose of it (close it, drop its data). */
export interface StoreFixture {
  readonly store: Store;
  cleanup(): Promise<void>;
}

/**
 * The one test suite every `Store` passes: each promise of store.ts, checked against a
 * fresh, empty store per test. Implementations call it from their own spec file and add
 * tests for what only they do (restarts, reopening a file).
 */
export function describeStoreContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`${name}: Store contract`, () => {
    let fixture: StoreFixture | undefined;
    let store: Store;
    beforeEach(async () => {
      fixture = await makeStore();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    const commitOk = async (w: Partial<Write>): Promise<number> => {
      const result = await store.commit(write(w));
      if (!result.ok) throw new Error(`commit failed: ${JSON.stringify(result)}`);
      return result.revision;
    };
    const ids = async (index: string, offset = 0, limit = 100) =>
      (await store.list('site', index, { offset, limit })).items.map((i) => i.id);

    describe('documents', () => {
      it('starts empty: no documents, revision 0, no change records', async () => {
        expect(await store.get('site', 's1')).toBeUndefined();
        expect(await store.revision()).toBe(0);
        expect(await store.changes(0, 10)).toEqual({ records: [], oldest: 1 });
        expect(await store.list('site', 'sites', { offset: 0, limit: 10 })).toEqual({ total: 0, items: [] });
        expect(await store.count('sites')).toBe(0);
        expect(await store.findUnique('siteName', 'example.com')).toBeUndefined();
      });

      it('puts a document and reads it back with the revision that wrote it', async () => {
        const result = await store.commit(write({ puts: [put('site', 's1', { name: 'example.com' })] }));
        expect(result).toEqual({ ok: true, revision: 1 });
        expect(await store.get('site', 's1')).toEqual({ id: 's1', rev: 1, data: { name: 'example.com' } });
      });

      it('replaces the whole document on a second put, with the new revision', async () => {
        await commitOk({ puts: [put('site', 's1', { name: 'a', originUrl: 'https://o' })] });
        await commitOk({ puts: [put('site', 'other', {})] });
        await commitOk({ puts: [put('site', 's1', { name: 'b' })] });
        expect(await store.get('site', 's1')).toEqual({ id: 's1', rev: 3, data: { name: 'b' } });
      });

      it('deletes a document; deleting an absent one is a no-op that still commits', async () => {
        await commitOk({ puts: [put('site', 's1', { n: 1 })] });
        expect(await store.commit(write({ deletes: [{ kind: 'site', id: 's1' }] }))).toEqual({ ok: true, revision: 2 });
        expect(await store.get('site', 's1')).toBeUndefined();
        expect(await store.commit(write({ deletes: [{ kind: 'site', id: 'never' }] }))).toEqual({ ok: true, revision: 3 });
      });

      it('keeps documents of different kinds with the same id apart', async () => {
        await commitOk({ puts: [put('site', 'x', { k: 'site' }, ['shared'], [claim('u', 'v')]), put('customCa', 'x', { k: 'ca' })] });
        expect((await store.get('site', 'x'))?.data).toEqual({ k: 'site' });
        expect((await store.get('customCa', 'x'))?.data).toEqual({ k: 'ca' });
        // The customCa claiming the site's value is another holder, though the id is equal.
        expect(await store.commit(write({ puts: [put('customCa', 'x', {}, [], [claim('u', 'v')])] }))).toEqual({
          ok: false,
          guard: -1,
          conflict: claim('u', 'v'),
        });
        await commitOk({ deletes: [{ kind: 'customCa', id: 'x' }] });
        expect(await store.get('site', 'x')).toMatchObject({ data: { k: 'site' } });
        expect(await ids('shared')).toEqual(['x']);
        expect(await store.findUnique('u', 'v')).toBe('x');
      });

      it('round-trips JSON exactly: nesting, empty arrays and objects, nulls, large and fractional numbers', async () => {
        const data = {
          emptyArray: [],
          emptyObject: {},
          nested: { list: [1, [2, [3, []]], { a: null }], flag: false },
          nothing: null,
          big: Number.MAX_SAFE_INTEGER,
          negative: -9_007_199_254_740_991,
          fraction: 0.1 + 0.2,
          tiny: 5e-324,
          exponent: 1.5e300,
          zero: 0,
          text: '',
        };
        await commitOk({ puts: [put('site', 's1', data)] });
        expect((await store.get('site', 's1'))?.data).toStrictEqual(data);
        await commitOk({ puts: [put('site', 'list', [])] });
        expect((await store.get('site', 'list'))?.data).toStrictEqual([]);
      });
    });

    describe('indexes', () => {
      it('lists members in the order they joined, across commits, not by id', async () => {
        for (const id of ['c', 'a', 'b']) await commitOk({ puts: [put('site', id, { id }, ['sites'])] });
        const listed = await store.list('site', 'sites', { offset: 0, limit: 10 });
        expect(listed.total).toBe(3);
        expect(listed.items).toEqual([
          { id: 'c', rev: 1, data: { id: 'c' } },
          { id: 'a', rev: 2, data: { id: 'a' } },
          { id: 'b', rev: 3, data: { id: 'b' } },
        ]);
      });

      it('orders members joining in one commit as the puts are ordered', async () => {
        await commitOk({ puts: ['z', 'b', 'y', 'a'].map((id) => put('site', id, {}, ['sites'])) });
        await commitOk({ puts: ['m', 'c'].map((id) => put('site', id, {}, ['sites'])) });
        expect(await ids('sites')).toEqual(['z', 'b', 'y', 'a', 'm', 'c']);
      });

      it('pages with offset and limit; total is the whole index', async () => {
        const all = Array.from({ length: 7 }, (_, i) => `s${i}`);
        for (const id of all) await commitOk({ puts: [put('site', id, {}, ['sites'])] });
        const page = await store.list('site', 'sites', { offset: 2, limit: 3 });
        expect(page.total).toBe(7);
        expect(page.items.map((i) => i.id)).toEqual(['s2', 's3', 's4']);
        expect(await ids('sites', 5, 10)).toEqual(['s5', 's6']);
        expect(await store.list('site', 'sites', { offset: 7, limit: 3 })).toEqual({ total: 7, items: [] });
        expect(await store.list('site', 'sites', { offset: 100, limit: 3 })).toEqual({ total: 7, items: [] });
        expect(await store.list('site', 'sites', { offset: 0, limit: 0 })).toEqual({ total: 7, items: [] });
        expect(await store.count('sites')).toBe(7);
      });

      it('keeps a replaced document in place in the indexes it stays in', async () => {
        for (const id of ['a', 'b', 'c']) await commitOk({ puts: [put('site', id, { v: 1 }, ['sites'])] });
        await commitOk({ puts: [put('site', 'a', { v: 2 }, ['sites'])] });
        const listed = await store.list('site', 'sites', { offset: 0, limit: 10 });
        expect(listed.items.map((i) => [i.id, i.rev, i.data])).toEqual([
          ['a', 4, { v: 2 }],
          ['b', 2, { v: 1 }],
          ['c', 3, { v: 1 }],
        ]);
      });

      it('drops memberships a replacement lacks and appends it to indexes it newly joins', async () => {
        await commitOk({ puts: [put('site', 'a', {}, ['x', 'y']), put('site', 'b', {}, ['x', 'z'])] });
        await commitOk({ puts: [put('site', 'a', {}, ['z'])] });
        expect(await ids('x')).toEqual(['b']);
        expect(await store.count('y')).toBe(0);
        expect(await store.list('site', 'y', { offset: 0, limit: 10 })).toEqual({ total: 0, items: [] });
        expect(await ids('z')).toEqual(['b', 'a']);
      });

      it('sends a member that left and rejoined to the end', async () => {
        for (const id of ['a', 'b']) await commitOk({ puts: [put('site', id, {}, ['sites'])] });
        await commitOk({ puts: [put('site', 'a', {}, [])] });
        await commitOk({ puts: [put('site', 'a', {}, ['sites'])] });
        expect(await ids('sites')).toEqual(['b', 'a']);
      });

      it('removes a deleted document from every index', async () => {
        await commitOk({ puts: [put('site', 'a', {}, ['x', 'y']), put('site', 'b', {}, ['x'])] });
        await commitOk({ deletes: [{ kind: 'site', id: 'a' }] });
        expect(await store.list('site', 'x', { offset: 0, limit: 10 })).toMatchObject({ total: 1, items: [{ id: 'b' }] });
        expect(await store.count('y')).toBe(0);
      });
    });

    describe('unique claims', () => {
      it('finds the holder of a claimed value', async () => {
        await commitOk({ puts: [put('site', 's1', {}, [], [claim('siteName', 'example.com'), claim('other', 'x')])] });
        expect(await store.findUnique('siteName', 'example.com')).toBe('s1');
        expect(await store.findUnique('other', 'x')).toBe('s1');
        expect(await store.findUnique('siteName', 'x')).toBeUndefined();
      });

      it('fails a put claiming a value another id holds, with guard -1 and the claim, writing nothing', async () => {
        await commitOk({ puts: [put('site', 's1', { v: 1 }, ['sites'], [claim('siteName', 'example.com')])] });
        const before = await snapshot(store, {
          docs: [
            ['site', 's1'],
            ['site', 'ok'],
            ['site', 's2'],
          ],
          indexes: ['sites', 'more'],
        });
        const result = await store.commit(
          write({
            // The first put is fine on its own; the write fails as a whole.
            puts: [put('site', 'ok', {}, ['more']), put('site', 's2', {}, ['sites'], [claim('siteName', 'example.com')])],
            audit: [draft('acc-1', 'Site.Create')],
          }),
        );
        expect(result).toEqual({ ok: false, guard: -1, conflict: { name: 'siteName', value: 'example.com' } });
        expect(
          await snapshot(store, {
            docs: [
              ['site', 's1'],
              ['site', 'ok'],
              ['site', 's2'],
            ],
            indexes: ['sites', 'more'],
          }),
        ).toEqual(before);
        expect(await store.count(auditIndex('acc-1'))).toBe(0);
        expect(await store.findUnique('siteName', 'example.com')).toBe('s1');
      });

      it('lets the holder put itself again with the same claim', async () => {
        await commitOk({ puts: [put('site', 's1', { v: 1 }, [], [claim('siteName', 'example.com')])] });
        expect(await store.commit(write({ puts: [put('site', 's1', { v: 2 }, [], [claim('siteName', 'example.com')])] }))).toEqual({
          ok: true,
          revision: 2,
        });
        expect(await store.findUnique('siteName', 'example.com')).toBe('s1');
      });

      it('frees a value the holder no longer claims', async () => {
        await commitOk({ puts: [put('site', 's1', {}, [], [claim('siteName', 'old.example')])] });
        await commitOk({ puts: [put('site', 's1', {}, [], [claim('siteName', 'new.example')])] });
        expect(await store.findUnique('siteName', 'old.example')).toBeUndefined();
        expect(await store.findUnique('siteName', 'new.example')).toBe('s1');
        await commitOk({ puts: [put('site', 's2', {}, [], [claim('siteName', 'old.example')])] });
        expect(await store.findUnique('siteName', 'old.example')).toBe('s2');
      });

      it('frees the values of a deleted document', async () => {
        await commitOk({ puts: [put('site', 's1', {}, [], [claim('siteName', 'example.com')])] });
        await commitOk({ deletes: [{ kind: 'site', id: 's1' }] });
        expect(await store.findUnique('siteName', 'example.com')).toBeUndefined();
        await commitOk({ puts: [put('site', 's2', {}, [], [claim('siteName', 'example.com')])] });
        expect(await store.findUnique('siteName', 'example.com')).toBe('s2');
      });

      it('treats the same value under different names as different claims', async () => {
        await commitOk({ puts: [put('site', 's1', {}, [], [claim('siteName', 'v')])] });
        await commitOk({ puts: [put('site', 's2', {}, [], [claim('hostname', 'v')])] });
        expect(await store.findUnique('siteName', 'v')).toBe('s1');
        expect(await store.findUnique('hostname', 'v')).toBe('s2');
      });

      it('applies deletes, then puts, in order: a value freed earlier in the write can be claimed later in it', async () => {
        await commitOk({
          puts: [put('site', 'a', {}, [], [claim('siteName', 'one')]), put('site', 'b', {}, [], [claim('siteName', 'two')])],
        });
        await commitOk({
          deletes: [{ kind: 'site', id: 'a' }],
          puts: [put('site', 'b', {}, [], []), put('site', 'c', {}, [], [claim('siteName', 'one'), claim('siteName', 'two')])],
        });
        expect(await store.findUnique('siteName', 'one')).toBe('c');
        expect(await store.findUnique('siteName', 'two')).toBe('c');
        expect(await store.get('site', 'a')).toBeUndefined();
      });

      it('fails a write whose two puts claim the same value', async () => {
        const result = await store.commit(
          write({ puts: [put('site', 'a', {}, [], [claim('n', 'v')]), put('site', 'b', {}, [], [claim('n', 'v')])] }),
        );
        expect(result).toEqual({ ok: false, guard: -1, conflict: { name: 'n', value: 'v' } });
        expect(await store.findUnique('n', 'v')).toBeUndefined();
        expect(await store.revision()).toBe(0);
      });
    });

    describe('guards', () => {
      it('absent: holds while the document is missing, fails once it exists', async () => {
        const guarded = (data: unknown) => write({ guards: [absent('site', 's1')], puts: [put('site', 's1', data)] });
        expect(await store.commit(guarded({ v: 1 }))).toEqual({ ok: true, revision: 1 });
        expect(await store.commit(guarded({ v: 2 }))).toEqual({ ok: false, guard: 0 });
        expect(await store.get('site', 's1')).toEqual({ id: 's1', rev: 1, data: { v: 1 } });
      });

      it('unchanged: holds at the current rev, fails on a stale rev or a missing document', async () => {
        await commitOk({ puts: [put('site', 's1', { v: 1 })] });
        await commitOk({ puts: [put('site', 's1', { v: 2 })] });
        const guarded = (rev: number, id = 's1') => write({ guards: [unchanged('site', id, rev)], puts: [put('site', id, { v: 3 })] });
        expect(await store.commit(guarded(1))).toEqual({ ok: false, guard: 0 });
        expect(await store.commit(guarded(0, 'missing'))).toEqual({ ok: false, guard: 0 });
        expect(await store.commit(guarded(2))).toEqual({ ok: true, revision: 3 });
        expect(await store.get('site', 's1')).toEqual({ id: 's1', rev: 3, data: { v: 3 } });
      });

      it('indexBelow: holds under the limit, fails at it', async () => {
        const guarded = (id: string) => write({ guards: [indexBelow('quota', 2)], puts: [put('site', id, {}, ['quota'])] });
        expect(await store.commit(guarded('a'))).toEqual({ ok: true, revision: 1 });
        expect(await store.commit(guarded('b'))).toEqual({ ok: true, revision: 2 });
        expect(await store.commit(guarded('c'))).toEqual({ ok: false, guard: 0 });
        expect(await store.count('quota')).toBe(2);
        await commitOk({ deletes: [{ kind: 'site', id: 'a' }] });
        expect(await store.commit(guarded('c'))).toEqual({ ok: true, revision: 4 });
      });

      it('names the first failing guard by its position', async () => {
        await commitOk({ puts: [put('site', 'exists', {}, ['full'])] });
        const guards = [absent('site', 'missing'), unchanged('site', 'exists', 1), indexBelow('full', 1), absent('site', 'exists')];
        expect(await store.commit(write({ guards, puts: [put('site', 'n', {})] }))).toEqual({ ok: false, guard: 2 });
        expect(await store.commit(write({ guards: guards.slice(0, 2), puts: [put('site', 'n', {})] }))).toEqual({ ok: true, revision: 2 });
      });

      it('checks guards against the state before the write', async () => {
        await commitOk({ puts: [put('site', 'a', {}, ['quota'])] });
        const result = await store.commit(
          write({
            guards: [absent('site', 'b'), indexBelow('quota', 2), unchanged('site', 'a', 1)],
            puts: [put('site', 'b', {}, ['quota']), put('site', 'c', {}, ['quota']), put('site', 'a', { v: 2 }, ['quota'])],
          }),
        );
        expect(result).toEqual({ ok: true, revision: 2 });
        expect(await store.count('quota')).toBe(3);
      });

      it('writes nothing when a guard fails: documents, indexes, claims, revision, changes, audit', async () => {
        await commitOk({
          puts: [put('site', 'a', { v: 1 }, ['x'], [claim('n', 'a')]), put('site', 'b', { v: 1 }, ['x'])],
          audit: [draft('acc-1', 'Site.Create')],
        });
        const scope = {
          docs: [
            ['site', 'a'],
            ['site', 'b'],
            ['site', 'new'],
          ] as const,
          indexes: ['x', 'y', auditIndex('acc-1')],
          uniques: [
            ['n', 'a'],
            ['n', 'new'],
          ] as const,
        };
        const before = await snapshot(store, scope);
        for (const failing of [absent('site', 'a'), unchanged('site', 'a', 7), indexBelow('x', 2)]) {
          const result = await store.commit(
            write({
              guards: [absent('site', 'new'), failing],
              puts: [put('site', 'new', {}, ['x', 'y'], [claim('n', 'new')]), put('site', 'a', { v: 2 }, ['y'], [])],
              deletes: [{ kind: 'site', id: 'b' }],
              audit: [draft('acc-1', 'Site.Update')],
            }),
          );
          expect(result).toEqual({ ok: false, guard: 1 });
          expect(await snapshot(store, scope)).toEqual(before);
        }
      });
    });

    describe('revisions and change records', () => {
      it('adds exactly one to the revision per successful commit and nothing for a failed one', async () => {
        expect(await commitOk({ puts: [put('site', 'a', {}), put('site', 'b', {}), put('site', 'c', {})] })).toBe(1);
        expect(await store.revision()).toBe(1);
        expect(await store.commit(write({ guards: [absent('site', 'a')] }))).toEqual({ ok: false, guard: 0 });
        expect(await store.revision()).toBe(1);
        expect(await commitOk({})).toBe(2);
        expect(
          await commitOk({
            deletes: [
              { kind: 'site', id: 'a' },
              { kind: 'site', id: 'b' },
            ],
          }),
        ).toBe(3);
        expect(await store.revision()).toBe(3);
      });

      it('records each commit: revision, account, request id, time, and the deletes then puts', async () => {
        const started = Date.now();
        await commitOk({
          puts: [put('site', 'a', {}), put('customCa', 'ca', {})],
          context: { accountId: 'acc-1', actor: 'key:k1', requestId: 'req-1' },
        });
        await commitOk({
          deletes: [{ kind: 'customCa', id: 'ca' }],
          puts: [put('binding', 'a:ca', {})],
          audit: [draft('acc-1', 'Binding.Update')],
          context: { accountId: undefined, actor: 'system', requestId: 'req-2' },
        });
        const { records, oldest } = await store.changes(0, 10);
        expect(oldest).toBe(1);
        expect(records).toEqual([
          {
            revision: 1,
            accountId: 'acc-1',
            requestId: 'req-1',
            at: expect.any(String),
            changes: [
              { kind: 'site', id: 'a', op: 'put' },
              { kind: 'customCa', id: 'ca', op: 'put' },
            ],
          },
          {
            revision: 2,
            accountId: undefined,
            requestId: 'req-2',
            at: expect.any(String),
            changes: [
              { kind: 'customCa', id: 'ca', op: 'delete' },
              { kind: 'binding', id: 'a:ca', op: 'put' },
            ],
          },
        ]);
        for (const record of records) {
          expect(new Date(record.at).toISOString()).toBe(record.at);
          expect(Date.parse(record.at)).toBeGreaterThanOrEqual(started - 1_000);
          expect(Date.parse(record.at)).toBeLessThanOrEqual(Date.now() + 1_000);
        }
      });

      it('reads records after a revision, oldest first, at most `limit`', async () => {
        for (let i = 1; i <= 6; i++) await commitOk({ context: { ...context, requestId: `req-${i}` } });
        const revisions = async (after: number, limit: number) => (await store.changes(after, limit)).records.map((r) => r.revision);
        expect(await revisions(0, 100)).toEqual([1, 2, 3, 4, 5, 6]);
        expect(await revisions(2, 3)).toEqual([3, 4, 5]);
        expect(await revisions(5, 10)).toEqual([6]);
        expect(await revisions(6, 10)).toEqual([]);
        expect(await revisions(60, 10)).toEqual([]);
        expect(await revisions(0, 0)).toEqual([]);
        expect((await store.changes(3, 1)).records[0]?.requestId).toBe('req-4');
        expect((await store.changes(6, 10)).oldest).toBe(1);
      });
    });

    describe('audit entries', () => {
      it('writes one audit document per draft with the commit, listed per account in order', async () => {
        const revision = await commitOk({
          puts: [put('site', 's1', {})],
          audit: [
            draft('acc-1', 'Site.Create', { name: 'example.com', count: 2, enabled: true }),
            draft('acc-2', 'Site.Share'),
            draft('acc-1', 'Binding.Update'),
          ],
          context: { accountId: 'acc-1', actor: 'key:k1', requestId: 'req-9' },
        });
        await commitOk({ audit: [draft('acc-1', 'Site.Delete')], context: { accountId: 'acc-1', actor: 'admin', requestId: 'req-10' } });
        const [record] = (await store.changes(0, 1)).records;
        const listed = await store.list('audit', auditIndex('acc-1'), { offset: 0, limit: 10 });
        expect(listed.total).toBe(3);
        expect(listed.items.map((i) => i.data)).toEqual([
          {
            id: listed.items[0]?.id,
            accountId: 'acc-1',
            revision,
            at: record?.at,
            actor: 'key:k1',
            requestId: 'req-9',
            action: 'Site.Create',
            target: { kind: 'site', id: 's1' },
            details: { name: 'example.com', count: 2, enabled: true },
          },
          {
            id: listed.items[1]?.id,
            accountId: 'acc-1',
            revision,
            at: record?.at,
            actor: 'key:k1',
            requestId: 'req-9',
            action: 'Binding.Update',
            target: { kind: 'site', id: 's1' },
          },
          expect.objectContaining({ action: 'Site.Delete', revision: revision + 1, actor: 'admin', requestId: 'req-10' }),
        ]);
        expect(listed.items.every((i) => i.rev === i.data.revision)).toBe(true);
        expect(new Set(listed.items.map((i) => i.id)).size).toBe(3);
        const other = await store.list('audit', auditIndex('acc-2'), { offset: 0, limit: 10 });
        expect(other.items.map((i) => [i.data.action, i.data.accountId])).toEqual([['Site.Share', 'acc-2']]);
        const first = listed.items[0];
        expect(first && (await store.get('audit', first.id))).toEqual(first);
      });

      it('keeps the order of many entries within one commit', async () => {
        const actions = Array.from({ length: 25 }, (_, i) => `Action.${i}`);
        await commitOk({ audit: actions.map((a) => draft('acc-1', a)) });
        const listed = await store.list('audit', auditIndex('acc-1'), { offset: 0, limit: 100 });
        expect(listed.items.map((i) => i.data.action)).toEqual(actions);
      });

      it('writes no audit entry for a commit without drafts, nor for a failed one', async () => {
        await commitOk({ puts: [put('site', 's1', {})] });
        await store.commit(write({ guards: [absent('site', 's1')], audit: [draft('acc-1', 'Site.Create')] }));
        expect(await store.count(auditIndex('acc-1'))).toBe(0);
      });
    });

    describe('concurrency', () => {
      it('lets exactly `limit` of 20 concurrent quota-guarded commits through', async () => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.commit(write({ guards: [indexBelow('quota', 5)], puts: [put('customCa', `ca-${i}`, { i }, ['quota'])] })),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(5);
        expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.guard === 0)).toBe(true);
        expect(await store.count('quota')).toBe(5);
        expect(await store.revision()).toBe(5);
      });

      it('loses no update among 20 concurrent read-modify-write increments guarded by `unchanged`', async () => {
        await commitOk({ puts: [put('account', 'counter', { n: 0 })] });
        await Promise.all(
          Array.from({ length: 20 }, async () => {
            for (;;) {
              const current = await store.get('account', 'counter');
              if (!current) throw new Error('counter vanished');
              const { n } = current.data as unknown as { n: number };
              const result = await store.commit(
                write({ guards: [unchanged('account', 'counter', current.rev)], puts: [put('account', 'counter', { n: n + 1 })] }),
              );
              if (result.ok) return;
            }
          }),
        );
        expect((await store.get('account', 'counter'))?.data).toEqual({ n: 20 });
        expect(await store.revision()).toBe(21);
        expect((await store.changes(0, 100)).records).toHaveLength(21);
      });
    });

    describe('values that look like code', () => {
      const nasty = [
        `it's "quoted" \\ back\\slashed`,
        'line one\nline two\r\n\ttabbed',
        'unicode: é ü 中文 العربية 🔐👩‍💻 e\u0301 \u2028\u2029',
        "'); DROP TABLE docs;--",
        "redis.call('FLUSHALL')",
        "]] .. redis.call('FLUSHALL') .. [[",
        '$(rm -rf /)',
        '`id` %s %d {} [] null',
        '{"json":"looking"}',
        'colon:separated:value',
        ' ',
        'nul\u0000byte',
      ];

      it('round-trips them exactly as ids, data, index names, unique claims and context', async () => {
        for (const [i, value] of nasty.entries()) {
          const data = { value, [value]: [value, { value }], loneSurrogate: '\ud800', nul: 'a\u0000b' };
          const revision = await commitOk({
            puts: [put('site', value, data, [value, `idx:${value}`], [claim(value, value)])],
            audit: [draft(value, value, { [value]: value })],
            context: { accountId: value, actor: value, requestId: value },
          });
          expect(revision).toBe(i + 1);
          expect(await store.get('site', value)).toEqual({ id: value, rev: revision, data });
          expect(await store.list('site', value, { offset: 0, limit: 10 })).toEqual({
            total: 1,
            items: [{ id: value, rev: revision, data }],
          });
          expect(await store.count(`idx:${value}`)).toBe(1);
          expect(await store.findUnique(value, value)).toBe(value);
          const [record] = (await store.changes(revision - 1, 1)).records;
          expect(record).toMatchObject({ revision, accountId: value, requestId: value, changes: [{ kind: 'site', id: value, op: 'put' }] });
          const audit = await store.list('audit', auditIndex(value), { offset: 0, limit: 10 });
          expect(audit.items.map((a) => a.data)).toEqual([
            expect.objectContaining({ accountId: value, actor: value, requestId: value, action: value, details: { [value]: value } }),
          ]);
        }
        // Every one is still there: no value reached a shell, SQL or Lua as code.
        for (const value of nasty) expect((await store.get('site', value))?.data).toMatchObject({ value });
        expect(await store.revision()).toBe(nasty.length);
        await commitOk({ deletes: nasty.map((value) => ({ kind: 'site' as const, id: value })) });
        for (const value of nasty) {
          expect(await store.findUnique(value, value)).toBeUndefined();
          expect(await store.count(value)).toBe(0);
        }
      });
    });
  });
}

const context: WriteContext = { accountId: 'acc-1', actor: 'key:k1', requestId: 'req-1' };

function write(parts: Partial<Write>): Write {
  return { guards: [], puts: [], deletes: [], audit: [], context, ...parts };
}

function put(kind: EntityKind, id: string, data: unknown, indexes: string[] = [], uniques: UniqueClaim[] = []): Put {
  return { kind, id, data, indexes, uniques };
}

function claim(name: string, value: string): UniqueClaim {
  return { name, value };
}

function absent(kind: EntityKind, id: string): Guard {
  return { type: 'absent', kind, id };
}

function unchanged(kind: EntityKind, id: string, rev: number): Guard {
  return { type: 'unchanged', kind, id, rev };
}

function indexBelow(index: string, limit: number): Guard {
  return { type: 'indexBelow', index, limit };
}

function draft(accountId: string, action: string, details?: AuditDraft['details']): AuditDraft {
  return { accountId, action, target: { kind: 'site', id: 's1' }, ...(details ? { details } : {}) };
}

/** Everything observable about a part of the store, to prove a failed commit changed none of it. */
async function snapshot(
  store: Store,
  scope: {
    docs?: readonly (readonly [EntityKind, string])[];
    indexes?: readonly string[];
    uniques?: readonly (readonly [string, string])[];
  },
): Promise<unknown> {
  return {
    revision: await store.revision(),
    changes: await store.changes(0, 1_000),
    docs: await Promise.all((scope.docs ?? []).map(([kind, id]) => store.get(kind, id))),
    indexes: await Promise.all((scope.indexes ?? []).map((index) => store.list('site', index, { offset: 0, limit: 1_000 }))),
    uniques: await Promise.all((scope.uniques ?? []).map(([name, value]) => store.findUnique(name, value))),
  };
}
