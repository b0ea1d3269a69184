import type { X509Certificate } from 'node:crypto';
import type { ChainFailureReason, TrustStore } from '@portcullis/pki';
import { inspectCertificate } from '@portcullis/pki';
import { NO_CLIENT_CERT, type ClientCertFacts } from '@portcullis/waf';

/**
 * What the edge learns about a connection's client certificate, once, at the end of the
 * handshake: everything but revocation, which can change while the connection lives and is
 * looked up per request (`requestCertificateFacts`). Kept on the socket, so a kept-alive
 * request costs no certificate parsing.
 */
export interface ConnectionCertificate {
  /** The WAF facts with `revoked: false`; `error` says why the chain did not verify. */
  readonly facts: ClientCertFacts;
  /** The bound CA that issued the certificate, when the chain verified. */
  readonly caId: string | undefined;
}

/** A connection without a client certificate; shared, frozen. */
export const NO_CONNECTION_CERTIFICATE: ConnectionCertificate = Object.freeze({ facts: NO_CLIENT_CERT, caId: undefined });

/**
 * Checks the peer certificate of a connection against the CAs bound to its hostname
 * (`trust`, undefined when the hostname has none) at `now`. Verification failures are facts,
 * never exceptions: a certificate that cannot even be parsed is reported `untrusted` with
 * whatever is known, so the WAF decides what happens to the request.
 */
export function connectionCertificate(peer: X509Certificate | undefined, trust: TrustStore | undefined, now: Date): ConnectionCertificate {
  if (!peer) return NO_CONNECTION_CERTIFICATE;
  const fingerprintSha256 = peer.fingerprint256.replaceAll(':', '').toLowerCase();
  let info;
  try {
    info = inspectCertificate(peer.raw);
  } catch {
    return { facts: { ...NO_CLIENT_CERT, presented: true, fingerprintSha256, error: 'untrusted' }, caId: undefined };
  }
  const check: { ok: true; ca: { id: string } } | { ok: false; reason: ChainFailureReason } = trust
    ? trust.verify(peer.raw, now)
    : { ok: false, reason: 'untrusted' };
  return {
    facts: {
      presented: true,
      chainVerified: check.ok,
      revoked: false,
      serial: info.serialNumber,
      fingerprintSha256,
      subjectDn: info.subject,
      issuerDn: info.issuer,
      issuerSki: info.authorityKeyId ?? '',
      notBefore: Math.floor(info.notBefore.getTime() / 1000),
      notAfter: Math.floor(info.notAfter.getTime() / 1000),
      error: check.ok ? '' : check.reason,
    },
    caId: check.ok ? check.ca.id : undefined,
  };
}

/** Answers whether a CA's serial is revoked, from the edge's in-memory revocation sets. */
export type RevocationLookup = (caId: string, serial: string) => boolean;

/**
 * The facts of one request on a connection: the connection's facts with revocation checked
 * now, so a certificate revoked after the handshake is caught on kept-alive and resumed
 * connections; and, when `nowSeconds` is given, with expiry checked now too, so a connection
 * kept alive past the certificate's notAfter stops counting as verified. Costs one set lookup
 * and one comparison; allocates only when the answer differs from the connection's.
 */
export function requestCertificateFacts(
  connection: ConnectionCertificate,
  isRevoked: RevocationLookup,
  nowSeconds?: number,
): ClientCertFacts {
  const { facts, caId } = connection;
  if (caId === undefined) return facts;
  if (isRevoked(caId, facts.serial)) return { ...facts, revoked: true, error: 'revoked' };
  if (nowSeconds !== undefined && nowSeconds > facts.notAfter) return { ...facts, chainVerified: false, error: 'expired' };
  return facts;
}
