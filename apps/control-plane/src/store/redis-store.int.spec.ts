import { freePort, startRedis, type TestRedis } from '@portcullis/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from './open-store.ts';
import { createRedisStore, type RedisStore } from './redis-store.ts';
import { describeStoreContract } from './store-contract.ts';
import type { CommitResult, Write } from './store.ts';
import { StoreUnavailableError } from './store-unavailable-error.ts';
import { startTcpRelay } from './test/tcp-relay.ts';

let redis: TestRedis;
/** A plain connection for the test's own look at the server. */
let admin: Redis;
beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url, { maxRetriesPerRequest: 20 });
  // Its connection drops in the restart tests too; the stores under test report theirs.
  admin.on('error', () => {});
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

let prefixes = 0;
const freshPrefix = () => `test-${++prefixes}:`;

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

/** Redis picks a new run id at every start. */
async function serverRunId(): Promise<string> {
  const match = /run_id:(\w+)/.exec(await admin.info('server'));
  if (!match?.[1]) throw new Error('no run_id in INFO server');
  return match[1];
}

async function dropPrefix(prefix: string): Promise<void> {
  const keys = await keysUnder(prefix);
  if (keys.length > 0) await admin.del(...keys);
}

describeStoreContract('redis', async () => {
  const prefix = freshPrefix();
  const store = await createRedisStore({ url: redis.url, prefix });
  return {
    store,
    async cleanup() {
      await store.close();
      await dropPrefix(prefix);
    },
  };
});

const write = (parts: Partial<Write>): Write => ({
  guards: [],
  puts: [],
  deletes: [],
  audit: [],
  context: { accountId: 'acc-1', actor: 'admin', requestId: 'req' },
  ...parts,
});

