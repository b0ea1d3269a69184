import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { resourceTypeOrder } from '@portcullis/config';
import { edgeStatus, portOf, startAdminServer, type EdgeStatus } from './admin-server.ts';
import { createConfigStore, type ConfigStore } from './config-store.ts';
import { controlPlaneLink } from './control-plane-link.ts';
import { startDeltaStream, type DeltaStream } from './delta-stream.ts';
import type { DeltaTransport } from './delta-transport.ts';
import type { EdgeLogger } from './edge-logger.ts';
import { lastKnownGoodFile, lastKnownGoodWriter, restoreLastKnownGood } from './last-known-good.ts';
import { createOriginProxy, type OriginTimeouts } from './origin-proxy.ts';
import type { BackoffPolicy } from './reconnect-backoff.ts';
import { createRequestHandler } from './request-handler.ts';
import type { ServingLimits } from './serving-limits.ts';
import { createTlsFront } from './tls-front.ts';

export interface EdgeNodeOptions {
  readonly nodeId: string;
  readonly httpsHost: string;
  /** 0 picks a free port (tests). */
  readonly httpsPort: number;
  readonly adminHost: string;
  readonly adminPort: number;
  /** Holds last-known-good (and, in production, the node identity). */
  readonly stateDir: string;
  /** Where configuration comes from; undefined runs on last-known-good alone. */
  readonly transport: DeltaTransport | undefined;
  readonly log: EdgeLogger;
  readonly backoff?: BackoffPolicy;
  readonly originTimeouts?: OriginTimeouts;
  /** Extra CAs trusted for https origins. */
  readonly originCaPems?: readonly string[];
  /** How long an idle kept-alive client connection stays open. */
  readonly keepAliveTimeoutMs?: number;
  /** Client connection deadlines and cap (serving-limits.ts); unset ones keep their defaults. */
  readonly servingLimits?: Partial<ServingLimits>;
}

export interface EdgeNode {
  readonly httpsPort: number;
  readonly adminPort: number;
  readonly store: ConfigStore;
  status(): EdgeStatus;
  /** Resolves when last-known-good writes scheduled so far are on disk. */
  flushLastKnownGood(): Promise<void>;
  /** Stops streams, listeners and connections; waits for the last last-known-good write. */
  close(): Promise<void>;
}

/**
 * Starts an edge: loads last-known-good from the state directory and serves it at once (an
 * edge restarted while the control plane is down still serves), then listens (HTTPS front and
 * admin) and opens one delta stream per resource type. Every swap is persisted as the new
 * last-known-good. Configuration and serving meet only in the store's `current` snapshot.
 */
export async function startEdgeNode(options: EdgeNodeOptions): Promise<EdgeNode> {
  const { log } = options;
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const store = createConfigStore();
  const file = path.join(options.stateDir, lastKnownGoodFile);
  const saved = await restoreLastKnownGood(store, file);
  let loadedFrom: EdgeStatus['loadedFrom'];
  if (saved.status === 'restored') {
    loadedFrom = 'last-known-good';
    log.info({ savedAt: saved.savedAt }, 'serving last-known-good configuration');
  } else if (saved.status === 'refused') {
    log.warn({ reason: saved.reason }, 'last-known-good configuration refused whole; serving nothing until the control plane sends one');
  }
  const writer = lastKnownGoodWriter(
    file,
    () => store.held(),
    (error) => log.error({ error: error instanceof Error ? error.message : String(error) }, 'could not save last-known-good configuration'),
  );
  store.onSwap(() => {
    loadedFrom ??= 'control-plane';
    writer.schedule();
  });

  const proxy = createOriginProxy({
    ...(options.originTimeouts ? { timeouts: options.originTimeouts } : {}),
    ...(options.originCaPems ? { originCaPems: options.originCaPems } : {}),
  });
  const httpServer = http.createServer(
    // The idle deadline (connection-deadlines.ts) is what closes idle connections; Node's
    // keep-alive timeout matches it so the `Keep-Alive: timeout=` clients see says the same.
    {
      keepAliveTimeout: options.keepAliveTimeoutMs ?? options.servingLimits?.idleMs ?? 30_000,
      headersTimeout: 20_000,
      requestTimeout: 120_000,
      maxHeaderSize: 32 * 1024,
    },
    createRequestHandler({ snapshot: () => store.current, proxy, log }),
  );
  const front = createTlsFront({
    snapshot: () => store.current,
    onTlsSocket: (socket) => httpServer.emit('connection', socket),
    log,
    ...(options.servingLimits ? { limits: options.servingLimits } : {}),
  });
  await listen(front, options.httpsPort, options.httpsHost);

  const link = controlPlaneLink(log, () => streams.map((s) => s.status()));
  const streams: DeltaStream[] = options.transport
    ? resourceTypeOrder.map((type) =>
        startDeltaStream({
          type,
          nodeId: options.nodeId,
          transport: options.transport!,
          store,
          log,
          onChange: () => link.update(),
          ...(options.backoff ? { backoff: options.backoff } : {}),
        }),
      )
    : [];
  const sources = {
    nodeId: options.nodeId,
    store,
    streams: () => streams.map((s) => s.status()),
    loadedFrom: () => loadedFrom,
  };
  const admin = await startAdminServer(sources, options.adminHost, options.adminPort);
  log.info(
    { nodeId: options.nodeId, https: `${options.httpsHost}:${portOf(front)}`, admin: `${options.adminHost}:${portOf(admin)}` },
    'edge node listening',
  );

  return {
    httpsPort: portOf(front),
    adminPort: portOf(admin),
    store,
    status: () => edgeStatus(sources),
    flushLastKnownGood: () => writer.flush(),
    async close() {
      link.stop();
      for (const stream of streams) stream.stop();
      options.transport?.close();
      const closed = Promise.all([closeServer(front), closeServer(admin)]);
      httpServer.closeAllConnections();
      admin.closeAllConnections();
      proxy.close();
      await closed;
      await writer.flush();
    },
  };
}

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
