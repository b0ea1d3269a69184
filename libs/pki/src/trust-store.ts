import crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { describeCertificate } from './certificate-info.ts';
import type { CertificateInfo } from './certificate-info.ts';
import { nameMatchKey } from './distinguished-name.ts';
import { assessKey } from './key-algorithm.ts';
import { Oid } from './oids.ts';
import { parseCertificate } from './parse-certificate.ts';
import type { ParsedCertificate } from './parse-certificate.ts';
import { PkiError } from './pki-error.ts';
import { verifySignature } from './signature-algorithm.ts';
import { requireAcceptableCaKey } from './validate-ca-certificate.ts';

/** Why a client certificate failed the chain check; becomes a WAF field and a log field. */
export type ChainFailureReason = 'untrusted' | 'bad_signature' | 'not_yet_valid' | 'expired' | 'not_client_certificate';

/** A CA the store trusts, as the caller named it. */
export interface TrustedCa {
  readonly id: string;
  readonly info: CertificateInfo;
}

/** The outcome of {@link TrustStore.verify}: the CA that issued the leaf, or why it failed. */
export type ChainCheckResult = { readonly ok: true; readonly ca: TrustedCa } | { readonly ok: false; readonly reason: ChainFailureReason };

/** A set of trusted client CAs, built once, checked per connection. */
export interface TrustStore {
  /** The CAs in the store, in the order given. */
  readonly cas: readonly TrustedCa[];
  /**
   * Checks that `leaf` (PEM or DER) was issued directly by one of the store's CAs and is a
   * usable client certificate at `at` (default now). Checks run in this order and the first
   * failure is the reason:
   * 1. `untrusted`: no CA in the store has the leaf's issuer name (compared as X.509 name
   *    matching does: case-insensitive strings, collapsed spaces) together with a matching key
   *    identifier — when both the leaf's AKI and the CA's SKI are present they must be equal,
   *    as OpenSSL requires. A certificate from another CA that merely reuses a trusted CA's
   *    name therefore is `untrusted` (its AKI names another key), as `openssl verify` says.
   * 2. `bad_signature`: a CA matched by name and key id, but no such CA's key verifies the
   *    leaf's signature (forged or corrupted, or an MD5/SHA-1/unknown signature algorithm).
   * 3. `not_yet_valid` / `expired`: `at` is outside the leaf's validity, or the CA's.
   * 4. `not_client_certificate`: the leaf is not an end-entity certificate usable for TLS
   *    client authentication, which is any of: it is a CA (basicConstraints CA:TRUE, or a
   *    keyUsage with keyCertSign, which RFC 5280 allows only in CA certificates), so a CA
   *    certificate and its key cannot stand in for a client; it has an extendedKeyUsage
   *    without clientAuth (anyExtendedKeyUsage alone does not count, as in OpenSSL); it has a
   *    keyUsage without digitalSignature (TLS client authentication signs); or its key fails
   *    the key policy of `assessKey` (RSA under 2048 or over 8192 bits, a curve other than
   *    P-256/P-384/P-521, or an algorithm other than RSA, EC and Ed25519). A leaf without
   *    those extensions (a v1 certificate) is not restricted by them.
   * Only one level is checked: the CA is the trust anchor, even if it is itself an
   * intermediate (like OpenSSL's partial-chain mode); leaves need no chain file.
   * Pure and synchronous; safe to call concurrently. Throws `Certificate.*` PkiErrors only for
   * a leaf that cannot be parsed at all.
   */
  verify(leaf: string | Uint8Array, at?: Date): ChainCheckResult;
}

/** A CA to trust: the caller's id for it and its certificate (PEM or DER). */
export interface TrustStoreEntry {
  readonly id: string;
  readonly certificate: string | Uint8Array;
}

interface Anchor {
  readonly trusted: TrustedCa;
  readonly cert: ParsedCertificate;
  readonly publicKey: KeyObject;
}

/**
 * Builds a trust store from CA certificates. Each is parsed once and its public key loaded
 * once; the store indexes them by subject name so a check costs one lookup and, normally, one
 * signature verification. Throws `Certificate.*` for an unreadable certificate,
 * `CaCertificate.NotCa` for one without basicConstraints CA:TRUE and
 * `CaCertificate.NoKeyCertSign` for one whose keyUsage forbids signing certificates, and
 * `CaCertificate.WeakKey`/`CaCertificate.UnsupportedKey` for a key the key policy refuses.
 * Validity in time is not checked here but per verification, so a store can be built ahead.
 */
export function createTrustStore(entries: readonly TrustStoreEntry[]): TrustStore {
  const byName = new Map<string, Anchor[]>();
  const cas: TrustedCa[] = [];
  for (const entry of entries) {
    const cert = parseCertificate(entry.certificate);
    if (cert.extensions.basicConstraints?.ca !== true)
      throw new PkiError('CaCertificate.NotCa', { detail: `trust store entry ${entry.id}` });
    if (cert.extensions.keyUsage !== null && !cert.extensions.keyUsage.has('keyCertSign')) {
      throw new PkiError('CaCertificate.NoKeyCertSign', { detail: `trust store entry ${entry.id}` });
    }
    requireAcceptableCaKey(cert.publicKey.algorithm, `trust store entry ${entry.id}`);
    const anchor: Anchor = {
      trusted: { id: entry.id, info: describeCertificate(cert) },
      cert,
      publicKey: crypto.createPublicKey({ key: Buffer.from(cert.publicKey.spki), format: 'der', type: 'spki' }),
    };
    cas.push(anchor.trusted);
    const key = nameMatchKey(cert.subject);
    byName.set(key, [...(byName.get(key) ?? []), anchor]);
  }
  return {
    cas,
    verify(leafInput, at = new Date()) {
      const leaf = parseCertificate(leafInput);
      const aki = leaf.extensions.authorityKeyId;
      const candidates = (byName.get(nameMatchKey(leaf.issuer)) ?? []).filter((a) => {
        const ski = a.cert.extensions.subjectKeyId;
        return aki === null || ski === null || Buffer.compare(aki, ski) === 0;
      });
      if (candidates.length === 0) return { ok: false, reason: 'untrusted' };
      const issuer =
        leaf.signatureAlgorithm.strength === 'acceptable'
          ? candidates.find((a) => verifySignature(leaf.signatureAlgorithm, leaf.tbs, leaf.signature, a.publicKey))
          : undefined;
      if (issuer === undefined) return { ok: false, reason: 'bad_signature' };
      const t = at.getTime();
      if (t < leaf.notBefore.getTime() || t < issuer.cert.notBefore.getTime()) return { ok: false, reason: 'not_yet_valid' };
      if (t > leaf.notAfter.getTime() || t > issuer.cert.notAfter.getTime()) return { ok: false, reason: 'expired' };
      if (!isClientLeaf(leaf)) return { ok: false, reason: 'not_client_certificate' };
      return { ok: true, ca: issuer.trusted };
    },
  };
}

/** Step 4 of {@link TrustStore.verify}: an end-entity certificate fit for TLS client authentication. */
function isClientLeaf(leaf: ParsedCertificate): boolean {
  const { basicConstraints, extendedKeyUsage, keyUsage } = leaf.extensions;
  if (basicConstraints?.ca === true || keyUsage?.has('keyCertSign') === true) return false;
  if (extendedKeyUsage !== null && !extendedKeyUsage.includes(Oid.clientAuth)) return false;
  if (keyUsage !== null && !keyUsage.has('digitalSignature')) return false;
  return assessKey(leaf.publicKey.algorithm, { allowEd25519: true }) === null;
}