/** Asks until the store answers again (bounded); returns the revision it read. */
async function revisionOnceBack(store: RedisStore): Promise<number> {
  for (const until = Date.now() + 10_000; ;) {
    try {
      return await store.revision();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('redis store', () => {
  /** The restart tests drop connections on purpose; keep the expected errors off stderr. */
  const quiet = () => {};
  async function withStore<T>(
    run: (store: RedisStore, prefix: string) => Promise<T>,
    options: { changeRetention?: number; url?: string; commandTimeoutMs?: number } = {},
  ): Promise<T> {
    const prefix = freshPrefix();
    const store = await createRedisStore({ url: redis.url, prefix, onConnectionError: quiet, ...options });
    try {
      return await run(store, prefix);
    } finally {
      await store.close();
      await dropPrefix(prefix);
    }
  }

  describe('durability', () => {
    it('reports durable under appendonly yes and appendfsync always', async () => {
      await withStore(async (store) => {
        expect(store.durability()).toMatchObject({ status: 'durable', appendonly: 'yes', appendfsync: 'always' });
      });
    });

    it('reports at-risk, with the loss window, under appendfsync everysec', async () => {
      await admin.config('SET', 'appendfsync', 'everysec');
      try {
        await withStore(async (store) => {
          expect(store.durability()).toMatchObject({ status: 'at-risk', appendfsync: 'everysec', detail: expect.stringContaining('1 s') });
        });
      } finally {
        await admin.config('SET', 'appendfsync', 'always');
      }
    });

    it('makes openStore warn at start when commits are not durable', async () => {
      await admin.config('SET', 'appendfsync', 'everysec');
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => warnings.push(warning);
      process.on('warning', onWarning);
      try {
        const store = await openStore({ redisUrl: redis.url });
        await store.close();
        await new Promise((resolve) => setImmediate(resolve));
        expect(warnings).toEqual([
          expect.objectContaining({ code: 'PORTCULLIS_REDIS_DURABILITY', message: expect.stringContaining('everysec') }),
        ]);
      } finally {
        process.off('warning', onWarning);
        await admin.config('SET', 'appendfsync', 'always');
      }
    });

    it('reports at-risk when fsync pauses during AOF rewrites', async () => {
      await admin.config('SET', 'no-appendfsync-on-rewrite', 'yes');
      try {
        await withStore(async (store) => {
          expect(store.durability()).toMatchObject({
            status: 'at-risk',
            appendfsync: 'always',
            detail: expect.stringContaining('rewritten'),
          });
        });
      } finally {
        await admin.config('SET', 'no-appendfsync-on-rewrite', 'no');
      }
    });

    it('reports unknown, and still works, when the server refuses CONFIG (as managed Redis does)', async () => {
      await admin.call('ACL', 'SETUSER', 'noconfig', 'on', '>secret-pw', '~*', '&*', '+@all', '-config');
      try {
        const url = redis.url.replace('redis://', 'redis://noconfig:secret-pw@');
        await withStore(
          async (store) => {
            expect(store.durability()).toMatchObject({ status: 'unknown', appendonly: undefined });
            expect(await store.commit(write({}))).toEqual({ ok: true, revision: 1 });
          },
          { url },
        );
      } finally {
        await admin.call('ACL', 'DELUSER', 'noconfig');
      }
    });
  });

  it('fails to open when Redis cannot be reached, without a password in the message', async () => {
    const port = await freePort();
    const errors: Error[] = [];
    const opening = createRedisStore({ url: `redis://user:hunter2@127.0.0.1:${port}`, onConnectionError: (e) => errors.push(e) });
    await expect(opening).rejects.toThrow(/cannot reach Redis at redis:\/\/user:\*\*\*@127\.0\.0\.1/);
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('ECONNREFUSED')]);
  });

  it('keeps every key under its prefix, in the documented layout', async () => {
    await withStore(async (store, prefix) => {
      await store.commit(
        write({
          puts: [{ kind: 'site', id: 's1', data: {}, indexes: ['sites'], uniques: [{ name: 'siteName', value: 'example.com' }] }],
          audit: [{ accountId: 'acc-1', action: 'Site.Create', target: { kind: 'site', id: 's1' } }],
        }),
      );
      const keys = (await keysUnder(prefix)).map((k) => k.slice(prefix.length));
      expect(keys.filter((k) => !k.startsWith('commit:'))).toEqual([
        'changes',
        'doc:audit:1-0',
        'doc:site:s1',
        'idx:audit:acc-1',
        'idx:sites',
        'revision',
        'uniq:siteName',
      ]);
      expect(keys.filter((k) => k.startsWith('commit:'))).toHaveLength(1);
      expect(await admin.hgetall(`${prefix}doc:site:s1`)).toEqual({
        data: '{}',
        rev: '1',
        indexes: '["sites"]',
        uniques: '[["siteName","example.com"]]',
      });
      expect(await admin.zrange(`${prefix}idx:sites`, '0', '-1', 'WITHSCORES')).toEqual(['site:s1', '1000000']);
      expect(await admin.xrange(`${prefix}changes`, '-', '+')).toEqual([['1-0', ['record', expect.any(String)]]]);

      await withStore(async (other) => {
        expect(await other.revision()).toBe(0);
        expect(await other.get('site', 's1')).toBeUndefined();
      });
    });
  });

  it('still commits after the server forgets its scripts', async () => {
    await withStore(async (store) => {
      expect(await store.commit(write({}))).toEqual({ ok: true, revision: 1 });
      await admin.script('FLUSH');
      expect(await store.commit(write({}))).toEqual({ ok: true, revision: 2 });
      expect(await store.list('site', 'none', { offset: 0, limit: 1 })).toEqual({ total: 0, items: [] });
    });
  });

  it('trims the change stream to about the retention and reports the oldest record held', async () => {
    await withStore(
      async (store) => {
        for (let i = 0; i < 400; i++) await store.commit(write({}));
        const { records, oldest } = await store.changes(0, 1_000);
        expect(oldest).toBeGreaterThan(1);
        expect(records[0]?.revision).toBe(oldest);
        expect(records.map((r) => r.revision)).toEqual(Array.from({ length: 401 - oldest }, (_, i) => oldest + i));
        expect(records.length).toBeGreaterThanOrEqual(10);
        expect(records.length).toBeLessThan(400);
      },
      { changeRetention: 10 },
    );
  });

  it('lets exactly the quota through when two replicas (two connections) race', async () => {
    await withStore(async (first, prefix) => {
      const second = await createRedisStore({ url: redis.url, prefix, onConnectionError: quiet });
      try {
        const replicas = [first, second];
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            replicas[i % 2]!.commit(
              write({
                guards: [{ type: 'indexBelow', index: 'acc-1:customCas', limit: 5 }],
                puts: [{ kind: 'customCa', id: `ca-${i}`, data: { i }, indexes: ['acc-1:customCas'], uniques: [] }],
              }),
            ),
          ),
        );
        expect(results.filter((r) => r.ok)).toHaveLength(5);
        expect(await first.count('acc-1:customCas')).toBe(5);
        expect(await second.revision()).toBe(5);
      } finally {
        await second.close();
      }
    });
  });

  describe('when Redis does not answer', () => {
    /** How `operation` settled, and how long it took; a deadline stands in for "hangs". */
    async function outcome(operation: () => Promise<unknown>, deadlineMs: number) {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still pending'), deadlineMs)));
      const settled = operation().then(
        () => 'resolved',
        (error: unknown) => error,
      );
      const result = await Promise.race([settled, hung]);
      clearTimeout(timer);
      return { result, ms: Date.now() - started };
    }

    it('rejects every operation with StoreUnavailableError within the command timeout on a black-holed link, then recovers', async () => {
      const relay = await startTcpRelay(redis.port);
      try {
        await withStore(
          async (store) => {
            expect(
              await store.commit(write({ puts: [{ kind: 'site', id: 's1', data: { n: 1 }, indexes: ['all'], uniques: [] }] })),
            ).toEqual({ ok: true, revision: 1 });
            relay.pause();
            const operations: [string, () => Promise<unknown>][] = [
              ['get', () => store.get('site', 's1')],
              ['list', () => store.list('site', 'all', { offset: 0, limit: 10 })],
              ['findUnique', () => store.findUnique('siteName', 'x')],
              ['count', () => store.count('all')],
              ['commit', () => store.commit(write({}))],
              ['revision', () => store.revision()],
              ['changes', () => store.changes(0, 10)],
            ];
            for (const [name, operation] of operations) {
              const { result, ms } = await outcome(operation, 3_000);
              expect(result, name).toBeInstanceOf(StoreUnavailableError);
              expect(ms, name).toBeLessThan(1_500);
            }
            relay.resume();
            expect(await revisionOnceBack(store)).toBeGreaterThanOrEqual(1);
            expect(await store.get('site', 's1')).toEqual({ id: 's1', rev: 1, data: { n: 1 } });
          },
          { url: `redis://127.0.0.1:${relay.port}`, commandTimeoutMs: 500 },
        );
      } finally {
        await relay.close();
      }
    });

    it('rejects with StoreUnavailableError, not a driver error, while the server cannot be reached', async () => {
      const relay = await startTcpRelay(redis.port);
      await withStore(
        async (store) => {
          expect(await store.revision()).toBe(0);
          // Every connection is cut and new ones are refused: Redis is down for this store.
          await relay.close();
          for (const operation of [() => store.revision(), () => store.commit(write({})), () => store.changes(0, 1)]) {
            const { result, ms } = await outcome(operation, 5_000);
            expect(result).toBeInstanceOf(StoreUnavailableError);
            expect(ms).toBeLessThan(3_000);
          }
        },
        { url: `redis://127.0.0.1:${relay.port}`, commandTimeoutMs: 2_000 },
      );
    });
  });

  describe('across a Redis restart', () => {
    it('loses nothing acknowledged and reconnects by itself', async () => {
      await withStore(async (store) => {
        for (let i = 0; i < 200; i++) {
          const result = await store.commit(
            write({
              puts: [
                {
                  kind: 'site',
                  id: `s${i}`,
                  data: { i, name: `site ${i}` },
                  indexes: ['sites'],
                  uniques: [{ name: 'siteName', value: `s${i}.example` }],
                },
              ],
              audit: [{ accountId: 'acc-1', action: 'Site.Create', target: { kind: 'site', id: `s${i}` } }],
            }),
          );
          expect(result).toEqual({ ok: true, revision: i + 1 });
        }
        const changesBefore = await store.changes(0, 1_000);
        const runIdBefore = await serverRunId();

        await redis.restart();

        // The same store, not a new one: it reconnects by itself (calls in the meantime fail
        // boundedly) and its scripts load again.
        expect(await revisionOnceBack(store)).toBe(200);
        // A new run id proves the server really restarted under the store.
        expect(await serverRunId()).not.toBe(runIdBefore);
        for (let i = 0; i < 200; i++) {
          expect(await store.get('site', `s${i}`)).toEqual({ id: `s${i}`, rev: i + 1, data: { i, name: `site ${i}` } });
        }
        const sites = await store.list('site', 'sites', { offset: 0, limit: 1_000 });
        expect(sites.total).toBe(200);
        expect(sites.items.map((s) => s.id)).toEqual(Array.from({ length: 200 }, (_, i) => `s${i}`));
        expect(await store.findUnique('siteName', 's199.example')).toBe('s199');
        expect(await store.count('audit:acc-1')).toBe(200);
        expect(await store.changes(0, 1_000)).toEqual(changesBefore);
        expect(changesBefore.records.map((r) => r.revision)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        expect(await store.commit(write({}))).toEqual({ ok: true, revision: 201 });
      });
    });

    it('applies a commit in flight during the restart at most once', async () => {
      await withStore(async (store) => {
        const outcomes = new Map<string, CommitResult | Error>();
        let restarted = false;
        let next = 0;
        const worker = async () => {
          for (let afterRestart = 0; afterRestart < 10; afterRestart += restarted ? 1 : 0) {
            const id = `d${next++}`;
            try {
              outcomes.set(
                id,
                await store.commit(
                  write({
                    guards: [{ type: 'absent', kind: 'site', id }],
                    puts: [{ kind: 'site', id, data: { id }, indexes: ['all'], uniques: [] }],
                  }),
                ),
              );
            } catch (error) {
              outcomes.set(id, error as Error);
            }
          }
        };
        const workers = Promise.all(Array.from({ length: 4 }, worker));
        await new Promise((resolve) => setTimeout(resolve, 200));
        await redis.restart();
        restarted = true;
        await workers;

        const acknowledged = [...outcomes].filter(
          (entry): entry is [string, CommitResult & { ok: true }] => !(entry[1] instanceof Error) && entry[1].ok,
        );
        // An absent-guarded put of a fresh id can only fail if it was applied twice.
        expect([...outcomes.values()].filter((o) => !(o instanceof Error) && !o.ok)).toEqual([]);
        for (const [id, result] of acknowledged) expect(await store.get('site', id)).toMatchObject({ rev: result.revision });
        const revision = await store.revision();
        expect(await store.count('all')).toBe(revision);
        expect((await store.changes(0, 10_000)).records).toHaveLength(revision);
        expect(acknowledged.length).toBeGreaterThan(40);
      });
    });
  });
});
