import { constants, createHash } from 'node:crypto';
import tls from 'node:tls';

/** A certificate chain (leaf first) and its PKCS#8 key, PEM. */
export interface ServerKeyMaterial {
  readonly chainPem: string;
  readonly keyPem: string;
}

/**
 * Builds the SecureContext the edge serves a hostname with: the credential's chain and key
 * and, for a hostname with mTLS bindings, exactly its client CAs (`clientCaPems`), which
 * OpenSSL lists in the CertificateRequest. Building one parses every certificate and costs
 * about a millisecond, so contexts are built when configuration arrives, never per handshake.
 * `cacheKey` identifies the material (credential version and CA set).
 *
 * Resumption policy, decided per kind of hostname:
 * - hostnames with mTLS: no session tickets (`SSL_OP_NO_TICKET`; the stateful tickets OpenSSL
 *   then sends for TLS 1.3 find no session cache, since Node keeps none without a
 *   `newSession` listener, so they never resume). Every connection therefore presents and
 *   proves its client certificate afresh, and a ticket never carries one: on OpenSSL 3.0 a
 *   ticket re-serialises the client certificate and costs about a third of the handshake;
 * - hostnames without mTLS: tickets on (cheap, and they spare clients full handshakes).
 * Each context has its own ticket keys and a session id context derived from `cacheKey`, so
 * a session from one hostname's context never resumes on another's (a ticket from a plain
 * hostname cannot skip a CertificateRequest elsewhere). Revocation never depends on this: it
 * is looked up on every request.
 *
 * Throws what `tls.createSecureContext` throws (unreadable PEM, key not matching the leaf).
 */
export function createServerContext(
  material: ServerKeyMaterial,
  clientCaPems: readonly string[] | undefined,
  cacheKey: string,
): tls.SecureContext {
  const mutual = clientCaPems !== undefined && clientCaPems.length > 0;
  return tls.createSecureContext({
    cert: material.chainPem,
    key: material.keyPem,
    minVersion: 'TLSv1.2',
    sessionIdContext: createHash('sha256').update(cacheKey).digest('hex').slice(0, 32),
    // No renegotiation (TLS 1.2): it would let a client swap its certificate under facts
    // computed once per connection, and cost a handshake at will. Node's own guard against it
    // only works for sockets a tls.Server made, not for the edge's (tls-front.ts).
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION | (mutual ? constants.SSL_OP_NO_TICKET : 0),
    ...(mutual ? { ca: [...clientCaPems] } : {}),
  });
}
