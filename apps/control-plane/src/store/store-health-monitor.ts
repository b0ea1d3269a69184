import type { StoreHealth, StoreHealthState } from './store-health.ts';
import type { Store } from './store.ts';
import { StoreUnavailableError } from './store-unavailable-error.ts';

export interface StoreHealthMonitorOptions {
  /** Probed by reading its revision: one round trip to the store itself, never a cache. */
  readonly store: Pick<Store, 'revision'>;
  /** How often to probe. Default 1 000 ms. */
  readonly intervalMs?: number;
  /** A probe that has not answered after this counts as failed. Default 2 000 ms. */
  readonly probeTimeoutMs?: number;
  /** Unhealthy once the store has not answered for this long, whatever the probes do. Default 3 000 ms. */
  readonly staleAfterMs?: number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /** Hears of each loss (warn) and recovery (info) once, not of every probe. */
  readonly log?: {
    warn(details: object, message: string): void;
    info(details: object, message: string): void;
  };
}

/**
 * The store's health, probed in the background. Unhealthy as soon as a probe fails or
 * times out, or the store has not answered for `staleAfterMs`; healthy again on the next
 * good probe. At most one probe is in flight: a probe that hangs does not pile up more.
 */
export interface StoreHealthMonitor extends StoreHealth {
  /** Probes now (or joins the probe in flight) and resolves once `state` reflects it. */
  probe(): Promise<void>;
}

/**
 * Probes once, so `state` is known when this resolves (healthy or not: a replica that
 * starts while the store is away starts unready, it does not fail), then keeps probing
 * every `intervalMs` until `close`.
 */
export async function startStoreHealthMonitor(options: StoreHealthMonitorOptions): Promise<StoreHealthMonitor> {
  const intervalMs = options.intervalMs ?? 1_000;
  const probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
  const staleAfterMs = options.staleAfterMs ?? 3_000;
  const now = options.now ?? Date.now;
  const listeners = new Set<(state: StoreHealthState) => void>();
  let state: StoreHealthState = { healthy: false, reason: 'the store has not been probed yet', since: 0 };
  /** Whether the current unhealthy state has been reported (the initial "not probed" one is not). */
  let lossReported = false;
  let inFlight: Promise<void> | undefined;
  let closed = false;

  const lastHealthyAt = () => (state.healthy ? state.confirmedAt : state.since);

  const becomeHealthy = (revision: number) => {
    const wasHealthy = state.healthy;
    const downSince = lastHealthyAt();
    const confirmedAt = now();
    state = { healthy: true, revision, confirmedAt };
    if (wasHealthy) return;
    if (lossReported)
      options.log?.info({ revision, unavailableMs: downSince ? confirmedAt - downSince : undefined }, 'store reachable again');
    lossReported = false;
    notify();
  };

  const becomeUnhealthy = (reason: string) => {
    const wasHealthy = state.healthy;
    state = { healthy: false, reason, since: lastHealthyAt() };
    if (!lossReported)
      options.log?.warn({ reason, lastConfirmedAt: state.since || undefined }, 'store unavailable: not serving until it answers');
    lossReported = true;
    if (wasHealthy) notify();
  };

  const notify = () => {
    for (const listener of [...listeners]) listener(state);
  };

  const probe = (): Promise<void> => {
    inFlight ??= runProbe().finally(() => (inFlight = undefined));
    return inFlight;
  };

  const runProbe = async () => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), probeTimeoutMs)));
    try {
      const answer = await Promise.race([options.store.revision(), timedOut]);
      if (closed) return;
      if (answer === 'timeout') becomeUnhealthy(`the store did not answer within ${probeTimeoutMs} ms`);
      else becomeHealthy(answer);
    } catch (error) {
      if (!closed) becomeUnhealthy(failureReason(error));
    } finally {
      clearTimeout(timer);
    }
  };

  const tick = () => {
    if (state.healthy && now() - state.confirmedAt > staleAfterMs) {
      becomeUnhealthy(`the store has not answered for ${now() - state.confirmedAt} ms`);
    }
    void probe();
  };

  await probe();
  const interval = setInterval(tick, intervalMs);
  interval.unref();

  return {
    get state() {
      return state;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    probe,
    close() {
      closed = true;
      clearInterval(interval);
      listeners.clear();
    },
  };
}

/** A reason safe for logs and readiness bodies: store errors carry no secrets; others give only their name. */
function failureReason(error: unknown): string {
  if (error instanceof StoreUnavailableError) return error.message;
  return `the store failed (${error instanceof Error ? error.name : typeof error})`;
}
