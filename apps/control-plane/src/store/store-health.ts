/**
 * Whether this replica can confirm that it reads the current store. A replica that cannot
 * (the store does not answer, or its change-log reads fail or lag) must not tell edges they
 * are in sync, nor make callers wait: discovery stops serving and API calls answer 503
 * `Store.Unavailable` until it is healthy again.
 */
export type StoreHealthState =
  | {
      readonly healthy: true;
      /** The store's revision as last read from the store itself, not from a cache. */
      readonly revision: number;
      /** When (ms since the epoch) the store last answered. */
      readonly confirmedAt: number;
    }
  | {
      readonly healthy: false;
      /** Why, for logs and readiness bodies; never holds secrets. */
      readonly reason: string;
      /** When (ms since the epoch) the replica last saw the store healthy; 0 if never. */
      readonly since: number;
    };

export interface StoreHealth {
  /** The state now. Cheap: read it on every request. */
  readonly state: StoreHealthState;
  /**
   * Calls `listener` on every change of `healthy` (not on every probe), after `state` has
   * changed. Returns the unsubscribe function.
   */
  onChange(listener: (state: StoreHealthState) => void): () => void;
  /** Stops probing. */
  close(): void;
}
