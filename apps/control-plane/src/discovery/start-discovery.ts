import type { KeyManager } from '../crypto/key-manager.ts';
import type { Services } from '../domain/services.ts';
import type { Store } from '../store/store.ts';
import { discoveryServerIdentity } from './discovery-identity.ts';
import { startDiscoveryServer } from './discovery-server.ts';
import { resourceBuilder } from './resource-builder.ts';
import { storeResourceCache, type StoreResourceCache } from './resource-cache.ts';

export interface DiscoveryOptions {
  readonly store: Store;
  readonly keyManager: KeyManager;
  readonly services: Services;
  readonly host: string;
  /** 0 binds any free port. */
  readonly port: number;
  /** Extra names (DNS or IP) the server certificate covers besides localhost and loopback. */
  readonly names: readonly string[];
  readonly pollMs?: number;
  readonly maxResponseBytes?: number;
  readonly now?: () => Date;
  readonly log?: { error(details: object, message: string): void; warn(details: object, message: string): void };
}

export interface Discovery {
  readonly port: number;
  readonly cache: StoreResourceCache;
  /** When the server certificate expires. */
  readonly certificateNotAfter: Date;
  /** Ends the streams, stops the server, then stops tailing the store. */
  close(): Promise<void>;
}

/**
 * Starts configuration discovery for one replica: issues the discovery server certificate
 * from the fleet CA, builds every resource and tails the store (the shared cache), lets the
 * per-edge status compare edges with it, then serves the delta streams with mutual TLS.
 */
export async function startDiscovery(options: DiscoveryOptions): Promise<Discovery> {
  const now = options.now ?? (() => new Date());
  const identity = await discoveryServerIdentity(options.services.fleetCa, options.names, { now: now(), requestId: 'discovery-start' });
  const cache = storeResourceCache({
    store: options.store,
    builder: resourceBuilder({ store: options.store, keyManager: options.keyManager }),
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  await cache.start();
  options.services.edges.follow(cache);
  try {
    const server = await startDiscoveryServer({
      cache,
      status: options.services.edges,
      host: options.host,
      port: options.port,
      tls: identity,
      ...(options.maxResponseBytes ? { maxResponseBytes: options.maxResponseBytes } : {}),
    });
    return {
      port: server.port,
      cache,
      certificateNotAfter: identity.notAfter,
      async close() {
        await server.close();
        await cache.close();
      },
    };
  } catch (error) {
    await cache.close();
    throw error;
  }
}
