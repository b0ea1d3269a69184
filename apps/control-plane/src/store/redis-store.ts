import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { checkDurability, type RedisDurability } from './redis-durability.ts';
import { COMMIT_SCRIPT, commitPlan, commitResult } from './redis-commit-script.ts';
import { redisCall, redisFailure } from './redis-failure.ts';
import { idOfMember, redisKeys } from './redis-keys.ts';
import { LIST_SCRIPT, listResult } from './redis-list-script.ts';
import { clampPage } from './page.ts';
import type { ChangeRecord, Store } from './store.ts';
import { StoreUnavailableError } from './store-unavailable-error.ts';
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
 * Connection: a lost connection is re-established forever (backoff up to 2 s). Every
 * operation is bounded: each command rejects after `commandTimeoutMs` (default 2 s) whether
 * it was sent and not answered (a black-holed link, a stalled server) or waits in ioredis's
 * queue for a reconnect, and after at most `maxRetriesPerRequest` (2) failed reconnect
 * attempts, whichever comes first. So a short blip is ridden out and a long one fails fast;
 * nothing hangs. Such failures, and "not now" replies (LOADING, READONLY, …), reject with
 * `StoreUnavailableError` (see redis-failure.ts); other failures reject as they are.
 *
 * A command that was sent but not answered when the connection dropped is resent after the
 * reconnect; the commit script knows its own resend by a per-call id and returns the first
 * outcome, so a commit is never applied twice. A commit that rejects with
 * `StoreUnavailableError` may still land (its reply was lost, or its resend arrives after
 * the timeout), as with any lost reply: callers re-read before they retry.
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
  /** How long one command may take, queued or sent, before it rejects. Default 2 000 ms. */
  readonly commandTimeoutMs?: number;
}

interface ScriptCommands {
  portcullisCommit(revisionKey: string, changesKey: string, prefix: string, plan: string): Promise<unknown>;
  portcullisList(index: string, prefix: string, offset: number, limit: number): Promise<unknown>;
}

/**
 * Connects, checks the persistence settings and returns the store; rejects with
 * `StoreUnavailableError` if Redis cannot be reached.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const prefix = options.prefix ?? 'portcullis:';
  const retention = options.changeRetention ?? DEFAULT_CHANGE_RETENTION;
  const keys = redisKeys(prefix);
  const redis = new Redis(options.url, {
    lazyConnect: true,
    connectionName: 'portcullis-control-plane',
    connectTimeout: 3_000,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    // The queue rides out a reconnect of a few hundred milliseconds; `commandTimeout` bounds it.
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(100 * 2 ** (attempt - 1), 2_000) + Math.floor(Math.random() * 100),
    maxRetriesPerRequest: 2,
  }) as Redis & ScriptCommands;
  if (options.onConnectionError) redis.on('error', options.onConnectionError);
  redis.defineCommand('portcullisCommit', { numberOfKeys: 2, lua: COMMIT_SCRIPT });
  redis.defineCommand('portcullisList', { numberOfKeys: 1, lua: LIST_SCRIPT });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new StoreUnavailableError(`cannot reach Redis at ${redactedUrl(options.url)}`, { cause: error });
  }
  const durability = await checkDurability(redis);

  const store = {
    durability: () => durability,

    async get(kind, id) {
      const [data, rev] = await redisCall(redis.hmget(keys.doc(kind, id), 'data', 'rev'));
      if (data == null || rev == null) return undefined;
      return { id, rev: Number(rev), data: JSON.parse(data) };
    },

    async list(_kind, index, page) {
      const { offset, limit } = clampPage(page);
      if (limit === 0) return { total: await redisCall(redis.zcard(keys.index(index))), items: [] };
      return listResult(await redisCall(redis.portcullisList(keys.index(index), prefix, offset, limit)));
    },

    async findUnique(name, value) {
      const holder = await redisCall(redis.hget(keys.unique(name), value));
      return holder == null ? undefined : idOfMember(holder);
    },

    count: (index) => redisCall(redis.zcard(keys.index(index))),

    async commit(write) {
      assertWriteSize(write);
      const plan = commitPlan(write, { commitId: randomUUID(), at: new Date().toISOString(), retention });
      return commitResult(await redisCall(redis.portcullisCommit(keys.revision, keys.changes, prefix, plan)));
    },

    async revision() {
      return Number((await redisCall(redis.get(keys.revision))) ?? 0);
    },

    async changes(after, limit) {
      const from = Math.max(0, Math.trunc(after) || 0) + 1;
      const { limit: count } = clampPage({ offset: 0, limit });
      // One transaction, so `oldest` and the records agree even while the stream is trimmed.
      const replies = await redisCall(
        redis
          .multi()
          .xrange(keys.changes, `${from}-0`, '+', 'COUNT', Math.max(count, 1))
          .xrange(keys.changes, '-', '+', 'COUNT', 1)
          .get(keys.revision)
          .exec(),
      );
      if (!replies) throw new Error('the changes transaction was aborted');
      const [records, first, revision] = replies.map(([error, value]) => {
        if (error) throw redisFailure(error);
        return value;
      });
      const oldestEntry = streamEntries(first)[0];
      return {
        records: streamEntries(records).slice(0, count).map(changeRecord),
        oldest: oldestEntry ? revisionOfStreamId(oldestEntry[0]) : Number(revision ?? 0) + 1,
      };
    },

    async close() {
      if (redis.status === 'end') return;
      // QUIT waits for pending replies; a server that does not answer must not hold shutdown.
      await redis.quit().catch(() => redis.disconnect());
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
