import type { FastifyInstance } from 'fastify';
import type { StoreHealth } from '../store/store-health.ts';
import { StoreUnavailableError } from '../store/store-unavailable-error.ts';

/** How long a caller told `Store.Unavailable` should wait: about two store probes. */
export const storeRetryAfterSeconds = 2;

/**
 * Routes that answer without the store: liveness, readiness, metrics (readable during an
 * outage), the API description (and, by prefix, its UI and the console's files).
 */
const storeFreeRoutes = new Set(['/healthz', '/readyz', '/metrics', '/openapi.json']);

/**
 * Makes the whole app fail fast while the store is unhealthy: every request for a route
 * that needs the store is refused at once with 503 `Store.Unavailable` instead of waiting
 * on command timeouts, and every 503 answer carries `Retry-After`. Hooks on the root
 * instance, so call it before the routes are registered. Without a `health` (tests that
 * build the app alone) only the `Retry-After` part applies.
 */
export function guardStoreHealth(app: FastifyInstance, health: StoreHealth | undefined): void {
  if (health) {
    app.addHook('onRequest', async (request) => {
      const route = request.routeOptions.url;
      // No route: the not-found handler answers, store or not.
      if (route === undefined || storeFreeRoutes.has(route) || route.startsWith('/docs') || route.startsWith('/console')) return;
      const state = health.state;
      if (!state.healthy) throw new StoreUnavailableError(`store health: ${state.reason}`);
    });
  }
  app.addHook('onSend', async (_request, reply) => {
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(storeRetryAfterSeconds));
  });
}
