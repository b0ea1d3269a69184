import { normaliseHost } from '@portcullis/config';
import { buildRequestFacts, requestCertificateFacts } from '@portcullis/facts';
import type { BlockResponse, ClientCertFacts, Decision } from '@portcullis/waf';
import type { ConfigSnapshot, SiteConfig } from '../config/config-snapshot.ts';
import { upstreamRequestHeaders } from './upstream-headers.ts';
import type { ConnectionFacts } from './connection-facts.ts';
import { headerValues, type RequestHead } from './request-head.ts';

/**
 * Header fields a request may carry (Apache's LimitRequestFields default): a head over this is
 * refused rather than half-read.
 */
export const maxHeaderFields = 100;

/** Why the edge itself refused a request; stable, for logs and tests. */
export type RefusalReason =
  | 'not-served'
  | 'too-many-header-fields'
  | 'duplicate-host'
  | 'not-origin-form'
  | 'bad-host'
  | 'server-name-gone'
  | 'site-incomplete'
  | 'host-mismatch'
  | 'no-site';

/** What the WAF saw and decided: every outcome past routing carries it, for the log. */
interface Evaluated {
  readonly host: string;
  readonly site: SiteConfig;
  readonly decision: Decision;
  readonly clientCert: ClientCertFacts;
  /** Answer this request, then close: the connection cannot serve the next one rightly. */
  readonly close: boolean;
}

/**
 * The outcome of one request:
 * - `refuse`: the edge's own answer (`status` 400, 421 or 431) with a stable `reason` and a
 *   `detail` for the error page; `close` when the head may have been read differently by
 *   another parser, or the connection's name is no longer served;
 * - `block`: the site's WAF blocked it; answer with `response`;
 * - `forward`: send it to `origin` with `headers` (the upstream header set).
 */
export type RequestOutcome =
  | {
      readonly kind: 'refuse';
      readonly status: 400 | 421 | 431;
      readonly reason: RefusalReason;
      readonly detail: string;
      readonly host: string | undefined;
      readonly close: boolean;
    }
  | (Evaluated & { readonly kind: 'block'; readonly response: BlockResponse })
  | (Evaluated & { readonly kind: 'forward'; readonly origin: URL; readonly headers: Record<string, string | string[]> });

function refuse(status: 400 | 421 | 431, reason: RefusalReason, detail: string, host: string | undefined, close: boolean): RequestOutcome {
  return { kind: 'refuse', status, reason, detail, host, close };
}

/**
 * Decides one request against one snapshot (read once at its start), from the facts of its
 * connection and its head, at `now`; pure but for the connection's memoised certificate facts.
 * 0. The head must be one the edge can read one way only: at most `maxHeaderFields` fields
 *    (else 431), at most one Host (RFC 9112 §3.2, else 400), an origin-form target (else 400),
 *    a Host that is a hostname (no userinfo, path or address; else 400); each closes.
 * 1. The connection's server name must still be served (else 421 and close, with
 *    `site-incomplete` when `servability` refuses it for a partial configuration).
 * 2. Host (or the SNI when absent): on a connection whose name has mTLS, or to a Host that has
 *    mTLS, Host must equal the SNI, else 421 (as nginx does): the certificate was checked for
 *    the SNI's CAs only, and a connection must not be reused for another hostname.
 * 3. Host → site (longest zone), else 421 (`site-incomplete` when `servability` refuses it).
 * 4. Facts: the connection's certificate (computed once) with revocation and expiry now.
 * 5. The site's WAF: block → its response; allow/pass → forward, with the upstream headers
 *    (certificate facts, and RFC 9440 `Client-Cert` when the site asks for it).
 */
export function decide(
  snapshot: ConfigSnapshot | undefined,
  connection: ConnectionFacts | undefined,
  head: RequestHead,
  now: Date,
): RequestOutcome {
  if (!connection || !snapshot) return refuse(421, 'not-served', 'This connection is not served here.', undefined, true);
  const raw = head.rawHeaders;
  if (raw.length / 2 > maxHeaderFields)
    return refuse(431, 'too-many-header-fields', `A request may carry at most ${maxHeaderFields} header fields.`, undefined, true);
  const headers = headerValues(raw);
  const hostValues = headers.host;
  if (hostValues && hostValues.length > 1)
    return refuse(400, 'duplicate-host', 'A request may carry one Host header only.', undefined, true);
  if (!head.target.startsWith('/')) return refuse(400, 'not-origin-form', 'Only origin-form request targets are served.', undefined, true);
  const hostHeader = hostValues?.[0];
  const host = hostHeader === undefined ? connection.serverName : normaliseHost(hostHeader);
  if (host === undefined) return refuse(400, 'bad-host', 'The Host header is not a hostname.', undefined, true);
  const serverName = connection.serverName;
  const sni = snapshot.tlsFor(serverName);
  if (!sni) {
    const reason = snapshot.servability(serverName).servable ? 'server-name-gone' : notServable(snapshot, serverName);
    return refuse(421, reason, `${serverName} is no longer served here.`, host, true);
  }
  if (host !== serverName && (connection.requestedCertificate || sni.trust !== undefined || snapshot.tlsFor(host)?.trust !== undefined)) {
    return refuse(421, 'host-mismatch', 'The Host header does not match the TLS server name of this connection.', host, false);
  }
  const site = host === serverName ? sni.site : snapshot.route(host);
  if (!site) return refuse(421, notServable(snapshot, host), `${host} is not served here.`, host, false);

  // The name gained mTLS bindings after this connection's handshake, which therefore asked for
  // no certificate: answer on the facts (none presented) and close, so the client's next
  // connection gets a CertificateRequest.
  const close = sni.trust !== undefined && !connection.requestedCertificate;
  const certificate = connection.certificate(sni.trust, now);
  const clientCert = requestCertificateFacts(certificate, snapshot.isRevoked, Math.floor(now.getTime() / 1000));
  const facts = buildRequestFacts({
    host,
    method: head.method,
    target: head.target,
    userAgent: headers['user-agent']?.[0] ?? '',
    headers: () => headers,
    sourceIp: connection.remoteAddress,
    tls: true,
    clientCert,
  });
  const decision = site.waf.evaluate(facts);
  if (decision.action === 'block') return { kind: 'block', response: decision.response, host, site, decision, clientCert, close };
  const upstream = upstreamRequestHeaders(headers, {
    requestId: head.requestId,
    clientIp: connection.remoteAddress,
    host: hostHeader ?? host,
    clientCert,
    clientCertHeader: clientCert.presented && site.forwardClientCert ? connection.clientCertHeader() : undefined,
  }) as Record<string, string | string[]>;
  return { kind: 'forward', origin: site.origin, headers: upstream, host, site, decision, clientCert, close };
}

/** The refusal reason for a name `servability` explains. */
function notServable(snapshot: ConfigSnapshot, hostname: string): 'site-incomplete' | 'no-site' {
  const servability = snapshot.servability(hostname);
  return !servability.servable && servability.reason === 'site-incomplete' ? 'site-incomplete' : 'no-site';
}
