import crypto from 'node:crypto';
import { commonNameOf, formatName } from './distinguished-name.ts';
import type { KeyAlgorithm } from './key-algorithm.ts';
import { extendedKeyUsageNames } from './oids.ts';
import { decodePem, encodePem } from './pem.ts';
import { maxCertificateDerBytes, parseCertificate, parseCertificateDer } from './parse-certificate.ts';
import { PkiError } from './pki-error.ts';
import type { ParsedCertificate } from './parse-certificate.ts';
import { serialHex } from './serial-number.ts';
import type { KeyUsageName, SubjectAltNames } from './x509-extensions.ts';
import { keyUsageNames } from './x509-extensions.ts';

/**
 * The facts about a certificate that the API returns and the edge logs. Plain data: safe to
 * serialise (dates become ISO strings), holds no key material.
 */
export interface CertificateInfo {
  /** Normalised hex: lowercase, no colons, no leading zero bytes. */
  readonly serialNumber: string;
  /** SHA-256 of the DER encoding, lowercase hex without separators. */
  readonly fingerprintSha256: string;
  /** RFC 2253 string (most significant RDN last), e.g. `CN=alice,O=Example`. */
  readonly subject: string;
  readonly issuer: string;
  /** The subject's most specific commonName, or null if it has none. */
  readonly commonName: string | null;
  readonly subjectAltNames: SubjectAltNames;
  /** Hex of the subjectKeyIdentifier, or null when absent. */
  readonly subjectKeyId: string | null;
  /** Hex of the authorityKeyIdentifier's keyIdentifier, or null when absent. */
  readonly authorityKeyId: string | null;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyAlgorithm: KeyAlgorithm;
  /** OpenSSL's name for it: `ecdsa-with-SHA256`, `sha256WithRSAEncryption`, `rsassaPss`, … */
  readonly signatureAlgorithm: string;
  /** basicConstraints CA:TRUE. */
  readonly isCa: boolean;
  /** keyUsage bits in bit order; null when the extension is absent (no restriction). */
  readonly keyUsage: readonly KeyUsageName[] | null;
  /** Extended key usages by name (`clientAuth`, …) or OID; null when absent (no restriction). */
  readonly extendedKeyUsage: readonly string[] | null;
}

const hexOrNull = (bytes: Uint8Array | null): string | null =>
  bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/** The facts of an already-parsed certificate. */
export function describeCertificate(cert: ParsedCertificate): CertificateInfo {
  const ext = cert.extensions;
  return {
    serialNumber: serialHex(cert.serial),
    fingerprintSha256: crypto.hash('sha256', cert.der, 'hex'),
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    commonName: commonNameOf(cert.subject),
    subjectAltNames: ext.subjectAltNames,
    subjectKeyId: hexOrNull(ext.subjectKeyId),
    authorityKeyId: hexOrNull(ext.authorityKeyId),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    keyAlgorithm: cert.publicKey.algorithm,
    signatureAlgorithm: cert.signatureAlgorithm.name,
    isCa: ext.basicConstraints?.ca === true,
    keyUsage: ext.keyUsage === null ? null : keyUsageNames.filter((u) => ext.keyUsage!.has(u)),
    extendedKeyUsage: ext.extendedKeyUsage === null ? null : ext.extendedKeyUsage.map((oid) => extendedKeyUsageNames.get(oid) ?? oid),
  };
}

/**
 * Reads one certificate (PEM text, PEM bytes or DER) and returns its facts. Nothing is
 * verified: use a trust store for that. Throws PkiError `Certificate.Malformed` (not a
 * certificate, or structurally invalid), `Certificate.TooLarge` (over 32 KiB of DER) or
 * `Certificate.MultipleCertificates` (more than one PEM block).
 */
export function inspectCertificate(input: string | Uint8Array): CertificateInfo {
  return describeCertificate(parseCertificate(input));
}

/** One certificate of a chain: its facts and its PEM, re-encoded as one clean block. */
export interface ChainCertificate {
  readonly info: CertificateInfo;
  readonly pem: string;
}

/** The most PEM text a chain may be: far more than 8 certificates with explanatory text need. */
export const maxChainPemChars = 1024 * 1024;

/**
 * Reads a PEM chain (CERTIFICATE blocks, leaf first) and returns the facts of each, in order;
 * an empty array when the text holds no PEM block at all, so the caller says what it expected.
 * Nothing is verified (no signatures, no time, no key policy). Throws `Certificate.TooLarge`
 * beyond 1 MiB of text or 32 KiB of DER in one certificate, and `Certificate.Malformed` for
 * broken PEM, a block that is not a CERTIFICATE (a private key pasted into the chain is
 * refused, not skipped) or DER that is not a certificate.
 */
export function inspectCertificateChain(text: string): readonly ChainCertificate[] {
  if (text.length > maxChainPemChars) {
    throw new PkiError('Certificate.TooLarge', { detail: `${text.length} characters, at most ${maxChainPemChars} accepted` });
  }
  const decoded = decodePem(text);
  if (!decoded.ok) {
    if (!text.includes('-----')) return [];
    throw new PkiError('Certificate.Malformed', { detail: decoded.problem });
  }
  return decoded.blocks.map((block, i) => {
    if (block.label !== 'CERTIFICATE') {
      throw new PkiError('Certificate.Malformed', { detail: `block ${i + 1} is a ${block.label}, not a CERTIFICATE` });
    }
    if (block.der.length > maxCertificateDerBytes) {
      throw new PkiError('Certificate.TooLarge', { detail: `certificate ${i + 1} has ${block.der.length} bytes of DER` });
    }
    return { info: describeCertificate(parseCertificateDer(block.der)), pem: encodePem('CERTIFICATE', block.der) };
  });
}
