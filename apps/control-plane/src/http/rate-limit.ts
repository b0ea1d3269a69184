/**
 * A token bucket per caller (API key or admin), held in this process. Each replica limits
 * on its own, so the fleet-wide ceiling is the per-replica rate times the replica count;
 * that is enough to stop a runaway script from starving other tenants.
 */
export function rateLimiter(options: { perSecond: number; burst: number; now?: () => number }) {
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** Takes one token for `caller`; false when the caller must wait. */
    take(caller: string): boolean {
      const t = now();
      const bucket = buckets.get(caller) ?? { tokens: options.burst, at: t };
      bucket.tokens = Math.min(options.burst, bucket.tokens + ((t - bucket.at) / 1000) * options.perSecond);
      bucket.at = t;
      const allowed = bucket.tokens >= 1;
      if (allowed) bucket.tokens -= 1;
      buckets.set(caller, bucket);
      if (buckets.size > 100_000) buckets.clear();
      return allowed;
    },
  };
}
