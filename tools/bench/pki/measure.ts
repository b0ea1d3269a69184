import { performance } from 'node:perf_hooks';

/** A measured rate: per second of wall time (one operation at a time) and per second of CPU. */
export interface Rate {
  /** Median over the rounds of operations per wall-clock second. */
  readonly perSecond: number;
  /**
   * Operations per second of CPU time used by the whole process (all threads, user + system),
   * over all rounds: the per-core figure, which also counts work handed to the thread pool.
   */
  readonly perCpuSecond: number;
  readonly operations: number;
}

/** How long to measure one operation. */
export interface MeasureOptions {
  readonly warmupMs: number;
  readonly roundMs: number;
  readonly rounds: number;
}

export const quick: MeasureOptions = { warmupMs: 300, roundMs: 1000, rounds: 3 };

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Runs `operation(i)` one call at a time (awaiting each) for `rounds` rounds of about `roundMs`
 * after an untimed warm-up. Each result is handed to `check` so the work cannot be optimised
 * away and a wrong result stops the benchmark.
 */
export async function measure<T>(
  operation: (i: number) => T | Promise<T>,
  check: (result: T) => void,
  options: MeasureOptions = quick,
): Promise<Rate> {
  let i = 0;
  const warmupEnd = performance.now() + options.warmupMs;
  while (performance.now() < warmupEnd) check(await operation(i++));
  const rates: number[] = [];
  let operations = 0;
  let cpuMicros = 0;
  for (let round = 0; round < options.rounds; round++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const end = start + options.roundMs;
    let n = 0;
    while (performance.now() < end) {
      check(await operation(i++));
      n++;
    }
    const elapsed = performance.now() - start;
    const used = process.cpuUsage(cpu);
    cpuMicros += used.user + used.system;
    operations += n;
    rates.push((n * 1000) / elapsed);
  }
  return { perSecond: median(rates), perCpuSecond: (operations * 1e6) / cpuMicros, operations };
}
