import crypto from 'node:crypto';
import { DerReader } from './asn1/der-reader.ts';
import type { DerNode } from './asn1/der-reader.ts';
import { Tag, contextTag } from './asn1/der-tag.ts';
import { readOneDer } from './der-input.ts';
import { formatName, nameMatchKey, readName } from './distinguished-name.ts';
import { Oid } from './oids.ts';
import { parseCertificate } from './parse-certificate.ts';
import { PkiError } from './pki-error.ts';
import { readSignatureAlgorithm, verifySignature } from './signature-algorithm.ts';
import { serialHex } from './serial-number.ts';
import { clockSkewAllowanceMs } from './validity-period.ts';
import { readExtensionList } from './x509-extensions.ts';

/** CRLReason names (RFC 5280 5.3.1); value 7 is unused by the standard. */
export const revocationReasons = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  null,
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
] as const;

/** A revocation reason by name. */
export type RevocationReason = Exclude<(typeof revocationReasons)[number], null>;

/** One revoked certificate of a CRL. */
export interface RevokedCertificate {
  /** Normalised hex, as {@link CertificateInfo.serialNumber}. */
  readonly serialNumber: string;
  readonly revocationDate: Date;
  /** The reasonCode entry extension, or null when the entry has none. */
  readonly reason: RevocationReason | null;
}

/** A parsed X.509 CRL. Its signature is not checked by parsing: see {@link verifyCrlSignature}. */
export interface CertificateRevocationList {
  readonly der: Uint8Array;
  readonly issuer: {
    /** RFC 2253 string. */
    readonly dn: string;
    /** The issuer Name's DER, to compare with a CA's subject. */
    readonly raw: Uint8Array;
  };
  readonly thisUpdate: Date;
  /** Null when the CRL does not say (RFC 5280 requires it; some issuers omit it). */
  readonly nextUpdate: Date | null;
  /** The cRLNumber extension as a decimal string, or null when absent. */
  readonly crlNumber: string | null;
  /** Hex of the authorityKeyIdentifier's keyIdentifier, or null when absent. */
  readonly authorityKeyId: string | null;
  readonly signatureAlgorithm: string;
  /** In CRL order. */
  readonly revoked: readonly RevokedCertificate[];
}

/** Bounds on CRL input; both default to what a trust store of 500,000 revocations needs. */
export interface CrlLimits {
  /**
   * Default 48 MiB of DER (PEM text may be about twice that): 500,000 entries of up to about
   * 100 bytes, where a 21-octet serial with a reason and an invalidity date takes 81.
   */
  readonly maxDerBytes?: number;
  /** Default 500,000 entries (AWS ALB's per-trust-store limit). */
  readonly maxEntries?: number;
}

/**
 * Parses a CRL from PEM (`X509 CRL`) or DER. Throws `Crl.TooLarge` beyond the limits (size
 * is checked before decoding, entries while reading), `Crl.Malformed` for anything that is
 * not a well-formed v1/v2 CRL, including duplicate extensions and an unknown critical CRL
 * extension (RFC 5280 says such a CRL must not be used), and `Crl.InvalidNumber` for a
 * negative cRLNumber or one over 20 octets. Whether the CRL is in force is not judged here:
 * see {@link checkCrlCurrent}. Entry extensions other than the
 * reason code are skipped, so indirect CRLs (certificateIssuer) are read as direct ones.
 */
export function parseCrl(input: string | Uint8Array, limits: CrlLimits = {}): CertificateRevocationList {
  const maxEntries = limits.maxEntries ?? 500_000;
  const bytes = readOneDer(input, {
    labels: ['X509 CRL'],
    maxDerBytes: limits.maxDerBytes ?? 48 * 1024 * 1024,
    malformed: 'Crl.Malformed',
    tooLarge: 'Crl.TooLarge',
    multiple: 'Crl.Malformed',
  });
  const der = new DerReader(bytes, 'Crl.Malformed');
  const [tbsNode, algorithmNode, signatureNode] = der.sequence(der.root(), 'CRL', 3, 3);
  const fields = der.sequence(tbsNode, 'tbsCertList', 3, 7);
  let i = 0;
  if (fields[0]!.tag === Tag.Integer && der.smallInteger(fields[i++], 'version') !== 1) der.fail('unsupported CRL version');
  const innerAlgorithm = fields[i++]!;
  const issuer = readName(der, fields[i++], 'issuer');
  const thisUpdate = der.time(fields[i++], 'thisUpdate');
  const nextUpdate =
    fields[i] !== undefined && (fields[i]!.tag === Tag.UtcTime || fields[i]!.tag === Tag.GeneralizedTime)
      ? der.time(fields[i++], 'nextUpdate')
      : null;

  const revoked: RevokedCertificate[] = [];
  if (fields[i]?.tag === Tag.Sequence) {
    der.forEachChild(fields[i++]!, (entry) => {
      if (revoked.length === maxEntries) throw new PkiError('Crl.TooLarge', { detail: `more than ${maxEntries} revoked certificates` });
      revoked.push(readEntry(der, entry));
    });
  }
  let crlNumber: string | null = null;
  let authorityKeyId: string | null = null;
  if (fields[i]?.tag === contextTag(0, true)) {
    for (const [oid, ext] of readExtensionList(der, der.inner(fields[i++]!))) {
      if (oid === Oid.crlNumber) {
        crlNumber = readCrlNumber(der, ext.value);
      } else if (oid === Oid.authorityKeyIdentifier) {
        const keyId = der.sequence(der.inner(ext.value), 'authorityKeyIdentifier', 0, 3).find((f) => f.tag === contextTag(0, false));
        authorityKeyId = keyId === undefined ? null : Buffer.from(der.content(keyId)).toString('hex');
      } else if (ext.critical) {
        der.fail(`unsupported critical CRL extension ${oid}`);
      }
    }
  }
  if (i !== fields.length) der.fail('unexpected fields in tbsCertList');
  if (Buffer.compare(der.raw(innerAlgorithm), der.raw(algorithmNode!)) !== 0) der.fail('signature algorithm fields disagree');
  der.bitString(signatureNode, 'signature');

  return {
    der: bytes,
    issuer: { dn: formatName(issuer), raw: issuer.der },
    thisUpdate,
    nextUpdate,
    crlNumber,
    authorityKeyId,
    signatureAlgorithm: readSignatureAlgorithm(der, algorithmNode).name,
    revoked,
  };
}

