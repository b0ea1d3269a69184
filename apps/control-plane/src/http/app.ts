import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Services } from '../domain/services.ts';
import { ApiError } from '../domain/api-error.ts';
import { toApiError, type ErrorBody } from './error-reply.ts';
import { ErrorSchema } from './schemas.ts';
import { authentication } from './authentication.ts';
import { rateLimiter } from './rate-limit.ts';
import { refuseUndeclaredQuery, restRoutes } from './routes/index.ts';
import { edgeEnrollmentRoutes } from './routes/edge-enrollment.ts';
import { rpcRoute } from './rpc/rpc-route.ts';
import type { StoreHealth } from '../store/store-health.ts';
import { healthRoutes } from './routes/health.ts';
import type { ControlPlaneMetrics } from '../metrics/control-plane-metrics.ts';
import { metricsRoute } from './metrics-route.ts';
import { consoleRoutes } from './console-routes.ts';
import { guardStoreHealth } from './store-health-guard.ts';
import { clientErrorHandler, expectationFailedHandler, frameworkErrorHandler, maxHeadBytes, requestHeadGuard } from './request-framing.ts';
import { strictValidatorCompiler } from './strict-validator.ts';
import { formFields } from './form-body.ts';
import { hasDuplicateKey } from './json-duplicate-keys.ts';

export interface HttpAppOptions {
  readonly services: Services;
  /** Fastify/pino logger settings; `false` for silence in tests. */
  readonly logger?: FastifyServerOptions['logger'];
  /** A logger the process already has (takes precedence over `logger`). */
  readonly loggerInstance?: FastifyBaseLogger;
  /** Requests per second per caller, with a burst allowance. */
  readonly rateLimit?: { perSecond: number; burst: number };
  /** Edge enrollments per second per client address, with a burst allowance. */
  readonly enrollRateLimit?: { perSecond: number; burst: number };
  /** While unhealthy, store routes answer 503 `Store.Unavailable` at once and /readyz 503 (store-health-guard.ts). */
  readonly storeHealth?: StoreHealth;
  /** Counts every request (route pattern, method, status, latency) and serves GET /metrics (metrics-route.ts). */
  readonly metrics?: ControlPlaneMetrics;
}

/** Bodies above this are refused with `Payload.TooLarge` (413); CRL uploads allow more. */
export const defaultBodyLimit = 256 * 1024;

/**
 * The control plane's HTTP API: REST routes under /v1, the original product's RPC endpoint
 * (`/?Action=…`), the OpenAPI document at /openapi.json and its UI at /docs. Every /v1 and
 * RPC request is authenticated by API key, except `POST /v1/edge/enroll`, which a join token
 * authenticates; every error is a JSON `ErrorBody` with a stable code.
 */
export async function buildHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: options.logger ?? false }),
    genReqId: () => `req_${randomBytes(8).toString('hex')}`,
    bodyLimit: defaultBodyLimit,
    http: { maxHeaderSize: maxHeadBytes, requireHostHeader: false },
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(strictValidatorCompiler);
  app.addHook('onRoute', refuseUndeclaredQuery);
  app.addHook('onRequest', requestHeadGuard);
  app.server.on('checkExpectation', expectationFailedHandler);
  const { metrics } = options;
  if (metrics)
    app.addHook('onResponse', async (request, reply) => {
      // The route pattern, never the raw URL: label values stay bounded.
      metrics.httpRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    });

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // API answers hold account data and once-shown secrets: no cache may keep them.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });
  // Only JSON and forms are accepted (Payload.UnsupportedMediaType otherwise). JSON is
  // fastify's parser (prototype poisoning refused) behind a check for repeated keys.
  app.removeContentTypeParser('text/plain');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (hasDuplicateKey(text)) {
      done(new ApiError('InvalidParameter', { message: 'The request body names a field twice in one object.' }), undefined);
      return;
    }
    parseJson(request, text, done);
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, formFields(body as string));
  });
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    // An outage of the store is reported once by the health monitor, not once per refused request.
    if (apiError.code === 'Store.Unavailable') request.log.debug({ err: apiError.cause ?? error }, 'request refused: store unavailable');
    else if (apiError.status >= 500) request.log.error({ err: apiError.cause ?? error }, 'request failed');
    const body: ErrorBody = { code: apiError.code, message: apiError.message, requestId: request.id };
    if (apiError.details) body.details = { ...apiError.details };
    return reply.status(apiError.status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new ApiError('NotFound.Route');
    return reply.status(404).send({ code: error.code, message: error.message, requestId: request.id } satisfies ErrorBody);
  });

  app.addSchema(ErrorSchema);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Portcullis control plane',
        version: '1',
        description:
          'Client certificates (mTLS) for edge hostnames: account CAs, issued and uploaded client CAs, ' +
          'hostname bindings, revocation and WAF rules. Authenticate with "Authorization: Bearer <API key>".',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  // In the bundled image the UI's assets sit beside main.mjs (tools/build/bundle-app.ts).
  const bundledAssets = path.join(import.meta.dirname, 'static');
  await app.register(swaggerUi, { routePrefix: '/docs', ...(existsSync(bundledAssets) ? { baseDir: bundledAssets } : {}) });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  guardStoreHealth(app, options.storeHealth);
  await app.register(healthRoutes(options.storeHealth));
  if (metrics) await app.register(metricsRoute(metrics, options.services.accounts));
  await app.register(consoleRoutes);

  const limiter = rateLimiter(options.rateLimit ?? { perSecond: 50, burst: 200 });
  await app.register(async (scoped) => {
    await scoped.register(authentication, { accounts: options.services.accounts, limiter });
    await scoped.register(restRoutes(options.services), { prefix: '/v1' });
    await scoped.register(rpcRoute(options.services));
  });
  // Edges enroll with a join token, not an API key.
  const enrollLimiter = rateLimiter(options.enrollRateLimit ?? { perSecond: 1, burst: 20 });
  await app.register(edgeEnrollmentRoutes(options.services, enrollLimiter), { prefix: '/v1' });
  return app;
}
