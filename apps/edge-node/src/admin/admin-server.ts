import http from 'node:http';
import type net from 'node:net';
import { resourceTypeOrder, type ResourceType } from '@portcullis/config';
import type { ConfigStore, Readiness } from '../config/config-store.ts';
import type { DeltaStreamStatus } from '../stream/delta-stream.ts';
import { metricsContentType } from '../metrics/node-metrics.ts';
import type { WorkerStatus } from '../workers/worker-pool.ts';

/**
 * The node's readiness: the store's (config-store.ts `Readiness`), and with worker processes
 * also `workers-behind` while a worker is missing (being restarted) or does not serve the
 * current configuration yet.
 */
export interface NodeReadiness {
  readonly ready: boolean;
  readonly status: Readiness['status'] | 'workers-behind';
  readonly reason: string;
}

/** What /status reports. */
export interface EdgeStatus {
  readonly nodeId: string;
  /** A complete, intact configuration is served (from the control plane or last-known-good): /readyz. */
  readonly ready: boolean;
  /** The readiness code (`NodeReadiness`): `ready`, `waiting-for-control-plane`, `workers-behind`, … */
  readonly readiness: NodeReadiness['status'];
  /** Why not, when not ready. */
  readonly notReadyReason: string | undefined;
  readonly generation: number | undefined;
  /** Where the configuration came from at start: `last-known-good` or `control-plane`. */
  readonly loadedFrom: 'last-known-good' | 'control-plane' | undefined;
  /** Every stream has heard from the control plane within the stale bound (4 s). */
  readonly connected: boolean;
  /** The oldest stream's configuration age: milliseconds since a current replica last vouched for it. */
  readonly configAgeMs: number | undefined;
  /** The largest revision lag of any stream. */
  readonly revisionLag: number | undefined;
  readonly resources: { readonly [T in ResourceType]: { readonly count: number; readonly versions: Record<string, string> } };
  readonly streams: readonly DeltaStreamStatus[];
  /** The serving processes: this one (one worker) or each worker process, with its counters. */
  readonly workers: readonly WorkerStatus[];
}

/** What the admin server reads. */
export interface AdminSources {
  readonly nodeId: string;
  readonly store: ConfigStore;
  streams(): readonly DeltaStreamStatus[];
  loadedFrom(): EdgeStatus['loadedFrom'];
  workers(): readonly WorkerStatus[];
  /** With worker processes: every worker is up and serves the current configuration. */
  workersServe?(): boolean;
  /** The node's metrics in the Prometheus text format (metrics/node-metrics.ts `aggregateMetrics`). */
  metrics?(): Promise<string>;
}

/** The store's readiness, held back while workers do not all serve the current configuration. */
export function nodeReadiness(sources: AdminSources): NodeReadiness {
  const { ready, status, reason } = sources.store.readiness;
  if (!ready || !sources.workersServe || sources.workersServe()) return { ready, status, reason };
  const behind = sources
    .workers()
    .filter((w) => !w.listening || w.generation !== sources.store.current?.generation)
    .map((w) => w.index);
  return {
    ready: false,
    status: 'workers-behind',
    reason: `worker(s) ${behind.join(', ')} do not serve generation ${sources.store.current?.generation} yet`,
  };
}

/** The status document from its sources. */
export function edgeStatus(sources: AdminSources): EdgeStatus {
  const { store } = sources;
  const streams = sources.streams();
  const resources = Object.fromEntries(
    resourceTypeOrder.map((type) => {
      const versions = store.versions(type);
      return [type, { count: Object.keys(versions).length, versions }];
    }),
  ) as unknown as EdgeStatus['resources'];
  const readiness = nodeReadiness(sources);
  return {
    nodeId: sources.nodeId,
    ready: readiness.ready,
    readiness: readiness.status,
    notReadyReason: readiness.ready ? undefined : readiness.reason,
    generation: store.current?.generation,
    loadedFrom: sources.loadedFrom(),
    connected: streams.length > 0 && streams.every((s) => s.connected),
    configAgeMs: largest(streams.map((s) => s.configAgeMs)),
    revisionLag: largest(streams.map((s) => s.revisionLag)),
    resources,
    streams,
    workers: sources.workers(),
  };
}

function largest(values: readonly (number | undefined)[]): number | undefined {
  const known = values.filter((v) => v !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}

/**
 * The admin listener (bind it to loopback or a private network), for orchestrators, load
 * balancers and operators:
 * - `GET /healthz`: liveness. 200 `ok` whenever the process answers at all.
 * - `GET /readyz`: readiness (the config store's, and every worker's: `nodeReadiness`). 200 `{"ready":true}` while a complete,
 *   intact configuration is served; 503 `{"ready":false,"status":…,"reason":…}` before one
 *   is, or while it is not (`status` is a stable code, see `Readiness`). An edge that
 *   lost its control plane but serves its last configuration stays ready (static stability);
 *   /status shows how old that configuration is.
 * - `GET /status`: the status document (JSON): node id, versions held per type, per stream
 *   the revision applied, the last heartbeat's revision, configuration age and lag, last ACK
 *   and NACK, and whether it is connected; per serving process (worker) its pid, the
 *   generation it serves, open connections, requests served and access-log counters.
 * - `GET /metrics`: Prometheus text format, every worker's serving metrics merged with the
 *   node's stream and configuration metrics (docs/metrics.md). No authentication: like the
 *   rest of this listener it must be bound to loopback or a private network.
 * Nothing secret is in any of them.
 */
export async function startAdminServer(sources: AdminSources, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') return reply(res, 200, 'text/plain', 'ok\n');
    if (path === '/readyz') {
      const { ready, status, reason } = nodeReadiness(sources);
      return reply(res, ready ? 200 : 503, 'application/json', `${JSON.stringify(ready ? { ready } : { ready, status, reason })}\n`);
    }
    if (path === '/status') return reply(res, 200, 'application/json', `${JSON.stringify(edgeStatus(sources), null, 2)}\n`);
    if (path === '/metrics' && sources.metrics) {
      sources.metrics().then(
        (text) => {
          res.writeHead(200, {
            'content-type': metricsContentType,
            'content-length': Buffer.byteLength(text),
            'cache-control': 'no-store',
          });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
        () => reply(res, 500, 'text/plain', 'metrics unavailable\n'),
      );
      return;
    }
    return reply(res, 404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

function reply(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** The port a listening server got. */
export function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}
