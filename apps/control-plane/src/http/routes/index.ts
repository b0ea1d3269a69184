import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
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
