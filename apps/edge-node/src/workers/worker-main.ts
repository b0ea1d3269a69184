import { createBufferedAccessLog } from '../http/access-log.ts';
import { createConfigStore } from '../config/config-store.ts';
import { createEdgeLogger } from '../edge-logger.ts';
import { createRequestIds } from '../http/request-ids.ts';
import { startServingSide, type ServingSide } from './serving-side.ts';
import { typesIn, type PrimaryMessage, type WorkerConfig, type WorkerMessage, type WorkerStart } from './worker-protocol.ts';

/** How often a worker sends its counters to the primary (for /status). */
const statsEveryMs = 250;

/**
 * A worker process (forked by worker-pool.ts): compiles the configurations the primary sends
 * into a store of its own and serves them on the shared TLS port (SO_REUSEPORT). Order: the
 * start message's configuration is applied and confirmed before the worker listens, so a
 * (re)started worker never accepts a connection with an older configuration than the node's.
 * On `drain` (or SIGTERM) it stops accepting, lets requests in progress finish within the
 * grace time, flushes the access log and exits 0. It exits when the primary goes away.
 */
const store = createConfigStore();
let serving: ServingSide | undefined;
let stopping = false;
let queue = Promise.resolve();

const send = (message: WorkerMessage) => {
  if (process.connected) process.send!(message);
};

const apply = (config: WorkerConfig) => {
  const rejected: string[] = [];
  for (const type of typesIn(config)) {
    const incoming = config.resources[type] ?? [];
    const keep = new Set(incoming.map((resource) => resource.name));
    const removed = Object.keys(store.versions(type)).filter((name) => !keep.has(name));
    for (const error of store.apply(type, incoming, removed).rejected) rejected.push(error.resourceName);
  }
  send({ kind: 'swapped', generation: config.generation, rejected });
};

const start = async (message: WorkerStart) => {
  drainMs = message.drainMs;
  const log = createEdgeLogger(message.logLevel).child({ worker: message.index });
  const accessLog = createBufferedAccessLog(message.accessLog);
  if (message.config) apply(message.config);
  serving = await startServingSide({
    host: message.host,
    port: message.port,
    reusePort: message.reusePort,
    snapshot: () => store.current,
    log,
    accessLog,
    requestId: createRequestIds(),
    ...(message.originTimeouts ? { originTimeouts: message.originTimeouts } : {}),
    ...(message.originCaPems ? { originCaPems: message.originCaPems } : {}),
    ...(message.servingLimits ? { servingLimits: message.servingLimits } : {}),
  });
  send({ kind: 'listening', port: serving.port });
  const report = () => serving && send({ kind: 'stats', serving: serving.stats(), accessLog: accessLog.stats() });
  setInterval(report, statsEveryMs).unref();
  report();
  return accessLog;
};

let flushAccessLog: (() => Promise<void>) | undefined;
let drainMs = 10_000;

const drain = async (graceMs: number) => {
  if (stopping) return;
  stopping = true;
  await serving?.drain(graceMs);
  await flushAccessLog?.();
  process.exit(0);
};

process.on('message', (message: PrimaryMessage) => {
  // Answered at once, not queued behind configurations: a scrape must not wait for a swap.
  if (message.kind === 'metrics') {
    void serving?.metrics().then((metrics) => send({ kind: 'metrics', id: message.id, metrics }));
    return;
  }
  queue = queue
    .then(async () => {
      if (message.kind === 'start') {
        const accessLog = await start(message);
        flushAccessLog = () => accessLog.flush();
      } else if (message.kind === 'config') apply(message);
      else await drain(message.graceMs);
    })
    .catch((error: unknown) => {
      // A worker that cannot serve (its port taken, say) exits; the primary restarts it with backoff.
      console.error(`edge worker: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
});
process.on('SIGTERM', () => void drain(drainMs));
process.on('SIGINT', () => undefined);
process.on('disconnect', () => void drain(0));
