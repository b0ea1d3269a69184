/**
 * How far before "now" a new certificate's validity starts, so it is usable at once on
 * machines whose clocks run a little behind (smallstep backdates by a minute too).
 */
export const clockSkewAllowanceMs = 60_000;

export const dayMs = 86_400_000;

/** `date` rounded down to whole seconds, the precision X.509 times are encoded with. */
export function wholeSeconds(date: Date): Date {
  const ms = date.getTime();
  return new Date(ms - (((ms % 1000) + 1000) % 1000));
}
