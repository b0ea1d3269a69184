import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { checkDurability, type RedisDurability } from './redis-durability.ts';
import { COMMIT_SCRIPT, commitPlan, commitResult } from './redis-commit-script.ts';
import { idOfMember, redisKeys } from './redis-keys.ts';
import { LIST_SCRIPT, listResult } from './redis-list-script.ts';
import { clampPage } from './page.ts';
import type { ChangeRecord, Store } from './store.ts';
import { assertWriteSize, DEFAULT_CHANGE_RETENTION } from './write-order.ts';

/**
 * The production store: any number of control-plane replicas share one Redis primary
 * (a single server, not Redis Cluster: the scripts touch keys they cannot declare up
 * front). Key layout: see redis-keys.ts.
 *
 * Each `commit` is one Lua script, so Redis applies it alone and whole. "Resolved means
 * durable" holds only when the server runs with `appendonly yes`, `appendfsync always`
 * and `no-appendfsync-on-rewrite no` (the default): Redis then writes and fsyncs the
 * append-only file before it answers. With `appendfsync everysec` a host crash loses up
 * to about a second (two if the disk stalls) of acknowledged commits; with AOF off,
 * everything since the last snapshot. `durability()` reports what the server said when
 * the store was created. Replicas of the primary do not add durability: replication is
 * asynchronous, and a failover can lose acknowledged commits.
 *
 * Connection: a lost connection is re-established forever (backoff up to 2 s). Commands
 * issued meanwhile wait in ioredis's queue through at most `maxRetriesPerRequest` (5)
 * reconnect attempts, a few seconds, then reject: a request fails fast instead of hanging.
 * A command that was sent but not answered when the connection dropped is resent after
 * the reconnect; the commit script knows its own resend by a per-call id and returns the
 * first outcome, so a commit is never applied twice. If Redis stays away longer, such a
 * commit rejects without saying whether it landed, as any lost reply would.
 */
export interface RedisStore extends Store {
  /** What the server said about persistence when the store was created. */
  durability(): RedisDurability;
}

export interface RedisStoreOptions {
  /** `redis://[[user]:password@]host:port[/db]`, or `rediss://` for TLS. */
  readonly url: string;
  /** Put before every key, so deployments can share a server. Default `portcullis:`. */
  readonly prefix?: string;
  /**
   * About how many change records to keep (the stream is trimmed in whole nodes, so a few
   * more may stay). Default 100 000.
   */
  readonly changeRetention?: number;
  /**
   * Told of connection errors (refused, reset, timed out); each is followed by a reconnect
   * attempt. Without it, ioredis prints them to stderr.
   */
  readonly onConnectionError?: (error: Error) => void;
}

interface ScriptCommands {
  portcullisCommit(revisionKey: string, changesKey: string, prefix: string, plan: string): Promise<unknown>;
  portcullisList(index: string, prefix: string, offset: number, limit: number): Promise<unknown>;
}

/** Connects, checks the persistence settings and returns the store; rejects if Redis cannot be reached. */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const prefix = options.prefix ?? 'portcullis:';
  const retention = options.changeRetention ?? DEFAULT_CHANGE_RETENTION;
  const keys = redisKeys(prefix);
  const redis = new Redis(options.url, {
    lazyConnect: true,
    connectionName: 'portcullis-control-plane',
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** (attempt - 1), 2_000) + Math.floor(Math.random() * 100),
    maxRetriesPerRequest: 5,
  }) as Redis & ScriptCommands;
  if (options.onConnectionError) redis.on('error', options.onConnectionError);
  redis.defineCommand('portcullisCommit', { numberOfKeys: 2, lua: COMMIT_SCRIPT });
  redis.defineCommand('portcullisList', { numberOfKeys: 1, lua: LIST_SCRIPT });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactedUrl(options.url)}`, { cause: error });
  }
  const durability = await checkDurability(redis);

  const store = {
    durability: () => durability,

    async get(kind, id) {
      const [data, rev] = await redis.hmget(keys.doc(kind, id), 'data', 'rev');
      if (data == null || rev == null) return undefined;
      return { id, rev: Number(rev), data: JSON.parse(data) };
    },

    async list(_kind, index, page) {
      const { offset, limit } = clampPage(page);
      if (limit === 0) return { total: await redis.zcard(keys.index(index)), items: [] };
      return listResult(await redis.portcullisList(keys.index(index), prefix, offset, limit));
    },

    async findUnique(name, value) {
      const holder = await redis.hget(keys.unique(name), value);
      return holder == null ? undefined : idOfMember(holder);
    },

    count: (index) => redis.zcard(keys.index(index)),

    async commit(write) {
      assertWriteSize(write);
      const plan = commitPlan(write, { commitId: randomUUID(), at: new Date().toISOString(), retention });
      return commitResult(await redis.portcullisCommit(keys.revision, keys.changes, prefix, plan));
    },

    async revision() {
      return Number((await redis.get(keys.revision)) ?? 0);
    },

    async changes(after, limit) {
      const from = Math.max(0, Math.trunc(after) || 0) + 1;
      const { limit: count } = clampPage({ offset: 0, limit });
      // One transaction, so `oldest` and the records agree even while the stream is trimmed.
      const replies = await redis
        .multi()
        .xrange(keys.changes, `${from}-0`, '+', 'COUNT', Math.max(count, 1))
        .xrange(keys.changes, '-', '+', 'COUNT', 1)
        .get(keys.revision)
        .exec();
      if (!replies) throw new Error('the changes transaction was aborted');
      const [records, first, revision] = replies.map(([error, value]) => {
        if (error) throw error;
        return value;
      });
      const oldestEntry = streamEntries(first)[0];
      return {
        records: streamEntries(records).slice(0, count).map(changeRecord),
        oldest: oldestEntry ? revisionOfStreamId(oldestEntry[0]) : Number(revision ?? 0) + 1,
      };
    },

    async close() {
      if (redis.status !== 'end') await redis.quit();
    },
  } satisfies RedisStore;
  return store;
}

type StreamEntry = [id: string, fields: string[]];

function streamEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) throw new Error('unexpected XRANGE reply');
  return reply as StreamEntry[];
}

function revisionOfStreamId(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

function changeRecord([id, fields]: StreamEntry): ChangeRecord {
  const record = JSON.parse(fields[fields.indexOf('record') + 1] ?? 'null') as Omit<ChangeRecord, 'revision'>;
  return {
    revision: revisionOfStreamId(id),
    accountId: record.accountId,
    requestId: record.requestId,
    at: record.at,
    changes: record.changes,
  };
}

function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = parsed.password ? '***' : '';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export type { RedisDurability } from './redis-durability.ts';
