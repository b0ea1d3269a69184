import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { StoreHealth } from '../../store/store-health.ts';

/** What `/readyz` says; the reason names a failure, never an address or a secret. */
export type Readiness =
  | { readonly ready: true; readonly store: { readonly revision: number; readonly confirmedAt: string } }
  | { readonly ready: false; readonly reason: string; readonly since: string | null };

/**
 * Health endpoints for orchestrators and load balancers, without authentication:
 * - `GET /healthz` (liveness): 200 while the process runs and its event loop answers;
 *   restart the process only when this fails.
 * - `GET /readyz` (readiness): 200 while the replica can confirm it reads the current store,
 *   else 503 with why and since when (the last time the store was confirmed, or null);
 *   take the replica out of rotation while it is 503, it comes back by itself.
 * Without a `health` (tests that build the app alone) the store is taken as current.
 */
export function healthRoutes(health: StoreHealth | undefined): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
    app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
      const state = health?.state ?? { healthy: true, revision: 0, confirmedAt: Date.now() };
      if (state.healthy) {
        return {
          ready: true,
          store: { revision: state.revision, confirmedAt: new Date(state.confirmedAt).toISOString() },
        } satisfies Readiness;
      }
      return reply
        .status(503)
        .send({ ready: false, reason: state.reason, since: state.since ? new Date(state.since).toISOString() : null } satisfies Readiness);
    });
  };
}
