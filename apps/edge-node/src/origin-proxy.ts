import http from 'node:http';
import type { BodySource, BodyTarget, OriginTimeouts } from './origin/origin-contract.ts';
import { createOriginClient } from './origin/origin-client.ts';

export type { OriginTimeouts } from './origin/origin-contract.ts';

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
   * request id; after headers were sent a failure can only cut the response short. A client
   * that goes away (499) aborts the origin request. Resolves when the exchange is over; never
   * rejects.
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

/** node:http's header object as the flat list the origin client takes. */
function flatFields(headers: http.OutgoingHttpHeaders): string[] {
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const one of value) out.push(name, one);
    else out.push(name, String(value));
  }
  return out;
}

/**
 * A node:http request's body as a body source, or null when it has none (no Content-Length or
 * Transfer-Encoding). Pausing the request is the backpressure (the connection deadlines read
 * `readableFlowing === false` as the edge's pause, not the client's).
 */
function bodySourceOf(req: http.IncomingMessage): BodySource | null {
  const chunked = req.headers['transfer-encoding'] !== undefined;
  const length = req.headers['content-length'];
  if (!chunked && length === undefined) return null;
  let stopped = false;
  let target: BodyTarget | undefined;
  const onData = (chunk: Buffer) => {
    if (!target!.write(chunk)) req.pause();
  };
  const onEnd = () => target!.end();
  const onClose = () => {
    if (!req.complete) target!.fail('client closed the connection mid-body');
  };
  return {
    length: chunked ? null : Number(length),
    start(into) {
      if (stopped) return;
      target = into;
      req.on('data', onData).on('end', onEnd).on('close', onClose);
    },
    resume: () => req.resume(),
    stop() {
      stopped = true;
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      // node:http reads no further request on this connection until this body is consumed: drop the rest.
      req.resume();
    },
  };
}

/**
 * The origin proxy for node:http's request handler, on the edge's own origin client
 * (origin/origin-client.ts): pooled keep-alive connections per origin, `originCaPems` trusted
 * for https origins beside the system roots, an idempotent request retried once on a fresh
 * connection when a pooled one proves stale.
 */
export function createOriginProxy(options: { timeouts?: OriginTimeouts; originCaPems?: readonly string[] } = {}): OriginProxy {
  const client = createOriginClient(options);
  return {
    forward(req, res, origin, headers, requestId) {
      return new Promise<ProxyOutcome>((resolve) => {
        const started = performance.now();
        let upstreamMs: number | undefined;
        let error: string | undefined;
        let ended = false;
        let settled = false;
        const finish = (status: number, why: string | undefined) => {
          if (settled) return;
          settled = true;
          resolve({ status, upstreamMs, error: why });
        };
        const resume = () => exchange.resume();
        const exchange = client.request(
          origin,
          { method: req.method ?? 'GET', path: req.url ?? '/', headers: flatFields(headers) },
          bodySourceOf(req),
          {
            onHead(status, fields) {
              upstreamMs = performance.now() - started;
              const out: string[] = [];
              for (let i = 0; i < fields.length; i += 2) {
                if (fields[i]!.length !== 12 || fields[i]!.toLowerCase() !== 'x-request-id') out.push(fields[i]!, fields[i + 1]!);
              }
              out.push('x-request-id', requestId);
              res.writeHead(status, out);
            },
            onData(chunk) {
              if (res.write(chunk)) return true;
              res.once('drain', resume);
              return false;
            },
            onEnd() {
              ended = true;
              res.end();
            },
            onError(failure) {
              error = failure.reason;
              if (res.headersSent) return void res.destroy();
              if (res.destroyed) return finish(499, 'client closed the connection');
              const status = failure.status;
              const what = status === 504 ? 'did not answer in time' : 'could not be reached';
              const body = `${status} ${http.STATUS_CODES[status]}: the origin ${what}.\nRequest id: ${requestId}\n`;
              res.writeHead(status, {
                'content-type': 'text/plain; charset=utf-8',
                'content-length': Buffer.byteLength(body),
                'x-request-id': requestId,
                'cache-control': 'no-store',
              });
              res.end(body);
              finish(status, error);
            },
          },
        );
        res.on('close', () => {
          if (res.writableFinished) return finish(res.statusCode, error);
          // The client went away, or its connection was closed by a deadline: the origin request goes with it.
          exchange.abort();
          if (!res.headersSent) finish(499, 'client closed the connection');
          else finish(res.statusCode, error ?? (ended ? undefined : 'response cut short'));
        });
      });
    },
    close: () => client.close(),
  };
}
