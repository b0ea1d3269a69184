import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { compileExpression } from './compiler.ts';
import { compileRegex } from './linear-regex.ts';
import { request } from './test/facts.ts';

/**
 * Fastest of `rounds` runs of each task, interleaved so that load from other processes weighs
 * on both alike; the fastest run is the one least disturbed by them.
 */
function fastestMs(tasks: readonly (() => void)[], rounds: number): number[] {
  const best = tasks.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < rounds; round++) {
    tasks.forEach((task, i) => {
      const start = performance.now();
      task();
      best[i] = Math.min(best[i]!, performance.now() - start);
    });
  }
  return best;
}

describe('regexes run in linear time', () => {
  it('matches "(a+)+$" against a long run of a followed by ! in time linear in its length', () => {
    const rule = compileExpression('http.user_agent matches "(a+)+$"');
    const facts = (n: number) => request({ userAgent: `${'a'.repeat(n)}!` });
    const n = 100_000;
    const small = facts(n);
    const large = facts(4 * n);
    // Warm up so the comparison measures matching, not compilation by the JIT.
    for (let i = 0; i < 3; i++) {
      expect(rule.matches(small)).toBe(false);
      expect(rule.matches(large)).toBe(false);
    }
    const [smallMs, largeMs] = fastestMs([() => rule.matches(small), () => rule.matches(large)], 9);
    const ratio = largeMs! / smallMs!;
    // Linear time gives about 4; quadratic would give 16, exponential (a backtracking engine) never finishes.
    expect(ratio).toBeLessThan(10);
  });

  it('uses RE2 syntax: no backreferences or lookarounds, which need backtracking', () => {
    expect(() => compileRegex(String.raw`(a)\1`)).toThrow(expect.objectContaining({ code: 'Waf.BadRegex' }));
    expect(() => compileRegex('(?=a)')).toThrow(expect.objectContaining({ code: 'Waf.BadRegex' }));
    expect(compileRegex('(?i)^MOZILLA').test('mozilla/5.0')).toBe(true);
  });
});
