/** How long to wait before reconnect attempt `attempt` (0 for the first after a failure). */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

/** Half a second, doubling up to thirty seconds (docs/edge-protocol.md). */
export const defaultBackoff: BackoffPolicy = { initialMs: 500, maxMs: 30_000 };

/**
 * Exponential backoff with "equal jitter": the delay is between half and all of
 * `min(max, initial·2^attempt)`, so a fleet of edges that lost the control plane together
 * does not come back in lockstep, yet none waits much less than the schedule says.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = defaultBackoff, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}
