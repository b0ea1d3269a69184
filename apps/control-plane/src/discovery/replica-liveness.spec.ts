import { describe, expect, it } from 'vitest';
import { replicaLiveness, type ReplicaCurrency } from './replica-liveness.ts';
import { manualStoreHealth, manualTicker } from './test/manual-store-health.ts';

function recordingLog() {
  const lines: [string, string, object][] = [];
  return {
    lines,
    info: (details: object, message: string) => void lines.push(['info', message, details]),
    warn: (details: object, message: string) => void lines.push(['warn', message, details]),
  };
}

describe('replica liveness', () => {
  it('beats on every tick with the currency, at once on a loss between ticks, and logs each change once', () => {
    const health = manualStoreHealth({ healthy: true, revision: 3, confirmedAt: 0 });
    const ticker = manualTicker();
    const log = recordingLog();
    let version = 3;
    const liveness = replicaLiveness({ storeHealth: health, cache: { version: () => version }, every: ticker.every, now: () => 0, log });
    const beats: ReplicaCurrency[] = [];
    const stop = liveness.onBeat((currency) => beats.push(currency));
    ticker.tick();
    ticker.tick();
    expect(beats).toEqual([
      { current: true, revision: 3 },
      { current: true, revision: 3 },
    ]);
    health.set({ healthy: false, reason: 'the store did not answer within 2000 ms', since: 0 });
    expect(beats.at(-1)).toEqual({ current: false, reason: 'the store is unhealthy: the store did not answer within 2000 ms' });
    ticker.tick();
    expect(beats).toHaveLength(4);
    version = 5;
    health.set({ healthy: true, revision: 5, confirmedAt: 0 });
    expect(beats).toHaveLength(4); // recovery waits for the next beat
    ticker.tick();
    expect(beats.at(-1)).toEqual({ current: true, revision: 5 });
    expect(log.lines).toEqual([
      [
        'warn',
        'discovery stopped: the replica cannot confirm it reads the current store',
        { reason: 'the store is unhealthy: the store did not answer within 2000 ms' },
      ],
      ['info', 'discovery serving again: the replica reads the current store', { revision: 5 }],
    ]);
    stop();
    ticker.tick();
    expect(beats).toHaveLength(5);
    liveness.close();
    expect(ticker.running).toBe(0);
    health.set({ healthy: false, reason: 'gone', since: 0 });
    expect(log.lines).toHaveLength(2);
  });
});
