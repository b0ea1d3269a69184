import tls from 'node:tls';
import { defaultOriginTimeouts, type OriginClient, type OriginExchange, type OriginTimeouts } from './origin-contract.ts';
import { OriginError } from './origin-error.ts';
import { Exchange } from './origin-exchange.ts';
import { OriginPool, type PoolLimits } from './origin-pool.ts';
import { serialiseRequestHead } from './request-head.ts';

export interface OriginClientOptions {
  readonly timeouts?: OriginTimeouts;
  /** PEM CA certificates trusted for https origins beside the system roots. */
  readonly originCaPems?: readonly string[];
  /** Per origin; 256 connections, 64 of them idle, unless given. */
  readonly limits?: PoolLimits;
}

const defaultLimits: PoolLimits = { maxConnections: 256, maxIdle: 64 };

/** Whether a flat field list asks for `100 Continue` (RFC 9110 §10.1.1). */
function expectsContinue(fields: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i]!.length === 6 && fields[i]!.toLowerCase() === 'expect' && fields[i + 1]!.trim().toLowerCase() === '100-continue')
      return true;
  }
  return false;
}

/**
 * The edge's origin client (contract in origin-contract.ts). One pool per origin; one timer
 * sweeps every pool's deadlines (an eighth of the shortest timeout, 10–250 ms), so a timeout
 * fires within one sweep of its bound and no request arms a timer of its own.
 */
export function createOriginClient(options: OriginClientOptions = {}): OriginClient {
  const timeouts = options.timeouts ?? defaultOriginTimeouts;
  const limits = options.limits ?? defaultLimits;
  // One context for every https origin: building one parses every root certificate.
  const secureContext = options.originCaPems?.length
    ? tls.createSecureContext({ ca: [...tls.rootCertificates, ...options.originCaPems] })
    : undefined;
  const pools = new Map<string, OriginPool>();
  /** The edge hands the same URL object for a site's origin on every request: its pool is found without reading the URL. */
  const byUrl = new WeakMap<URL, OriginPool>();
  const every = Math.min(250, Math.max(10, Math.floor(Math.min(timeouts.connectMs, timeouts.idleMs, timeouts.poolIdleMs) / 8)));
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = performance.now();
    for (const pool of pools.values()) pool.sweep(now);
  };

  const poolFor = (origin: URL): OriginPool => {
    const known = byUrl.get(origin);
    if (known !== undefined && pools.get(known.key) === known) return known;
    const key = `${origin.protocol}//${origin.host}`;
    let pool = pools.get(key);
    if (pool === undefined) {
      const secure = origin.protocol === 'https:';
      pool = new OriginPool(
        {
          secure,
          host: origin.hostname.replace(/^\[|\]$/g, ''),
          port: Number(origin.port) || (secure ? 443 : 80),
          secureContext,
        },
        timeouts,
        limits,
        key,
      );
      pools.set(key, pool);
      sweeper ??= setInterval(sweep, every).unref();
    }
    byUrl.set(origin, pool);
    return pool;
  };

  return {
    request(origin, head, body, sink): OriginExchange {
      const pool = poolFor(origin);
      const text = serialiseRequestHead(origin, head, body === null ? undefined : body.length);
      if (typeof text !== 'string') {
        let aborted = false;
        queueMicrotask(() => {
          body?.stop();
          if (!aborted) sink.onError(new OriginError('invalid-request', text.invalid));
        });
        return { resume() {}, abort: () => void (aborted = true) };
      }
      const exchange = new Exchange(pool, head.method, text, body, sink, body !== null && expectsContinue(head.headers));
      pool.acquire(exchange, false);
      return exchange;
    },
    connections() {
      const out = new Map<string, { busy: number; idle: number; opened: number }>();
      for (const [key, pool] of pools) out.set(key, { busy: pool.all.size - pool.idle, idle: pool.idle, opened: pool.opened });
      return out;
    },
    close() {
      if (sweeper) clearInterval(sweeper);
      sweeper = undefined;
      for (const pool of pools.values()) pool.close();
      pools.clear();
    },
  };
}
