import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../domain/services.ts';
import { accountRoutes } from './accounts.ts';
import { auditLogRoutes } from './audit-log.ts';
import { bindingRoutes } from './bindings.ts';
import { siteRoutes } from './sites.ts';

/** Every REST route, mounted under /v1. */
export function restRoutes(services: Services): FastifyPluginAsyncTypebox {
  return async (app) => {
    await app.register(accountRoutes(services));
    await app.register(siteRoutes(services));
    await app.register(bindingRoutes(services));
    await app.register(auditLogRoutes(services));
  };
}
