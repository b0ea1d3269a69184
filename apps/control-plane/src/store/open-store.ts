import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createRedisStore } from './redis-store.ts';
import { createSqliteStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

export type StoreLocation = { readonly redisUrl: string } | { readonly sqlitePath: string };

/**
 * Opens the store the configuration names: Redis for production and several replicas, or
 * the embedded SQLite file (its directory is created) for a single node. A Redis server
 * that cannot promise durable commits is reported as a process warning at start, since
 * it silently weakens "2xx means durable". `onConnectionError` hears of each lost Redis
 * connection (a reconnect follows).
 */
export async function openStore(location: StoreLocation, options: { onConnectionError?: (error: Error) => void } = {}): Promise<Store> {
  if ('sqlitePath' in location) {
    mkdirSync(path.dirname(location.sqlitePath), { recursive: true });
    return createSqliteStore({ path: location.sqlitePath });
  }
  const store = await createRedisStore({
    url: location.redisUrl,
    ...(options.onConnectionError ? { onConnectionError: options.onConnectionError } : {}),
  });
  const durability = store.durability();
  if (durability.status !== 'durable') {
    process.emitWarning(`Redis durability ${durability.status}: ${durability.detail}`, { code: 'PORTCULLIS_REDIS_DURABILITY' });
  }
  return store;
}
