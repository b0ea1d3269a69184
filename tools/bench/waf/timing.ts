import { performance } from 'node:perf_hooks';

/** How long and how often to measure. */
export interface TimingOptions {
  /** Untimed running before measuring, so the JIT has optimised the code under test. */
  readonly warmupMs: number;
  /** Target duration of one timed round. */
  readonly roundMs: number;
  readonly rounds: number;
}

export const defaultTiming: TimingOptions = { warmupMs: 250, roundMs: 200, rounds: 7 };

// Results are folded into this value and printed, so the optimiser cannot drop the work.
let sink = 0;

/** A value that depends on every measured result; print it once at the end. */
export function sinkValue(): number {
  return sink;
}

/**
 * Operations per second of `operation(i)`, as the median of `rounds` rounds after a warm-up.
 * The iteration count per round is calibrated during the warm-up to last about `roundMs`.
 */
export function measureRate(operation: (i: number) => unknown, options: TimingOptions = defaultTiming): number {
  let iterations = 1;
  const warmupEnd = performance.now() + options.warmupMs;
  let perIterationMs = 0;
  while (performance.now() < warmupEnd) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) if (operation(i)) sink++;
    perIterationMs = (performance.now() - start) / iterations;
    if (iterations < 1 << 30) iterations *= 2;
  }
  const perRound = Math.max(1, Math.round(options.roundMs / Math.max(perIterationMs, 1e-6)));
  const rates: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const start = performance.now();
    for (let i = 0; i < perRound; i++) if (operation(i)) sink++;
    rates.push(perRound / ((performance.now() - start) / 1000));
  }
  return median(rates);
}

/** Median duration in milliseconds of `task`, run `rounds` times after `warmups` untimed runs. */
export function medianMs(task: () => unknown, rounds: number, warmups = 2): number {
  for (let i = 0; i < warmups; i++) if (task()) sink++;
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    if (task()) sink++;
    times.push(performance.now() - start);
  }
  return median(times);
}

/** The median of `values` (not empty). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
