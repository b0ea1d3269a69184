import type { DeltaStreamStatus } from './delta-stream.ts';
import type { EdgeLogger } from '../edge-logger.ts';

/** Follows whether the edge has its control plane; `update` after any stream's status changes. */
export interface ControlPlaneLink {
  update(): void;
  /** Stops logging (the edge is shutting down: its streams end on purpose). */
  stop(): void;
}

/**
 * The edge has its control plane while every stream is connected (heard from a replica within
 * the stale bound). Logs each change once for the whole edge rather than once per stream: at
 * warn when it loses the control plane (some stream failed or went stale; the edge serves its
 * last configuration meanwhile, statically stable), at info the first time every stream is
 * connected, and at info when it is back: every stream connected and heard from since the loss
 * (streams still on a hung replica look connected until their own stale bound, so without that
 * one loss would be logged as several).
 */
export function controlPlaneLink(
  log: EdgeLogger,
  streams: () => readonly DeltaStreamStatus[],
  now: () => number = Date.now,
): ControlPlaneLink {
  let up: boolean | undefined;
  let lostAt = 0;
  let stopped = false;
  return {
    update() {
      if (stopped) return;
      const statuses = streams();
      if (statuses.length === 0) return;
      if (statuses.every((s) => s.connected)) {
        if (up === true) return;
        if (up === false && !statuses.every((s) => s.heardAt !== undefined && Date.parse(s.heardAt) >= lostAt)) return;
        const targets = [...new Set(statuses.map((s) => s.target))];
        log.info({ targets }, up === undefined ? 'control plane connected' : 'control plane back: configuration current again');
        up = true;
        return;
      }
      const down = statuses.filter((s) => !s.connected && s.lastError !== undefined);
      if (down.length === 0 || up === false) return;
      up = false;
      lostAt = now();
      const ages = statuses.map((s) => s.configAgeMs).filter((age) => age !== undefined);
      log.warn(
        {
          streams: down.map((s) => ({ type: s.type, target: s.target, error: s.lastError })),
          configAgeMs: ages.length > 0 ? Math.max(...ages) : undefined,
        },
        'control plane lost: serving the last configuration until it is back',
      );
    },
    stop() {
      stopped = true;
    },
  };
}
