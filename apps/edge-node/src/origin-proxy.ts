import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { downstreamResponseHeaders } from './upstream-headers.ts';

/** Bounds on talking to an origin. */
export interface OriginTimeouts {
  /** Until the TCP (and TLS) connection is up. */
  readonly connectMs: number;
  /** Socket inactivity once connected: waiting for response headers or the next body bytes. */
  readonly idleMs: number;
  /** How long an unused pooled connection is kept; below common origin keep-alive timeouts (Node's is 5 s). */
  readonly poolIdleMs: number;
}

export const defaultOriginTimeouts: OriginTimeouts = { connectMs: 5_000, idleMs: 30_000, poolIdleMs: 4_000 };

/** How a proxied request ended: the status sent to the client, and the origin's time to response headers. */
export interface ProxyOutcome {
  readonly status: number;
  /** Milliseconds from sending to the origin's response headers; undefined when none came. */
  readonly upstreamMs: number | undefined;
  /** Why the origin failed, for the log. */
  readonly error: string | undefined;
}

export interface OriginProxy {
  /**
   * Forwards `req` (its body streamed) to `origin` with `headers`, and the origin's response to
   * `res`. Answers 502 when the origin cannot be reached or fails before its response headers,
   * 504 when it does not connect or answer in time, each with a short text body naming the
   * request id; after headers were sent a failure can only cut the response short. Resolves
   * when the exchange is over; never rejects.
   */
  forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    origin: URL,
    headers: http.OutgoingHttpHeaders,
    requestId: string,
  ): Promise<ProxyOutcome>;
  /** Closes pooled origin connections. */
  close(): void;
}

/**
 * A proxy with one keep-alive pool per origin (scheme, host, port). `originCaPems` are trusted
 * for https origins beside the system roots. A GET or HEAD without a body that fails on a
 * reused pooled connection before any response (the origin closed it as we sent) is retried
 * once on a fresh connection: that race is the pool's, not the origin's.
 */
export function createOriginProxy(options: { timeouts?: OriginTimeouts; originCaPems?: readonly string[] } = {}): OriginProxy {
  const timeouts = options.timeouts ?? defaultOriginTimeouts;
  const ca = options.originCaPems?.length ? [...tls.rootCertificates, ...options.originCaPems] : undefined;
  const agents = new Map<string, http.Agent>();
  const agentFor = (origin: URL) => {
    const key = `${origin.protocol}//${origin.host}`;
    let agent = agents.get(key);
    if (!agent) {
      const common = { keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: timeouts.poolIdleMs, scheduling: 'lifo' as const };
      agent = origin.protocol === 'https:' ? new https.Agent({ ...common, ...(ca ? { ca } : {}) }) : new http.Agent(common);
      agents.set(key, agent);
    }
    return agent;
  };

  const attempt = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    origin: URL,
    headers: http.OutgoingHttpHeaders,
    requestId: string,
    bodyless: boolean,
    retry: boolean,
  ) =>
    new Promise<ProxyOutcome & { retry?: boolean }>((resolve) => {
      const started = performance.now();
      let upstreamMs: number | undefined;
      let settled = false;
      const finish = (outcome: ProxyOutcome & { retry?: boolean }) => {
        if (!settled) {
          settled = true;
          resolve(outcome);
        }
      };
      const client = origin.protocol === 'https:' ? https : http;
      const path = `${origin.pathname === '/' ? '' : origin.pathname.replace(/\/$/, '')}${req.url}`;
      const hostname = origin.hostname.replace(/^\[|\]$/g, '');
      const upstream = client.request({
        protocol: origin.protocol,
        hostname,
        // Node would take the SNI (and the name it verifies) from the Host header, which is the
        // client's hostname: the origin is verified by its own name (no SNI for an address).
        ...(origin.protocol === 'https:' ? { servername: isIP(hostname) === 0 ? hostname : '' } : {}),
        port: origin.port || undefined,
        method: req.method,
        path,
        headers,
        agent: agentFor(origin),
        timeout: timeouts.idleMs,
      });
      let connectTimer: NodeJS.Timeout | undefined = setTimeout(() => upstream.destroy(new Error('connect timeout')), timeouts.connectMs);
      upstream.on('socket', (socket) => {
        const connected = () => {
          clearTimeout(connectTimer);
          connectTimer = undefined;
        };
        if (!socket.connecting) connected();
        else socket.once(origin.protocol === 'https:' ? 'secureConnect' : 'connect', connected);
      });
      upstream.on('timeout', () => upstream.destroy(new Error('timeout')));
      upstream.on('response', (response) => {
        upstreamMs = performance.now() - started;
        const status = response.statusCode ?? 502;
        res.writeHead(status, { ...downstreamResponseHeaders(response.headers), 'x-request-id': requestId });
        response.pipe(res);
        response.on('error', () => res.destroy());
        res.on('close', () => {
          if (!response.complete) response.destroy();
          finish({ status, upstreamMs, error: response.complete ? undefined : 'response cut short' });
        });
      });
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(connectTimer);
        if (res.destroyed && !res.headersSent) {
          finish({ status: 499, upstreamMs, error: 'client closed the connection' });
          return;
        }
        if (res.headersSent) {
          res.destroy();
          finish({ status: res.statusCode, upstreamMs, error: error.message });
          return;
        }
        if (retry && upstream.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) {
          finish({ status: 0, upstreamMs: undefined, error: error.message, retry: true });
          return;
        }
        const timedOut = error.message === 'timeout' || error.message === 'connect timeout';
        const status = timedOut ? 504 : 502;
        const what = timedOut ? 'did not answer in time' : 'could not be reached';
        const body = `${status} ${http.STATUS_CODES[status]}: the origin ${what}.\nRequest id: ${requestId}\n`;
        res.writeHead(status, {
          'content-type': 'text/plain; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          'x-request-id': requestId,
          'cache-control': 'no-store',
        });
        res.end(body);
        finish({ status, upstreamMs: undefined, error: error.code ?? error.message });
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      if (bodyless) upstream.end();
      else req.pipe(upstream);
    });

  return {
    async forward(req, res, origin, headers, requestId) {
      const bodyless =
        (req.method === 'GET' || req.method === 'HEAD') && !req.headers['content-length'] && !req.headers['transfer-encoding'];
      const first = await attempt(req, res, origin, headers, requestId, bodyless, bodyless);
      if (!first.retry) return first;
      return attempt(req, res, origin, headers, requestId, bodyless, false);
    },
    close() {
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}
