import type { KeyManager } from '../crypto/key-manager.ts';
import type { Services } from '../domain/services.ts';
import type { StoreHealth } from '../store/store-health.ts';
import type { Store } from '../store/store.ts';
import { discoveryServerIdentity } from './discovery-identity.ts';
import { startDiscoveryServer } from './discovery-server.ts';
import { resourceBuilder } from './resource-builder.ts';
import { replicaLiveness } from './replica-liveness.ts';
import { storeResourceCache, type StoreResourceCache } from './resource-cache.ts';

export interface DiscoveryOptions {
  readonly store: Store;
  /**
   * Whether the replica reads the current store: while it cannot confirm so, discovery sends
   * no heartbeats, ends its streams and refuses new ones (edges move to another replica).
   */
  readonly storeHealth: StoreHealth;
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
  readonly log?: {
    error(details: object, message: string): void;
    warn(details: object, message: string): void;
    info(details: object, message: string): void;
  };
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
 * per-edge status compare edges with it (while the replica is current), then serves the delta
 * streams with mutual TLS and heartbeats.
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
  const liveness = replicaLiveness({ storeHealth: options.storeHealth, cache, ...(options.log ? { log: options.log } : {}) });
  options.services.edges.follow(cache, liveness);
  try {
    const server = await startDiscoveryServer({
      cache,
      status: options.services.edges,
      liveness,
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
        liveness.close();
        await server.close();
        await cache.close();
      },
    };
  } catch (error) {
    liveness.close();
    await cache.close();
    throw error;
  }
}