// RFC 5280 5.2.3: a CRL number is a non-negative INTEGER of at most 20 octets.
const maxCrlNumberOctets = 20;

/**
 * The cRLNumber as a decimal string. A negative number (two's complement with the top bit
 * set, which reading the bytes as unsigned would turn into a huge positive one) or one longer
 * than 20 octets is `Crl.InvalidNumber`: either would let a CRL claim to be newer than any.
 */
function readCrlNumber(der: DerReader, value: DerNode): string {
  const content = der.integer(der.inner(value), 'cRLNumber');
  if ((content[0]! & 0x80) !== 0) throw new PkiError('Crl.InvalidNumber', { detail: 'the CRL number is negative' });
  const magnitude = content[0] === 0 ? content.subarray(1) : content;
  if (magnitude.length > maxCrlNumberOctets) {
    throw new PkiError('Crl.InvalidNumber', { detail: `the CRL number has ${magnitude.length} octets, at most ${maxCrlNumberOctets}` });
  }
  return magnitude.length === 0 ? '0' : BigInt(`0x${Buffer.from(magnitude).toString('hex')}`).toString();
}

function readEntry(der: DerReader, entry: DerNode): RevokedCertificate {
  const [serialNode, dateNode, extensionsNode] = der.sequence(entry, 'revoked certificate', 2, 3);
  let reason: RevocationReason | null = null;
  if (extensionsNode !== undefined) {
    const reasonCode = readExtensionList(der, extensionsNode).get(Oid.crlReason);
    if (reasonCode !== undefined) {
      const value = revocationReasons[der.smallInteger(der.inner(reasonCode.value), 'reasonCode', Tag.Enumerated)];
      if (value === undefined || value === null) der.fail('unknown reasonCode');
      reason = value;
    }
  }
  return {
    serialNumber: serialHex(der.integer(serialNode, 'serial number')),
    revocationDate: der.time(dateNode, 'revocationDate'),
    reason,
  };
}

/**
 * Checks that `crl` is in force at `now` (RFC 5280 5.1.2.4–5): `Crl.NotYetValid` when its
 * thisUpdate is later than `now` plus `skewMs` (default one minute, for an issuer whose clock
 * runs a little ahead), `Crl.Expired` when its nextUpdate is at or before `now`. A CRL without
 * nextUpdate (RFC 5280 requires one, some issuers omit it) never expires by this check.
 */
export function checkCrlCurrent(crl: CertificateRevocationList, now: Date, skewMs: number = clockSkewAllowanceMs): void {
  if (crl.thisUpdate.getTime() > now.getTime() + skewMs) {
    throw new PkiError('Crl.NotYetValid', { detail: `thisUpdate is ${crl.thisUpdate.toISOString()}` });
  }
  if (crl.nextUpdate !== null && crl.nextUpdate.getTime() <= now.getTime()) {
    throw new PkiError('Crl.Expired', { detail: `nextUpdate was ${crl.nextUpdate.toISOString()}` });
  }
}

/** Why a CRL's signature check failed. */
export type CrlSignatureFailure = 'issuer_mismatch' | 'not_crl_signer' | 'unsupported_signature' | 'bad_signature';

/**
 * Checks that `crl` was signed by `caCertificate` (PEM or DER): the CRL's issuer must match
 * the CA's subject (`issuer_mismatch`), the CA's keyUsage, if present, must allow cRLSign
 * (`not_crl_signer`), the algorithm must be known and not MD5/SHA-1 (`unsupported_signature`)
 * and the signature must verify with the CA key (`bad_signature`). Reads only the CRL's outer
 * structure, so it is cheap even for large CRLs. Throws `Certificate.*` for an unreadable CA.
 */
export function verifyCrlSignature(
  crl: CertificateRevocationList,
  caCertificate: string | Uint8Array,
): { readonly ok: true } | { readonly ok: false; readonly reason: CrlSignatureFailure } {
  const ca = parseCertificate(caCertificate);
  const issuerReader = new DerReader(crl.issuer.raw, 'Crl.Malformed');
  const issuer = readName(issuerReader, issuerReader.root(), 'issuer');
  if (nameMatchKey(issuer) !== nameMatchKey(ca.subject)) return { ok: false, reason: 'issuer_mismatch' };
  if (ca.extensions.keyUsage !== null && !ca.extensions.keyUsage.has('cRLSign')) return { ok: false, reason: 'not_crl_signer' };
  const der = new DerReader(crl.der, 'Crl.Malformed');
  const [tbsNode, algorithmNode, signatureNode] = der.sequence(der.root(), 'CRL', 3, 3);
  const algorithm = readSignatureAlgorithm(der, algorithmNode);
  if (algorithm.strength !== 'acceptable') return { ok: false, reason: 'unsupported_signature' };
  const publicKey = crypto.createPublicKey({ key: Buffer.from(ca.publicKey.spki), format: 'der', type: 'spki' });
  const signature = der.bitString(signatureNode, 'signature').bytes;
  return verifySignature(algorithm, der.raw(tbsNode!), signature, publicKey) ? { ok: true } : { ok: false, reason: 'bad_signature' };
}
