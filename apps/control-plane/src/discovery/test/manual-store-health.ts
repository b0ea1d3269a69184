import type { StoreHealth, StoreHealthState } from '../../store/store-health.ts';

/** A store health a test sets by hand; listeners hear each change of `healthy`, as the contract says. */
export interface ManualStoreHealth extends StoreHealth {
  set(state: StoreHealthState): void;
}

/** Starts healthy at revision 0 (any cache has reached it), confirmed now. */
export function manualStoreHealth(initial: StoreHealthState = { healthy: true, revision: 0, confirmedAt: Date.now() }): ManualStoreHealth {
  let state = initial;
  const listeners = new Set<(state: StoreHealthState) => void>();
  return {
    get state() {
      return state;
    },
    set(next) {
      const flipped = next.healthy !== state.healthy;
      state = next;
      if (flipped) for (const listener of [...listeners]) listener(next);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => listeners.clear(),
  };
}

/** An `every` for `replicaLiveness` that ticks only when the test says so. */
export function manualTicker(): { every: (ms: number, tick: () => void) => () => void; tick(): void; readonly running: number } {
  const ticks = new Set<() => void>();
  return {
    every(_ms, tick) {
      ticks.add(tick);
      return () => ticks.delete(tick);
    },
    tick() {
      for (const tick of [...ticks]) tick();
    },
    get running() {
      return ticks.size;
    },
  };
}
