import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ClientCertFacts } from '@portcullis/waf';

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and are never forwarded. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Whether a request header is one the edge alone sets for the origin. Clients' copies are
 * dropped, so an origin can trust them: certificate headers (RFC 9440, Envoy's XFCC, ours),
 * the forwarding headers (the edge is the first hop, so nothing before it is trustworthy) and
 * the request id.
 */
export function isEdgeOwnedHeader(name: string): boolean {
  return (
    name === 'client-cert' ||
    name === 'client-cert-chain' ||
    name === 'x-forwarded-client-cert' ||
    name.startsWith('x-client-cert-') ||
    name === 'x-forwarded-for' ||
    name === 'x-forwarded-proto' ||
    name === 'x-forwarded-host' ||
    name === 'x-request-id'
  );
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
 * The headers sent to the origin: the client's, without hop-by-hop headers (and those the
 * Connection header names) and without edge-owned headers, plus the edge's:
 * `X-Client-Cert-Verified` (`SUCCESS`, `FAILED:<reason>` or `NONE`, as nginx's
 * `$ssl_client_verify`), and when a certificate was presented `X-Client-Cert-Serial`,
 * `-Fingerprint-Sha256`, `-Subject`, `-Issuer` (DNs with `%` and non-printable or non-ASCII
 * characters percent-encoded as UTF-8) and RFC 9440 `Client-Cert`; `X-Forwarded-For`,
 * `-Proto` (`https`), `-Host`; `X-Request-Id`.
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, facts: ForwardedFacts): OutgoingHttpHeaders {
  const named = connectionNamed(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hopByHop.has(name) || named?.has(name) || isEdgeOwnedHeader(name)) continue;
    out[name] = value;
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

/** The origin's response headers for the client: without hop-by-hop headers. */
export function downstreamResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = connectionNamed(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name) && !named?.has(name)) out[name] = value;
  }
  return out;
}

function connectionNamed(connection: string | undefined): Set<string> | undefined {
  if (!connection) return undefined;
  return new Set(connection.split(',').map((token) => token.trim().toLowerCase()));
}

function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]|%/gu, (ch) => encodeURIComponent(ch));
}
