import { randomBytes } from 'node:crypto';

/**
 * Request ids without a random draw per request: a random 80-bit prefix per process and a
 * 48-bit counter, laid out as a UUID (8-4-4-4-12 hex digits) so that whatever reads
 * `X-Request-Id` sees the same shape as before. Ids are unique within a process (the prefix is
 * drawn again before the counter wraps) and, by the prefix, across processes and restarts;
 * unlike UUIDv4 they are not unpredictable, and nothing relies on them being so.
 */
export function createRequestIds(random: (size: number) => Buffer = randomBytes): () => string {
  let prefix = '';
  let counter = 0;
  const reseed = () => {
    const hex = random(10).toString('hex');
    prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-`;
    counter = 0;
  };
  reseed();
  return () => {
    if (counter >= 0xffff_ffff_ffff) reseed();
    counter += 1;
    return prefix + counter.toString(16).padStart(12, '0');
  };
}
