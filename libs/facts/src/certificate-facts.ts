import { createHash } from 'node:crypto';
import type { ChainFailureReason, TrustStore } from '@portcullis/pki';
import { inspectCertificate } from '@portcullis/pki';
import { NO_CLIENT_CERT, type ClientCertFacts } from '@portcullis/waf';

/**
 * What is known about a connection's client certificate once, at the end of the handshake (or,
 * for the rule tester, once per sample): everything but revocation and the clock, which can
 * change while a connection lives and are applied per request (`requestCertificateFacts`).
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
 * Checks a client certificate (DER, or PEM for the tester; undefined when none was presented)
 * against the CAs bound to its hostname (`trust`) at `now`. A hostname without bound CAs
 * (`trust` undefined) has no certificate facts at all: the edge never asks for a certificate
 * there, so rules see none even if a client would have one. Verification failures are facts,
 * never exceptions: a certificate that cannot even be parsed is reported `untrusted` with its
 * fingerprint, so the WAF decides what happens.
 */
export function connectionCertificate(
  certificate: Uint8Array | string | undefined,
  trust: TrustStore | undefined,
  now: Date,
): ConnectionCertificate {
  if (certificate === undefined || trust === undefined) return NO_CONNECTION_CERTIFICATE;
  let info;
  try {
    info = inspectCertificate(certificate);
  } catch {
    const fingerprintSha256 = typeof certificate === 'string' ? '' : createHash('sha256').update(certificate).digest('hex');
    return { facts: { ...NO_CLIENT_CERT, presented: true, fingerprintSha256, error: 'untrusted' }, caId: undefined };
  }
  const check: { ok: true; ca: { id: string } } | { ok: false; reason: ChainFailureReason } = trust.verify(certificate, now);
  return {
    facts: {
      presented: true,
      chainVerified: check.ok,
      revoked: false,
      serial: info.serialNumber,
      fingerprintSha256: info.fingerprintSha256,
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

/** Answers whether a CA's serial is revoked now. */
export type RevocationLookup = (caId: string, serial: string) => boolean;

/**
 * The certificate facts of one request: the connection's facts with revocation looked up now,
 * so a certificate revoked after the handshake is caught on kept-alive and resumed
 * connections, and with expiry checked at `nowSeconds`, so a connection kept alive past the
 * certificate's notAfter stops counting as verified. Costs one lookup and one comparison;
 * allocates only when the answer differs from the connection's.
 */
export function requestCertificateFacts(
  connection: ConnectionCertificate,
  isRevoked: RevocationLookup,
  nowSeconds: number,
): ClientCertFacts {
  const { facts, caId } = connection;
  if (caId === undefined) return facts;
  if (isRevoked(caId, facts.serial)) return { ...facts, revoked: true, error: 'revoked' };
  if (nowSeconds > facts.notAfter) return { ...facts, chainVerified: false, error: 'expired' };
  return facts;
}
