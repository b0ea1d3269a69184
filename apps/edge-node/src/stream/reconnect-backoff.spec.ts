import { describe, expect, it } from 'vitest';
import { backoffDelay, defaultBackoff } from './reconnect-backoff.ts';

describe('reconnect backoff', () => {
  it('doubles from half a second up to thirty, with jitter between half and all of the step', () => {
    expect([0, 1, 2, 3].map((attempt) => backoffDelay(attempt, defaultBackoff, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(0, defaultBackoff, () => 0)).toBe(250);
    expect(backoffDelay(20, defaultBackoff, () => 1)).toBe(30_000);
    expect(backoffDelay(1e6, defaultBackoff, () => 0)).toBe(15_000);
  });
});
