import type { StreamClock } from '../stream/delta-stream.ts';

/** A clock for the stream loop that moves only when the test calls `advance`, firing the timers that fall due, in order. */
export interface ManualClock extends StreamClock {
  advance(ms: number): void;
}

export function manualClock(start = Date.parse('2030-01-01T00:00:00Z')): ManualClock {
  let now = start;
  let next = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimeout(callback, ms) {
      const id = ++next;
      timers.set(id, { at: now + Math.max(0, ms), callback });
      return id;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = [...timers].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
        if (!due) break;
        timers.delete(due[0]);
        now = due[1].at;
        due[1].callback();
      }
      now = until;
    },
  };
}
