import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startStoreHealthMonitor, type StoreHealthMonitor } from './store-health-monitor.ts';
import type { StoreHealthState } from './store-health.ts';
import { StoreUnavailableError } from './store-unavailable-error.ts';

/** A store whose revision reads answer as the test says: a revision, a failure, or never. */
function scriptedStore() {
  let answer: () => Promise<number> = () => Promise.resolve(7);
  const store = {
    calls: 0,
    revision() {
      store.calls++;
      return answer();
    },
    answers(revision: number) {
      answer = () => Promise.resolve(revision);
    },
    fails() {
      answer = () => Promise.reject(new StoreUnavailableError('Redis did not answer: Command timed out'));
    },
    hangs() {
      answer = () => new Promise<number>(() => {});
    },
  };
  return store;
}

function recordingLog() {
  const lines: { level: string; message: string; details: object }[] = [];
  return {
    lines,
    warn: (details: object, message: string) => lines.push({ level: 'warn', message, details }),
    info: (details: object, message: string) => lines.push({ level: 'info', message, details }),
  };
}

describe('store health monitor', () => {
  let monitor: StoreHealthMonitor | undefined;
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    monitor?.close();
    monitor = undefined;
    vi.useRealTimers();
  });

  async function start(store: ReturnType<typeof scriptedStore>, log = recordingLog(), options: { probeTimeoutMs?: number } = {}) {
    monitor = await startStoreHealthMonitor({ store, log, intervalMs: 1_000, staleAfterMs: 3_000, probeTimeoutMs: 2_000, ...options });
    const changes: StoreHealthState[] = [];
    monitor.onChange((state) => changes.push(state));
    return { monitor, log, changes };
  }

  it('is healthy once the first probe reads the revision, and logs nothing for it', async () => {
    const store = scriptedStore();
    const { monitor, log } = await start(store);
    expect(monitor.state).toEqual({ healthy: true, revision: 7, confirmedAt: 1_000_000 });
    store.answers(9);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(monitor.state).toEqual({ healthy: true, revision: 9, confirmedAt: 1_001_000 });
    expect(log.lines).toEqual([]);
  });

  it('starts unhealthy, and says so once, when the store does not answer at start', async () => {
    const store = scriptedStore();
    store.fails();
    const { monitor, log } = await start(store);
    expect(monitor.state).toEqual({ healthy: false, reason: 'Redis did not answer: Command timed out', since: 0 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(log.lines.map((l) => l.level)).toEqual(['warn']);
  });

  it('flips to unhealthy on the first failed probe, warns and notifies once however many fail, and recovers on the next good one', async () => {
    const store = scriptedStore();
    const { monitor, log, changes } = await start(store);
    store.fails();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(monitor.state).toEqual({ healthy: false, reason: 'Redis did not answer: Command timed out', since: 1_000_000 });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(store.calls).toBe(7);
    expect(changes).toEqual([{ healthy: false, reason: 'Redis did not answer: Command timed out', since: 1_000_000 }]);
    expect(log.lines).toEqual([
      {
        level: 'warn',
        message: 'store unavailable: not serving until it answers',
        details: expect.objectContaining({ lastConfirmedAt: 1_000_000 }),
      },
    ]);

    store.answers(8);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(monitor.state).toEqual({ healthy: true, revision: 8, confirmedAt: 1_007_000 });
    expect(changes).toHaveLength(2);
    expect(log.lines.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'store unavailable: not serving until it answers'],
      ['info', 'store reachable again'],
    ]);
    expect(log.lines[1]?.details).toEqual({ revision: 8, unavailableMs: 7_000 });
  });

  it('flips to unhealthy when a probe hangs past its timeout, without starting a second probe meanwhile', async () => {
    const store = scriptedStore();
    const { monitor, changes } = await start(store);
    store.hangs();
    await vi.advanceTimersByTimeAsync(2_900);
    // The probe sent at +1 s is still within its 2 s.
    expect(monitor.state.healthy).toBe(true);
    expect(store.calls).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(monitor.state).toEqual({ healthy: false, reason: 'the store did not answer within 2000 ms', since: 1_000_000 });
    expect(changes).toHaveLength(1);
  });

  it('flips to unhealthy after staleAfterMs without an answer even while a long probe is still waiting', async () => {
    const store = scriptedStore();
    const { monitor } = await start(store, recordingLog(), { probeTimeoutMs: 60_000 });
    store.hangs();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(monitor.state.healthy).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(monitor.state).toEqual({ healthy: false, reason: 'the store has not answered for 4000 ms', since: 1_000_000 });
    expect(store.calls).toBe(2);
  });

  it('never puts an unexpected error message in the reason', async () => {
    const store = scriptedStore();
    const { monitor } = await start(store);
    store.revision = () => Promise.reject(new TypeError('redis://user:hunter2@db:6379 broke'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(monitor.state).toEqual({ healthy: false, reason: 'the store failed (TypeError)', since: 1_000_000 });
  });

  it('stops probing and notifying once closed', async () => {
    const store = scriptedStore();
    const { monitor, changes } = await start(store);
    monitor.close();
    store.fails();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(store.calls).toBe(1);
    expect(changes).toEqual([]);
  });
});
