import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountsService } from '../domain/accounts.ts';
import { ApiError } from '../domain/api-error.ts';
import { metricsContentType, type ControlPlaneMetrics } from '../metrics/control-plane-metrics.ts';

/** A loopback peer: 127.0.0.0/8, ::1, or IPv4 loopback mapped into IPv6. */
function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * `GET /metrics`: the Prometheus text format (docs/metrics.md). Allowed from a loopback peer
 * without a token (a scraper beside the process), or with the administrator token from
 * anywhere; without a token from elsewhere 401 `Auth.MissingKey`, with any other token 403
 * `Auth.AdminOnly`. The peer is the socket's (X-Forwarded-For is never read). The token is
 * checked without the store, so metrics stay readable during a store outage (the store health
 * guard lets the route through).
 */
export function metricsRoute(metrics: ControlPlaneMetrics, accounts: AccountsService) {
  return async (app: FastifyInstance) => {
    app.get('/metrics', { schema: { hide: true } }, async (request: FastifyRequest, reply) => {
      const header = request.headers.authorization;
      if (header === undefined) {
        if (!isLoopback(request.socket.remoteAddress)) throw new ApiError('Auth.MissingKey');
      } else {
        const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
        if (token === undefined || !accounts.isAdminToken(token)) throw new ApiError('Auth.AdminOnly');
      }
      return reply.type(metricsContentType).send(await metrics.text());
    });
  };
}
