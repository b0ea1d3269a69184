import { resourceTypeOrder, type EncodedResource, type ResourceType } from '@portcullis/config';
import { KeyManagerError } from '../crypto/key-manager.ts';
import type { Store } from '../store/store.ts';
import { buildEach, parseName, type ResourceBuilder, type ResourceSets } from './resource-builder.ts';

/** What one cache update changed: per type, the names added, changed or removed. */
export interface CacheUpdate {
  /** The store revision the cache reflects after the update. */
  readonly version: number;
  readonly changed: { readonly [T in ResourceType]: ReadonlySet<string> };
}

/**
 * The edge resources of every type, one shared copy per process, as the delta streams read
 * them. Knows nothing of gRPC or of edges.
 */
export interface ResourceCache {
  /**
   * The store revision the resources reflect: every change up to it is in (reads may have
   * seen a few later ones, which the next updates confirm). 0 before the first build.
   */
  version(): number;
  /**
   * The resources of `type` now, by name. A live view: read it synchronously and do not keep
   * it across an await; updates are applied whole between two event-loop turns.
   */
  resources(type: ResourceType): ReadonlyMap<string, EncodedResource>;
  /**
   * Calls `listener` synchronously after every update (also those that changed nothing but the
   * version), in order; returns the function that stops it. A listener must not throw.
   */
  watch(listener: (update: CacheUpdate) => void): () => void;
}

/** A cache that follows a store. */
export interface StoreResourceCache extends ResourceCache {
  /** Builds every resource, then tails the store's change records until `close`. */
  start(): Promise<void>;
  /** Reads the change records now and applies them; resolves once applied. */
  refresh(): Promise<void>;
  /** Resolves once `version()` is at least `revision` (polling on, as `start` set it up). */
  reach(revision: number): Promise<void>;
  /** Stops tailing; the resources stay readable. */
  close(): Promise<void>;
}

export interface StoreResourceCacheOptions {
  readonly store: Store;
  readonly builder: ResourceBuilder;
  /** Pause between two reads of the change records that found nothing new. Default 50 ms. */
  readonly pollMs?: number;
  /** Change records read at once. Default 500. */
  readonly batch?: number;
  readonly log?: { error(details: object, message: string): void; warn(details: object, message: string): void };
}

const maxBackoffMs = 5_000;

/**
 * The resource cache of one control-plane replica. It builds every resource from the
 * documents at start, then polls `store.changes` (every `pollMs` while idle, at once while it
 * is catching up), asks the builder which names each change record touches, rebuilds those
 * and applies the results in one synchronous step, so readers never see half an update. Its
 * version is the store revision of the last record applied, so every replica on one store
 * reaches the same versions with the same resources. When the store has trimmed records it
 * has not read (`oldest` beyond its version), it rebuilds everything and reports the
 * difference as one update. Store failures are retried with backoff; the last resources stay
 * served meanwhile. A resource whose sealed key cannot be opened is left out (and logged)
 * rather than stopping every other update.
 */
export function storeResourceCache(options: StoreResourceCacheOptions): StoreResourceCache {
  const { store, builder } = options;
  const pollMs = options.pollMs ?? 50;
  const batch = options.batch ?? 500;
  const log = options.log ?? { error: (d: object, m: string) => console.error(m, d), warn: (d: object, m: string) => console.warn(m, d) };

  let sets: ResourceSets = emptySets();
  let version = 0;
  const listeners = new Set<(update: CacheUpdate) => void>();
  const waiters: { revision: number; resolve: () => void }[] = [];
  let running: Promise<boolean> | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;

  function publish(changed: CacheUpdate['changed'], at: number) {
    version = at;
    const update: CacheUpdate = { version, changed };
    for (const listener of listeners) {
      try {
        listener(update);
      } catch (error) {
        log.error({ err: error }, 'a resource cache listener failed');
      }
    }
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.revision <= version) waiters.splice(i, 1)[0]!.resolve();
    }
  }

  async function buildSafely(name: string): Promise<EncodedResource | undefined> {
    try {
      return await builder.build(name);
    } catch (error) {
      if (!(error instanceof KeyManagerError)) throw error;
      log.error({ err: error, resource: name }, 'a sealed key does not open: the resource is left out');
      return undefined;
    }
  }

  /** Rebuilds everything and publishes the difference. */
  async function resync(): Promise<void> {
    const at = await store.revision();
    const fresh = await buildEach(await builder.names(), buildSafely);
    const changed = emptyChanges();
    for (const type of resourceTypeOrder) {
      const [before, after] = [sets[type], fresh[type]];
      for (const [name, resource] of after) if (before.get(name)?.version !== resource.version) changed[type].add(name);
      for (const name of before.keys()) if (!after.has(name)) changed[type].add(name);
    }
    sets = fresh;
    publish(changed, at);
  }

  /** Applies the next change records; true when more may be waiting. */
  async function poll(): Promise<boolean> {
    const { records, oldest } = await store.changes(version, batch);
    if (oldest > version + 1 || (records[0] && records[0].revision !== version + 1)) {
      log.warn({ version, oldest }, 'change records were trimmed before this replica read them: rebuilding every resource');
      await resync();
      return true;
    }
    if (records.length === 0) return false;
    const names = new Set<string>();
    for (const record of records) for (const name of await builder.affectedNames(record)) names.add(name);
    const built = await buildEach([...names], buildSafely);
    const changed = emptyChanges();
    for (const name of names) {
      const type = parseName(name)!.type;
      const resource = built[type].get(name);
      const held = sets[type].get(name);
      if (resource && held?.version !== resource.version) sets[type].set(name, resource);
      else if (!resource && held) sets[type].delete(name);
      else continue;
      changed[type].add(name);
    }
    publish(changed, records.at(-1)!.revision);
    return records.length >= batch;
  }

  /** One poll at a time: a caller arriving while one runs waits for it, then runs its own. */
  function pollOnce(): Promise<boolean> {
    const previous = running ?? Promise.resolve(false);
    const next = previous.catch(() => false).then(poll);
    running = next;
    void next
      .finally(() => {
        if (running === next) running = undefined;
      })
      .catch(() => {});
    return next;
  }

  function schedule(delay: number) {
    if (closed) return;
    timer = setTimeout(() => {
      pollOnce().then(
        (more) => {
          failures = 0;
          schedule(more ? 0 : pollMs);
        },
        (error: unknown) => {
          failures++;
          const backoff = Math.min(maxBackoffMs, pollMs * 2 ** failures);
          // Once per run of failures: a long outage would otherwise warn at every retry (the store
          // health monitor reports the outage itself).
          if (failures === 1)
            log.warn({ err: error instanceof Error ? error.message : String(error), retryInMs: backoff }, 'reading change records failed');
          schedule(backoff);
        },
      );
    }, delay);
  }

  return {
    version: () => version,
    resources: (type) => sets[type],
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async start() {
      await resync();
      schedule(pollMs);
    },

    async refresh() {
      while (await pollOnce());
    },

    reach(revision) {
      if (version >= revision) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ revision, resolve }));
    },

    async close() {
      closed = true;
      clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}

function emptySets(): ResourceSets {
  return Object.fromEntries(resourceTypeOrder.map((type) => [type, new Map()])) as unknown as ResourceSets;
}

function emptyChanges(): { [T in ResourceType]: Set<string> } {
  return Object.fromEntries(resourceTypeOrder.map((type) => [type, new Set<string>()])) as unknown as { [T in ResourceType]: Set<string> };
}
