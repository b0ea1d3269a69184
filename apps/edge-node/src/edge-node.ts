import { mkdir } from 'node:fs/promises';
import type net from 'node:net';
import path from 'node:path';
import { resourceTypeOrder } from '@portcullis/config';
import { loggerAccessLog, type AccessLog, type AccessLogMode } from './http/access-log.ts';
import { edgeStatus, nodeReadiness, portOf, startAdminServer, type AdminSources, type EdgeStatus } from './admin/admin-server.ts';
import { createConfigStore, type ConfigStore } from './config/config-store.ts';
import { controlPlaneLink } from './stream/control-plane-link.ts';
import { startDeltaStream, type DeltaStream } from './stream/delta-stream.ts';
import type { DeltaTransport } from './stream/delta-transport.ts';
import type { EdgeLogger } from './edge-logger.ts';
import { aggregateMetrics, createNodeMetrics } from './metrics/node-metrics.ts';
import { lastKnownGoodFile, lastKnownGoodWriter, restoreLastKnownGood } from './config/last-known-good.ts';
import type { OriginTimeouts } from './origin/origin-contract.ts';
import type { BackoffPolicy } from './stream/reconnect-backoff.ts';
import { createRequestIds } from './http/request-ids.ts';
import type { ServingLimits } from './http/serving-limits.ts';
import { startServingSide, type ServingSide } from './workers/serving-side.ts';
import { startWorkerPool, type WorkerEntry, type WorkerPool, type WorkerStatus } from './workers/worker-pool.ts';

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
  /** Client connection deadlines and cap (serving-limits.ts); unset ones keep their defaults. */
  readonly servingLimits?: Partial<ServingLimits>;
  /**
   * Serving processes. 1 (the default): this process serves too (the TLS front and request
   * handler run here). More: that many worker processes (workers/worker-pool.ts) serve on the
   * shared port and this process holds the control side only.
   */
  readonly workers?: number;
  /** Where the line per request goes in this process (one worker); default the logger. */
  readonly accessLog?: AccessLog;
  /** The workers' logging: pino level and access log mode (workers > 1). Default `info`, `full`. */
  readonly workerLogging?: {
    readonly logLevel: string;
    readonly accessLog: { readonly mode: AccessLogMode; readonly sampleEvery: number };
  };
  /** The grace a worker signalled itself (SIGTERM to the process group) drains with; default 10 s. */
  readonly drainMs?: number;
  /** How long workers have to swap a configuration in before they are restarted (default 3 s). */
  readonly swapTimeoutMs?: number;
  /** What a worker process runs (default: this program with `edge-worker`; tests name worker-main.ts). */
  readonly workerEntry?: WorkerEntry;
}

export interface EdgeNode {
  readonly httpsPort: number;
  readonly adminPort: number;
  readonly store: ConfigStore;
  status(): EdgeStatus;
  /** The serving processes (this one, or each worker). */
  workers(): WorkerStatus[];
  /** Resolves when last-known-good writes scheduled so far are on disk. */
  flushLastKnownGood(): Promise<void>;
  /**
   * SIGTERM: stops the streams and accepting, lets requests in progress finish for up to
   * `graceMs` (workers: each drains, then exits), then closes the rest like `close`.
   */
  drain(graceMs: number): Promise<void>;
  /** Stops streams, listeners and connections; waits for the last last-known-good write. */
  close(): Promise<void>;
}

