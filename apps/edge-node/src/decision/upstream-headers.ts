import type { OutgoingHttpHeaders } from 'node:http';
import type { ClientCertFacts } from '@portcullis/waf';

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and are never forwarded. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * A header name as CGI, Rack, PHP and many frameworks read it: case folded and `_` taken as
 * `-` (both become `HTTP_X_CLIENT_CERT_VERIFIED`). Two names with one canonical form are the
 * same header to such an origin.
 */
export function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replaceAll('_', '-');
}

/**
 * Whether a request header is one the edge alone sets for the origin, compared by canonical
 * name (`canonicalHeaderName`), so no spelling of one reaches the origin beside the edge's.
 * Clients' copies are dropped, so an origin can trust them: certificate headers (RFC 9440
 * `Client-Cert` and `Client-Cert-Chain`, Envoy's XFCC, the whole `X-Client-Cert-` family),
 * the forwarding headers (`Forwarded` and the whole `X-Forwarded-` family: the edge is the
 * first hop, so nothing before it is trustworthy) and the request id.
 */
export function isEdgeOwnedHeader(name: string): boolean {
  const canonical = canonicalHeaderName(name);
  return (
    canonical === 'client-cert' ||
    canonical === 'client-cert-chain' ||
    canonical.startsWith('x-client-cert-') ||
    canonical === 'forwarded' ||
    canonical.startsWith('x-forwarded-') ||
    canonical === 'x-request-id'
  );
}

/**
 * Headers the origin's HTTP layer gives a meaning (framing, routing, hop-by-hop): a client copy
 * spelled with `_` would read as the real one to a CGI-style origin, so it is dropped. Their
 * `-` spelling is the real header and is handled as such.
 */
const framingHeaders = new Set([...hopByHop, 'host', 'content-length', 'content-type', 'expect']);

function isFramingLookAlike(name: string): boolean {
  return name.includes('_') && framingHeaders.has(canonicalHeaderName(name));
}

/** What the edge tells the origin about a request beside the client's headers. */
export interface ForwardedFacts {
  readonly requestId: string;
  readonly clientIp: string;
  /** The Host header as the client sent it. */
  readonly host: string;
  readonly clientCert: ClientCertFacts;
  /** RFC 9440 value of the presented certificate, undefined when none was presented. */
  readonly clientCertHeader: string | undefined;
}

/**
 * The headers sent to the origin: the client's (by lower-case name, every value in order), without hop-by-hop headers (and those the
 * Connection header names), without edge-owned headers in any spelling and without `_`
 * spellings of framing headers, plus the edge's:
 * `X-Client-Cert-Verified` (`SUCCESS`, `FAILED:<reason>` or `NONE`, as nginx's
 * `$ssl_client_verify`), and when a certificate was presented `X-Client-Cert-Serial`,
 * `-Fingerprint-Sha256`, `-Subject`, `-Issuer` (DNs with `%` and non-printable or non-ASCII
 * characters percent-encoded as UTF-8) and RFC 9440 `Client-Cert`; `X-Forwarded-For`,
 * `-Proto` (`https`), `-Host`; `X-Request-Id`.
 */
export function upstreamRequestHeaders(
  headers: Readonly<Record<string, readonly string[] | undefined>>,
  facts: ForwardedFacts,
): OutgoingHttpHeaders {
  const named = connectionNamed(headers.connection?.join(','));
  const out: OutgoingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    const values = headers[name];
    if (values === undefined || hopByHop.has(name) || named?.has(name) || isEdgeOwnedHeader(name) || isFramingLookAlike(name)) continue;
    out[name] = values.length === 1 ? values[0] : [...values];
  }
  const cert = facts.clientCert;
  out['x-client-cert-verified'] = !cert.presented ? 'NONE' : cert.error === '' ? 'SUCCESS' : `FAILED:${cert.error}`;
  if (cert.presented) {
    if (cert.serial) out['x-client-cert-serial'] = cert.serial;
    out['x-client-cert-fingerprint-sha256'] = cert.fingerprintSha256;
    if (cert.subjectDn) out['x-client-cert-subject'] = headerSafe(cert.subjectDn);
    if (cert.issuerDn) out['x-client-cert-issuer'] = headerSafe(cert.issuerDn);
    if (facts.clientCertHeader) out['client-cert'] = facts.clientCertHeader;
  }
  out['x-forwarded-for'] = facts.clientIp;
  out['x-forwarded-proto'] = 'https';
  out['x-forwarded-host'] = facts.host;
  out['x-request-id'] = facts.requestId;
  return out;
}

function connectionNamed(connection: string | undefined): Set<string> | undefined {
  if (!connection) return undefined;
  return new Set(connection.split(',').map((token) => token.trim().toLowerCase()));
}

function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]|%/gu, (ch) => encodeURIComponent(ch));
}
