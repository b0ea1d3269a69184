import path from 'node:path';
import { pino } from 'pino';
import { ConfigError, loadConfig } from './config.ts';
import { localKeyManager } from './crypto/key-manager.ts';
import { createServices } from './domain/services.ts';
import { startAdminGrpcServer, tlsServerCredentials } from './grpc/admin-server.ts';
import { startDiscovery } from './discovery/start-discovery.ts';
import { buildHttpApp } from './http/app.ts';
import { openStore } from './store/open-store.ts';
import { startStoreHealthMonitor } from './store/store-health-monitor.ts';
import { createControlPlaneMetrics } from './metrics/control-plane-metrics.ts';
import { timedStore } from './store/timed-store.ts';

/**
 * Starts the control plane: the store (Redis when PORTCULLIS_REDIS_URL is set, else the
 * embedded SQLite file under PORTCULLIS_DATA_DIR), the domain services, the HTTP API, the
 * gRPC admin API, then configuration discovery for edges (mutual TLS on its own port). A
 * store health monitor probes the store throughout: while it cannot confirm the store, the
 * APIs answer 503 `Store.Unavailable`, /readyz 503 and discovery stops serving. Stops
 * cleanly on SIGINT/SIGTERM: in-flight requests finish, discovery streams end (edges
 * reconnect elsewhere), then the store closes.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, redact: ['req.headers.authorization'] });
  const metrics = createControlPlaneMetrics();
  const opened = await openStore(
    config.redisUrl ? { redisUrl: config.redisUrl } : { sqlitePath: path.join(config.dataDir, 'portcullis.db') },
    {
      // Every failed reconnect attempt lands here; the health monitor warns once per outage.
      onConnectionError: (error) => log.debug({ err: error.message }, 'redis connection error; reconnecting'),
    },
  );
  // Every store call is timed: the health probe's, the APIs', discovery's.
  const store = timedStore(opened, metrics.storeTimer);
  // Probed before anything serves, so a replica that starts cut off from its store starts unready.
  const storeHealth = await startStoreHealthMonitor({ store, log });
  metrics.watch({ storeHealth });
  const keyManager = localKeyManager(config.masterKeys);
  const services = createServices({ store, keyManager, now: () => new Date(), metrics: metrics.domain }, { adminToken: config.adminToken });
  const http = await buildHttpApp({ services, loggerInstance: log, storeHealth, metrics });
  await http.listen({ host: config.httpHost, port: config.httpPort });
  const grpc = await startAdminGrpcServer({
    services,
    host: config.grpcHost,
    port: config.grpcPort,
    ...(config.grpcTls ? { credentials: tlsServerCredentials(config.grpcTls) } : {}),
    log,
    storeHealth,
  });
  const discovery = await startDiscovery({
    store,
    storeHealth,
    keyManager,
    services,
    host: config.discoveryHost,
    port: config.discoveryPort,
    names: config.discoveryNames,
    pollMs: config.discoveryPollMs,
    log,
  });
  metrics.watch({ edges: services.edges, cache: discovery.cache });
  http.log.info(
    {
      store: config.redisUrl ? 'redis' : 'embedded',
      dataDir: config.dataDir,
      grpcPort: grpc.port,
      grpcTls: config.grpcTls !== undefined,
      discoveryPort: discovery.port,
      discoveryCertificateNotAfter: discovery.certificateNotAfter.toISOString(),
    },
    config.redisUrl
      ? 'control plane ready'
      : `control plane ready; the admin token is in ${path.join(config.dataDir, 'admin-token')} unless PORTCULLIS_ADMIN_TOKEN is set`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    http.log.info({ signal }, 'stopping');
    await Promise.all([http.close(), grpc.close(), discovery.close()]);
    storeHealth.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});
