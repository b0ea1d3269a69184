import type { StoreHealth } from '../store/store-health.ts';
import type { ResourceCache } from './resource-cache.ts';

/** Whether this replica may serve discovery now, and the revision it can vouch for. */
export type ReplicaCurrency =
  | {
      readonly current: true;
      /** The resource cache's revision: what this replica's streams serve. */
      readonly revision: number;
    }
  | { readonly current: false; readonly reason: string };

/**
 * The heartbeat of a replica's discovery: whether the replica reads the current store (the
 * store health monitor says so, and the resource cache keeps up with the revision it
 * confirmed), and a beat every interval that the delta streams turn into heartbeats.
 */
export interface ReplicaLiveness {
  /** The currency now; evaluated on every call, cheap. */
  currency(): ReplicaCurrency;
  /**
   * Calls `listener` on every beat with the currency then, and at once whenever the replica
   * stops being current between two beats (the store health monitor reported it). Returns the
   * unsubscribe function. A listener must not throw.
   */
  onBeat(listener: (currency: ReplicaCurrency) => void): () => void;
  /** Stops beating and stops listening to the store health. */
  close(): void;
}

export interface ReplicaLivenessOptions {
  readonly storeHealth: StoreHealth;
  readonly cache: Pick<ResourceCache, 'version'>;
  /** Time between beats. Default 1 s: edges fail over after 5 s without one. */
  readonly intervalMs?: number;
  /**
   * How long the cache may stay behind a store revision the monitor confirmed before the
   * replica counts as lagging. Default 3 s (the cache polls every 50 ms).
   */
  readonly maxLagMs?: number;
  readonly now?: () => number;
  /** Runs `tick` every `ms` until the returned function is called (tests drive it by hand). */
  readonly every?: (ms: number, tick: () => void) => () => void;
  readonly log?: { info(details: object, message: string): void; warn(details: object, message: string): void };
}

const defaultEvery = (ms: number, tick: () => void) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * Judges the replica current while the store health monitor reports the store healthy and the
 * resource cache reaches every revision the monitor confirmed within `maxLagMs` of first
 * seeing it (it is measured against a fixed target, so a store under constant writes, always
 * a few revisions ahead, does not make the replica look behind). Logs each change of
 * currency: at warn when the replica stops serving discovery, at info when it is back.
 */
export function replicaLiveness(options: ReplicaLivenessOptions): ReplicaLiveness {
  const { storeHealth, cache } = options;
  const intervalMs = options.intervalMs ?? 1_000;
  const maxLagMs = options.maxLagMs ?? 3_000;
  const now = options.now ?? Date.now;
  const listeners = new Set<(currency: ReplicaCurrency) => void>();
  /** The revision the cache is catching up with, and when it was first seen ahead of it. */
  let target: { revision: number; since: number } | undefined;
  let wasCurrent = true;

  function currency(): ReplicaCurrency {
    const state = storeHealth.state;
    if (!state.healthy) return { current: false, reason: `the store is unhealthy: ${state.reason}` };
    const version = cache.version();
    if (version >= state.revision) {
      target = undefined;
      return { current: true, revision: version };
    }
    if (!target || target.revision <= version) target = { revision: state.revision, since: now() };
    if (now() - target.since > maxLagMs) {
      return {
        current: false,
        reason: `the resource cache (revision ${version}) has not reached the store's revision ${target.revision} within ${maxLagMs} ms`,
      };
    }
    return { current: true, revision: version };
  }

  function observe(): ReplicaCurrency {
    const found = currency();
    if (found.current !== wasCurrent) {
      if (found.current) options.log?.info({ revision: found.revision }, 'discovery serving again: the replica reads the current store');
      else options.log?.warn({ reason: found.reason }, 'discovery stopped: the replica cannot confirm it reads the current store');
    }
    wasCurrent = found.current;
    return found;
  }

  const notify = (found: ReplicaCurrency) => {
    for (const listener of [...listeners]) listener(found);
  };
  const stopBeating = (options.every ?? defaultEvery)(intervalMs, () => notify(observe()));
  const stopListening = storeHealth.onChange(() => {
    const found = observe();
    if (!found.current) notify(found);
  });

  return {
    currency,
    onBeat(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      stopBeating();
      stopListening();
      listeners.clear();
    },
  };
}