/**
 * Starts an edge: loads last-known-good from the state directory and serves it at once (an
 * edge restarted while the control plane is down still serves), then listens (HTTPS front and
 * admin) and opens one delta stream per resource type. Every swap is persisted as the new
 * last-known-good. Configuration and serving meet only in the store's `current` snapshot.
 *
 * Two sides: the control side (store, streams, last-known-good, admin) runs here, always; the
 * serving side (workers/serving-side.ts `startServingSide`) runs here too with one worker, or
 * in each worker process, fed with the resources over IPC. With workers, a response is
 * answered only once every worker serves it (`WorkerPool.settled`) and /readyz is ready only
 * while every worker serves the current configuration.
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

  const common = {
    ...(options.originTimeouts ? { originTimeouts: options.originTimeouts } : {}),
    ...(options.originCaPems ? { originCaPems: options.originCaPems } : {}),
    ...(options.servingLimits ? { servingLimits: options.servingLimits } : {}),
  };
  const workerCount = options.workers ?? 1;
  let pool: WorkerPool | undefined;
  let local: ServingSide | undefined;
  if (workerCount > 1) {
    pool = await startWorkerPool({
      count: workerCount,
      port: options.httpsPort,
      settings: {
        host: options.httpsHost,
        drainMs: options.drainMs ?? 10_000,
        ...(options.workerLogging ?? { logLevel: 'info', accessLog: { mode: 'full', sampleEvery: 1 } }),
        ...common,
      },
      log,
      current: () => (store.current ? { generation: store.current.generation, held: store.held() } : undefined),
      ...(options.swapTimeoutMs !== undefined ? { swapTimeoutMs: options.swapTimeoutMs } : {}),
      ...(options.workerEntry ? { entry: options.workerEntry } : {}),
    });
    const workers = pool;
    store.onSwap((snapshot) => workers.publish(snapshot.generation, store.held()));
  } else {
    local = await startServingSide({
      host: options.httpsHost,
      port: options.httpsPort,
      reusePort: false,
      snapshot: () => store.current,
      log,
      accessLog: options.accessLog ?? loggerAccessLog(log),
      requestId: createRequestIds(),
      ...common,
    });
  }
  const httpsPort = pool ? pool.port : local!.port;
  const workers = (): WorkerStatus[] => {
    if (pool) return pool.statuses();
    const stats = local!.stats();
    const generation = store.current?.generation;
    return [{ index: 0, pid: process.pid, listening: true, generation, restarts: 0, ...stats, accessLog: undefined }];
  };

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
          ...(pool
            ? { confirm: () => (store.current ? pool!.settled(store.current.generation) : Promise.resolve({ ok: true as const })) }
            : {}),
          ...(options.backoff ? { backoff: options.backoff } : {}),
        }),
      )
    : [];
  const base: AdminSources = {
    nodeId: options.nodeId,
    store,
    streams: () => streams.map((s) => s.status()),
    loadedFrom: () => loadedFrom,
    workers,
    ...(pool ? { workersServe: () => pool!.serving(store.current?.generation) } : {}),
  };
  const nodeMetrics = createNodeMetrics({
    streams: base.streams,
    generation: () => store.current?.generation,
    ready: () => nodeReadiness(base).ready,
    workerRestarts: () => workers().map((w) => w.restarts),
  });
  const sources: AdminSources = {
    ...base,
    metrics: async () => aggregateMetrics(nodeMetrics, pool ? await pool.metrics() : [await local!.metrics()]),
  };
  const admin = await startAdminServer(sources, options.adminHost, options.adminPort);
  log.info(
    {
      nodeId: options.nodeId,
      https: `${options.httpsHost}:${httpsPort}`,
      admin: `${options.adminHost}:${portOf(admin)}`,
      workers: workerCount,
    },
    'edge node listening',
  );

  const stop = async (graceMs: number) => {
    link.stop();
    for (const stream of streams) stream.stop();
    options.transport?.close();
    const adminClosed = closeServer(admin);
    admin.closeAllConnections();
    await (pool ? pool.drain(graceMs) : graceMs > 0 ? local!.drain(graceMs) : local!.close());
    await adminClosed;
    await writer.flush();
  };
  return {
    httpsPort,
    adminPort: portOf(admin),
    store,
    status: () => edgeStatus(sources),
    workers,
    flushLastKnownGood: () => writer.flush(),
    drain: (graceMs) => stop(graceMs),
    close: () => stop(0),
  };
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
