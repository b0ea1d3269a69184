import type { Page } from './store.ts';

/** A page with whole bounds in [0, 2^53): anything else (negative, NaN, Infinity) is clamped. */
export function clampPage(page: Page): Page {
  return { offset: whole(page.offset), limit: whole(page.limit) };
}

function whole(n: number): number {
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.trunc(n) || 0));
}
