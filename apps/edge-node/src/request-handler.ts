import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type tls from 'node:tls';
import type { ConfigSnapshot } from './config-snapshot.ts';
import { connectionStateOf } from './connection-state.ts';
import { decide } from './decision/decide.ts';
import type { EdgeLogger } from './edge-logger.ts';
import { loggerAccessLog, type AccessLog } from './access-log.ts';
import type { OriginProxy } from './origin-proxy.ts';
import { refusalResponse, type EdgeResponse } from './block-response.ts';

export interface RequestHandlerOptions {
  /** The snapshot to serve with now. */
  snapshot(): ConfigSnapshot | undefined;
  readonly proxy: OriginProxy;
  readonly log: EdgeLogger;
  readonly now?: () => Date;
  /** Where the line per request goes; default the logger (`loggerAccessLog`). */
  readonly accessLog?: AccessLog;
  /** Request ids; default a random UUID per request. */
  readonly requestId?: () => string;
}

/**
 * Handles one request on a connection the TLS front accepted: tells the connection's deadlines,
 * asks `decide` (decision/decide.ts) against one snapshot read at its start, and carries the
 * outcome out: the edge's refusal or the WAF's block answered whole, or the request proxied to
 * the origin; a refusal that `decide` marks `close` ends the connection after the answer.
 * One log line per request: host, path (never the query), status, rule, certificate serial and
 * verification, upstream time.
 */
export function createRequestHandler(options: RequestHandlerOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const { proxy } = options;
  const accessLog = options.accessLog ?? loggerAccessLog(options.log);
  const nextRequestId = options.requestId ?? randomUUID;
  const now = options.now ?? (() => new Date());

  return (req, res) => {
    const requestId = nextRequestId();
    const started = performance.now();
    const state = connectionStateOf(req.socket as tls.TLSSocket);
    if (state && !state.deadlines.requestStarted(req, res)) return;
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const line = {
      requestId,
      method: req.method,
      path: path.slice(0, 512),
      clientIp: req.socket.remoteAddress ?? '',
      userAgent: req.headers['user-agent'],
    };
    const outcome = decide(
      options.snapshot(),
      state?.facts,
      { requestId, method: req.method ?? 'GET', target: url, rawHeaders: req.rawHeaders },
      now(),
    );
    if (outcome.close) res.shouldKeepAlive = false;
    if (outcome.kind === 'refuse') {
      send(res, refusalResponse({ status: outcome.status }, requestId, outcome.detail));
      accessLog.record({ ...line, host: outcome.host, status: outcome.status, reason: outcome.detail, ms: elapsed(started) });
      return;
    }
    const { clientCert, decision } = outcome;
    const cert = clientCert.presented
      ? { serial: clientCert.serial, verify: clientCert.error === '' ? 'SUCCESS' : `FAILED:${clientCert.error}` }
      : undefined;
    const done = (status: number, upstreamMs: number | undefined, error?: string) =>
      accessLog.record({
        ...line,
        host: outcome.host,
        site: outcome.site.id,
        status,
        rule: decision.ruleId ?? undefined,
        ...(decision.logged.length > 0 ? { logged: decision.logged } : {}),
        cert: cert ?? 'NONE',
        upstreamMs: upstreamMs === undefined ? undefined : Math.round(upstreamMs * 10) / 10,
        ms: elapsed(started),
        ...(error ? { error } : {}),
      });
    if (outcome.kind === 'block') {
      send(res, refusalResponse(outcome.response, requestId));
      done(outcome.response.status, undefined);
      return;
    }
    void proxy
      .forward(req, res, outcome.origin, outcome.headers, requestId)
      .then((result) => done(result.status, result.upstreamMs, result.error));
  };
}

function send(res: http.ServerResponse, response: EdgeResponse): void {
  res.writeHead(response.status, response.headers);
  res.end(response.body);
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
