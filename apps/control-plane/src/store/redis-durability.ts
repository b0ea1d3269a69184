import type { Redis } from 'ioredis';

/**
 * Whether an acknowledged commit survives a crash of the Redis host, as the server's
 * persistence settings say:
 * - `durable`: `appendonly yes`, `appendfsync always`, `no-appendfsync-on-rewrite no`;
 *   every write is on disk before Redis answers, so a resolved `commit` is durable;
 * - `at-risk`: a crash can lose acknowledged commits (`detail` says how many);
 * - `unknown`: the server refused `CONFIG GET` (managed services often do); ask the
 *   provider what it guarantees.
 */
export interface RedisDurability {
  readonly status: 'durable' | 'at-risk' | 'unknown';
  readonly appendonly: string | undefined;
  readonly appendfsync: string | undefined;
  readonly detail: string;
}

/** Reads the persistence settings; only a transport failure rejects. */
export async function checkDurability(redis: Redis): Promise<RedisDurability> {
  let reply: unknown;
  try {
    // A pattern rather than three names: CONFIG GET with several names needs Redis 7.
    reply = await redis.config('GET', '*append*');
  } catch (error) {
    if (error instanceof Error && error.name === 'ReplyError') {
      return { status: 'unknown', appendonly: undefined, appendfsync: undefined, detail: `CONFIG GET refused: ${error.message}` };
    }
    throw error;
  }
  const settings = new Map<string, string>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) settings.set(String(reply[i]), String(reply[i + 1]));
  }
  return classifyDurability(settings);
}

function classifyDurability(settings: ReadonlyMap<string, string>): RedisDurability {
  const appendonly = settings.get('appendonly');
  const appendfsync = settings.get('appendfsync');
  const of = (status: RedisDurability['status'], detail: string) => ({ status, appendonly, appendfsync, detail });
  if (appendonly === undefined) return of('unknown', 'the server did not report appendonly');
  if (appendonly !== 'yes') {
    return of('at-risk', 'appendonly is off: a crash loses every commit since the last RDB snapshot, if any');
  }
  switch (appendfsync) {
    case 'always':
      return settings.get('no-appendfsync-on-rewrite') === 'yes'
        ? of('at-risk', 'no-appendfsync-on-rewrite yes: while the AOF is rewritten, a host crash loses up to ~30 s of acknowledged commits')
        : of('durable', 'appendonly yes, appendfsync always: every acknowledged commit is on disk');
    case 'everysec':
      return of('at-risk', 'appendfsync everysec: a host crash loses up to about 1 s (2 s if the disk stalls) of acknowledged commits');
    default:
      return of(
        'at-risk',
        `appendfsync ${appendfsync ?? '(unreported)'}: the OS decides when to flush; a host crash loses up to ~30 s of acknowledged commits`,
      );
  }
}
