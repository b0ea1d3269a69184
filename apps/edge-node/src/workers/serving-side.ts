import type net from 'node:net';
import type tls from 'node:tls';
import type { AccessLog } from '../http/access-log.ts';
import type { ConfigSnapshot } from '../config/config-snapshot.ts';
import type { EdgeLogger } from '../edge-logger.ts';
import { serveHttpConnection, type HttpConnection } from '../http/http-connection.ts';
import { createServingMetrics, type MetricsJson } from '../metrics/serving-metrics.ts';
import { createOriginClient } from '../origin/origin-client.ts';
import type { OriginTimeouts } from '../origin/origin-contract.ts';
import type { ServingLimits } from '../http/serving-limits.ts';
import { createTlsFront } from '../tls/tls-front.ts';

/**
 * What the serving side needs: where to listen, the snapshot to serve with, where its logs go.
 * This and `ServingSide` are the whole interface between the control side (config stream,
 * store, last-known-good, admin: the primary process) and the request path (a worker, or the
 * one process when there are no workers): a new request path plugs in by implementing
 * `startServingSide` again.
 */
export interface ServingOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** SO_REUSEPORT: several worker processes listen on one port, the kernel spreads connections. */
  readonly reusePort: boolean;
  /** The snapshot to serve with now (read per handshake and per request). */
  snapshot(): ConfigSnapshot | undefined;
  readonly log: EdgeLogger;
  readonly accessLog: AccessLog;
  /** Request ids (request-ids.ts). */
  readonly requestId: () => string;
  readonly originTimeouts?: OriginTimeouts;
  /** Extra CAs trusted for https origins. */
  readonly originCaPems?: readonly string[];
  /** Client connection deadlines and cap; unset ones keep their defaults. */
  readonly servingLimits?: Partial<ServingLimits>;
}

/** Counters for /status. */
export interface ServingStats {
  readonly openConnections: number;
  readonly requestsServed: number;
  readonly requestsInFlight: number;
}

export interface ServingSide {
  /** The port listened on. */
  readonly port: number;
  stats(): ServingStats;
  /** This process's serving metrics (handshakes, decisions, responses, latencies) as JSON, for aggregation. */
  metrics(): Promise<MetricsJson>;
  /**
   * Stops accepting, closes idle connections, lets requests in progress finish (their
   * connections close after the response) for up to `graceMs`, then closes whatever is left.
   * Resolves when no connection is open.
   */
  drain(graceMs: number): Promise<void>;
  /** Closes the listener and every connection at once. */
  close(): Promise<void>;
}

/**
 * Listens on the TLS port and serves: the TLS front (tls-front.ts) hands each TLS socket to the
 * lean HTTP/1.1 path (http/http-connection.ts), which proxies through the origin client.
 */
export async function startServingSide(options: ServingOptions): Promise<ServingSide> {
  const { log } = options;
  const origin = createOriginClient({
    ...(options.originTimeouts ? { timeouts: options.originTimeouts } : {}),
    ...(options.originCaPems ? { originCaPems: options.originCaPems } : {}),
  });
  const metrics = createServingMetrics();
  let requestsServed = 0;
  let requestsInFlight = 0;
  let draining = false;
  const sockets = new Map<tls.TLSSocket, HttpConnection>();
  const requests = {
    started: () => (requestsInFlight += 1),
    ended: () => {
      requestsInFlight -= 1;
      requestsServed += 1;
    },
  };
  const front = createTlsFront({
    snapshot: options.snapshot,
    onTlsSocket: (socket) => {
      const connection = serveHttpConnection(socket, {
        snapshot: options.snapshot,
        origin,
        accessLog: options.accessLog,
        requestId: options.requestId,
        draining: () => draining,
        requests,
        metrics,
      });
      sockets.set(socket, connection);
      socket.once('close', () => sockets.delete(socket));
    },
    log,
    metrics,
    ...(options.servingLimits ? { limits: options.servingLimits } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen({ port: options.port, host: options.host, reusePort: options.reusePort }, () => {
      front.off('error', reject);
      resolve();
    });
  });
  const port = (front.address() as net.AddressInfo).port;
  const closeListener = new Promise<void>((resolve) => front.once('close', () => resolve()));
  const stopListening = () => {
    if (front.listening) front.close();
    return closeListener;
  };
  const closeIdle = () => {
    for (const connection of sockets.values()) connection.closeIfIdle();
  };
  const closeAll = () => {
    for (const socket of sockets.keys()) socket.destroy();
  };

  return {
    port,
    stats: () => ({ openConnections: sockets.size, requestsServed, requestsInFlight }),
    metrics: () => metrics.registry.getMetricsAsJSON(),
    async drain(graceMs) {
      draining = true;
      const closed = stopListening();
      closeIdle();
      const deadline = Date.now() + graceMs;
      // Bounded by graceMs: connections that went idle after their last response close here.
      while (sockets.size > 0 && Date.now() < deadline) {
        closeIdle();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      closeAll();
      origin.close();
      await closed;
    },
    async close() {
      const closed = stopListening();
      closeAll();
      origin.close();
      await closed;
    },
  };
}
