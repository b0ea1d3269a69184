import { isIP } from 'node:net';
import { Server, ServerCredentials, type ServerOptions } from '@grpc/grpc-js';
import { adminV1 } from '@portcullis/proto';
import type { Services } from '../domain/services.ts';
import type { StoreHealth } from '../store/store-health.ts';
import { rateLimiter } from '../http/rate-limit.ts';
import { callAuthentication } from './call-authentication.ts';
import type { ErrorLog } from './grpc-status.ts';
import { unaryHandler } from './unary-handler.ts';
import { strictDefinition } from './strict-decoding.ts';
import { accountService } from './handlers/account-service.ts';
import { auditLogService } from './handlers/audit-log-service.ts';
import { clientCertificateService } from './handlers/client-certificate-service.ts';
import { customCaService } from './handlers/custom-ca-service.ts';
import { siteService } from './handlers/site-service.ts';
import { wafRuleService } from './handlers/waf-rule-service.ts';

export interface AdminGrpcServerOptions {
  readonly services: Services;
  readonly host: string;
  /** 0 binds any free port; the bound one is in the result. */
  readonly port: number;
  /** Server TLS; plaintext when absent, which only suits a loopback bind. */
  readonly credentials?: ServerCredentials;
  /** Requests per second per caller, with a burst allowance (as the HTTP API's default). */
  readonly rateLimit?: { perSecond: number; burst: number };
  /** Where internal failures are reported; default the console. */
  readonly log?: ErrorLog;
  /** While it says unhealthy, calls end UNAVAILABLE `Store.Unavailable` at once, without waiting on the store. */
  readonly storeHealth?: Pick<StoreHealth, 'state'>;
}

export interface AdminGrpcServer {
  readonly port: number;
  /** Stops taking calls, lets running ones finish (cut off after a grace period), then resolves. */
  close(): Promise<void>;
}

/**
 * The largest request accepted: a CRL upload, as the HTTP API's CRL route allows. grpc-js
 * has one limit per server; every other field is bounded by its own check, and nothing is
 * read before the caller is authenticated.
 */
export const maxRequestBytes = 64 * 1024 * 1024;

/** How long `close()` waits for running calls before cutting them off. */
const shutdownGraceMs = 10_000;

/**
 * Connection settings for an admin API: operators and scripts that connect, make a few
 * calls and leave. Idle connections are closed after a while and dead peers found by
 * keepalive pings, so abandoned connections do not pile up.
 */
const serverOptions: ServerOptions = {
  'grpc.max_receive_message_length': maxRequestBytes,
  'grpc.max_send_message_length': maxRequestBytes,
  'grpc.max_concurrent_streams': 100,
  'grpc.keepalive_time_ms': 120_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.max_connection_idle_ms': 300_000,
};

/**
 * Serves the admin API (every service of proto/portcullis/admin/v1) over gRPC, on the
 * same domain services as the HTTP API. Every call is authenticated from its
 * `authorization: Bearer <API key or admin token>` metadata; failures carry the error
 * catalogue's code in the `portcullis-error-code` trailer and the request id in
 * `x-request-id`.
 */
export async function startAdminGrpcServer(options: AdminGrpcServerOptions): Promise<AdminGrpcServer> {
  const log = options.log ?? { error: (details, text) => console.error(text, details) };
  if (!options.credentials && !isLoopback(options.host)) {
    process.emitWarning(`the gRPC admin API on ${options.host} has no TLS: API keys cross the network in clear`, {
      code: 'PORTCULLIS_GRPC_PLAINTEXT',
    });
  }
  const authentication = callAuthentication({
    accounts: options.services.accounts,
    limiter: rateLimiter(options.rateLimit ?? { perSecond: 50, burst: 200 }),
    log,
  });
  const server = new Server({ ...serverOptions, interceptors: [authentication.interceptor] });
  const unary = unaryHandler(authentication, log, options.storeHealth);
  const { services } = options;
  server.addService(strictDefinition(adminV1.AccountServiceService), accountService(services, unary));
  server.addService(strictDefinition(adminV1.SiteServiceService), siteService(services, unary));
  server.addService(strictDefinition(adminV1.ClientCertificateServiceService), clientCertificateService(services, unary));
  server.addService(strictDefinition(adminV1.CustomCaServiceService), customCaService(services, unary));
  server.addService(strictDefinition(adminV1.AuditLogServiceService), auditLogService(services, unary));
  server.addService(strictDefinition(adminV1.WafRuleServiceService), wafRuleService(services, unary));

  const address = `${isIP(options.host) === 6 ? `[${options.host}]` : options.host}:${options.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, options.credentials ?? ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { port, close: () => shutdown(server) };
}

/** Server TLS from a PEM certificate chain and its private key (no client certificates). */
export function tlsServerCredentials(tls: { readonly certificateChain: Buffer; readonly privateKey: Buffer }): ServerCredentials {
  return ServerCredentials.createSsl(null, [{ cert_chain: tls.certificateChain, private_key: tls.privateKey }], false);
}

function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const cutOff = setTimeout(() => server.forceShutdown(), shutdownGraceMs);
    server.tryShutdown(() => {
      clearTimeout(cutOff);
      resolve();
    });
  });
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
