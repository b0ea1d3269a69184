import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import type tls from 'node:tls';
import type { Decision, RequestFacts } from '@portcullis/waf';
import { requestCertificateFacts } from './certificate-facts.ts';
import type { ConfigSnapshot } from './config-snapshot.ts';
import { certificateFor, connectionStateOf } from './connection-state.ts';
import type { EdgeLogger } from './edge-logger.ts';
import { normaliseHost } from '@portcullis/config';
import type { OriginProxy } from './origin-proxy.ts';
import { sendRefusal } from './block-response.ts';
import { upstreamRequestHeaders } from './upstream-headers.ts';

export interface RequestHandlerOptions {
  /** The snapshot to serve with now. */
  snapshot(): ConfigSnapshot | undefined;
  readonly proxy: OriginProxy;
  readonly log: EdgeLogger;
  readonly now?: () => Date;
}

const pass: Decision = Object.freeze({ action: 'pass', ruleId: null, logged: Object.freeze([]) });

/**
 * Header fields a request may carry (Apache's LimitRequestFields default). Node keeps at most
 * 2,000 and silently drops the rest, so a head over this is refused rather than half-read.
 */
export const maxHeaderFields = 100;

/** How many times a header (lower-case `name`) occurs in a raw header list. */
function occurrences(rawHeaders: readonly string[], name: string): number {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.length === name.length && rawHeaders[i]!.toLowerCase() === name) count++;
  return count;
}

/**
 * Handles one request on a connection the TLS front accepted, against one snapshot read at
 * its start:
 * 0. The head must be one the edge can read one way only: at most `maxHeaderFields` fields
 *    (else 431), at most one Host (RFC 9112 §3.2, else 400), an origin-form target (else 400),
 *    a Host that is a hostname (no userinfo, path or address; else 400); each of these
 *    refusals closes the connection.
 * 1. Host (or the SNI when absent) must be a hostname; on a connection whose name has mTLS,
 *    or to a Host that has mTLS, Host must equal the SNI, else 421 (as nginx does): the
 *    certificate was checked for the SNI's CAs only, and a client must not reuse one
 *    hostname's connection for another's (HTTP/2-style coalescing, or a plain name's
 *    connection for an mTLS name).
 * 2. Host → site (longest zone), else 421.
 * 3. Facts: connection certificate (computed once) + revocation and expiry now.
 * 4. The site's WAF: block → its response; allow/pass → the origin, with verified headers
 *    (and RFC 9440 `Client-Cert` when the site asks for it).
 * One log line per request: host, path (never the query), status, rule, certificate serial and
 * verification, upstream time.
 */
export function createRequestHandler(options: RequestHandlerOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const { proxy, log } = options;
  const now = options.now ?? (() => new Date());

  return (req, res) => {
    const requestId = randomUUID();
    const started = performance.now();
    const socket = req.socket as tls.TLSSocket;
    const state = connectionStateOf(socket);
    const snapshot = options.snapshot();
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const line = { requestId, method: req.method, path: path.slice(0, 512) };
    const refuse = (status: number, detail: string, host: string | undefined) => {
      sendRefusal(res, { status }, requestId, detail);
      log.info({ ...line, host, status, reason: detail, ms: elapsed(started) }, 'request');
    };
    // A head the edge refuses may have been read differently by another parser: no keep-alive.
    const refuseHead = (status: number, detail: string) => {
      res.shouldKeepAlive = false;
      refuse(status, detail, undefined);
    };
    if (state && !state.deadlines.requestStarted(req, res)) return;
    if (!state || !snapshot) {
      res.shouldKeepAlive = false;
      return refuse(421, 'This connection is not served here.', undefined);
    }
    if (req.rawHeaders.length / 2 > maxHeaderFields)
      return refuseHead(431, `A request may carry at most ${maxHeaderFields} header fields.`);
    if (occurrences(req.rawHeaders, 'host') > 1) return refuseHead(400, 'A request may carry one Host header only.');
    if (!url.startsWith('/')) return refuseHead(400, 'Only origin-form request targets are served.');
    const hostHeader = req.headers.host;
    const host = hostHeader === undefined ? state.serverName : normaliseHost(hostHeader);
    if (host === undefined) return refuseHead(400, 'The Host header is not a hostname.');
    const sni = snapshot.tlsFor(state.serverName);
    if (!sni) {
      res.shouldKeepAlive = false;
      return refuse(421, `${state.serverName} is no longer served here.`, host);
    }
    if (
      host !== state.serverName &&
      (state.requestedCertificate || sni.trust !== undefined || snapshot.tlsFor(host)?.trust !== undefined)
    ) {
      return refuse(421, 'The Host header does not match the TLS server name of this connection.', host);
    }
    const site = host === state.serverName ? sni.site : snapshot.route(host);
    if (!site) return refuse(421, `${host} is not served here.`, host);

    // The name gained mTLS bindings after this connection's handshake, which therefore asked
    // for no certificate: answer this request on the facts (none presented) and close, so the
    // client's next connection gets a CertificateRequest.
    if (sni.trust !== undefined && !state.requestedCertificate) res.shouldKeepAlive = false;
    const at = now();
    const connection = certificateFor(socket, state, sni.trust, at);
    const clientCert = requestCertificateFacts(connection, snapshot.isRevoked, Math.floor(at.getTime() / 1000));
    const facts: RequestFacts = {
      host,
      method: req.method ?? 'GET',
      path,
      query: query < 0 ? '' : url.slice(query + 1),
      userAgent: req.headers['user-agent'] ?? '',
      // Node builds headersDistinct on first read: only when a rule reads headers.
      get headers() {
        return req.headersDistinct;
      },
      sourceIp: socket.remoteAddress ?? '',
      tls: true,
      clientCert,
    };
    const decision = site.waf ? site.waf.evaluate(facts) : pass;
    const cert = clientCert.presented
      ? { serial: clientCert.serial, verify: clientCert.error === '' ? 'SUCCESS' : `FAILED:${clientCert.error}` }
      : undefined;
    const done = (status: number, upstreamMs: number | undefined, error?: string) =>
      log.info(
        {
          ...line,
          host,
          site: site.id,
          status,
          rule: decision.ruleId ?? undefined,
          ...(decision.logged.length > 0 ? { logged: decision.logged } : {}),
          cert: cert ?? 'NONE',
          upstreamMs: upstreamMs === undefined ? undefined : Math.round(upstreamMs * 10) / 10,
          ms: elapsed(started),
          ...(error ? { error } : {}),
        },
        'request',
      );
    if (decision.action === 'block') {
      sendRefusal(res, decision.response, requestId);
      done(decision.response.status, undefined);
      return;
    }
    const headers = upstreamRequestHeaders(req.headers, {
      requestId,
      clientIp: socket.remoteAddress ?? '',
      host: hostHeader ?? host,
      clientCert,
      clientCertHeader: clientCert.presented && site.forwardClientCert ? state.clientCertHeader : undefined,
    });
    void proxy
      .forward(req, res, site.origin, headers, requestId)
      .then((outcome) => done(outcome.status, outcome.upstreamMs, outcome.error));
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
