import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { RouteOptions } from 'fastify';
import type { Services } from '../../domain/services.ts';
import { accountRoutes } from './accounts.ts';
import { auditLogRoutes } from './audit-log.ts';
import { bindingRoutes } from './bindings.ts';
import { siteRoutes } from './sites.ts';
import { clientCertificateRoutes } from './client-certificates.ts';
import { customCaRoutes } from './custom-cas.ts';
import { serverCertificateRoutes } from './server-certificates.ts';
import { wafRuleRoutes } from './waf-rules.ts';
import { edgeJoinTokenRoutes } from './edge-join-tokens.ts';
import { edgeRoutes } from './edges.ts';

/** The query of a route that takes none: any parameter is refused, never ignored. */
const NoQuery = Type.Object({}, { additionalProperties: false });

/**
 * An `onRoute` hook for the whole app: a /v1 route without a query schema takes no query
 * parameters, so `DELETE /v1/sites/…?dryRun=true` is refused rather than run as a delete.
 */
export function refuseUndeclaredQuery(route: RouteOptions): void {
  if (route.url.startsWith('/v1/') && !route.schema?.querystring) route.schema = { ...route.schema, querystring: NoQuery };
}

/** Every REST route, mounted under /v1. */
export function restRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    await app.register(accountRoutes(services));
    await app.register(siteRoutes(services));
    await app.register(serverCertificateRoutes(services));
    await app.register(clientCertificateRoutes(services));
    await app.register(customCaRoutes(services));
    await app.register(bindingRoutes(services));
    await app.register(wafRuleRoutes(services));
    await app.register(auditLogRoutes(services));
    await app.register(edgeJoinTokenRoutes(services));
    await app.register(edgeRoutes(services));
  };
}
