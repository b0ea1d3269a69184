import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from './redis.ts';

describe('startRedis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('keeps acknowledged writes across a container restart (AOF, fsync always)', async () => {
    const before = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await before.connect();
    const written = Array.from({ length: 100 }, (_, i) => [`key:${i}`, `value-${i}-${Math.random()}`] as const);
    for (const [k, v] of written) await before.set(k, v);
    await before.xadd('changes', '*', 'n', '100');
    const runIdBefore = runId(await before.info('server'));
    before.disconnect();

    await redis.restart();

    const after = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await after.connect();
    try {
      expect(runId(await after.info('server'))).not.toBe(runIdBefore);
      expect(await after.mget(written.map(([k]) => k))).toEqual(written.map(([, v]) => v));
      expect(await after.xlen('changes')).toBe(1);
      expect(await after.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    } finally {
      after.disconnect();
    }
  });
});

/** Redis picks a new run id at every start: proof that the server really restarted. */
function runId(info: string): string {
  const match = /run_id:(\w+)/.exec(info);
  if (!match?.[1]) throw new Error('no run_id in INFO server');
  return match[1];
}
