import { DerReader } from './asn1/der-reader.ts';
import { contextTag } from './asn1/der-tag.ts';
import { readOneDer } from './der-input.ts';
import type { DerInputRules } from './der-input.ts';
import { readName } from './distinguished-name.ts';
import type { DistinguishedName } from './distinguished-name.ts';
import { readPublicKeyInfo } from './key-algorithm.ts';
import type { PublicKeyInfo } from './key-algorithm.ts';
import type { PkiErrorCode } from './pki-error.ts';
import { readSignatureAlgorithm } from './signature-algorithm.ts';
import type { SignatureAlgorithm } from './signature-algorithm.ts';
import { readCertificateExtensions, readExtensionList } from './x509-extensions.ts';
import type { CertificateExtensions } from './x509-extensions.ts';

/** An X.509 certificate as libs/pki works with it internally. Byte fields are views into `der`. */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  /** The exact signed bytes (TBSCertificate). */
  readonly tbs: Uint8Array;
  readonly version: number;
  /** The serial's INTEGER content (two's complement, as encoded). */
  readonly serial: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: PublicKeyInfo;
  readonly extensions: CertificateExtensions;
}

/**
 * The bound on a certificate's DER size. Real client and CA certificates are 0.5–4 KiB;
 * 32 KiB leaves room for long SAN lists while refusing padding tricks.
 */
export const maxCertificateDerBytes = 32 * 1024;

/** How a certificate is read from user input when the caller has no stricter rules. */
const certificateInput: DerInputRules = {
  labels: ['CERTIFICATE'],
  maxDerBytes: maxCertificateDerBytes,
  malformed: 'Certificate.Malformed',
  tooLarge: 'Certificate.TooLarge',
  multiple: 'Certificate.MultipleCertificates',
};

/**
 * Parses one certificate from PEM or DER under `rules`. Every structural problem is a
 * PkiError with `rules.malformed`; nothing is verified here (no signature, no time).
 */
export function parseCertificate(input: string | Uint8Array, rules: DerInputRules = certificateInput): ParsedCertificate {
  return parseCertificateDer(readOneDer(input, rules), rules.malformed);
}

/** Parses DER bytes known to hold one certificate; problems are PkiErrors with `code`. */
export function parseCertificateDer(bytes: Uint8Array, code: PkiErrorCode = 'Certificate.Malformed'): ParsedCertificate {
  const der = new DerReader(bytes, code);
  const [tbsNode, outerAlgorithm, signatureNode] = der.sequence(der.root(), 'certificate', 3, 3);
  const fields = der.sequence(tbsNode, 'tbsCertificate', 6, 10);
  let i = 0;
  let version = 1;
  if (fields[0]!.tag === contextTag(0, true)) {
    version = der.smallInteger(der.inner(fields[i++]!), 'version') + 1;
    if (version < 1 || version > 3) der.fail(`unsupported version ${version}`);
  }
  const serial = der.integer(fields[i++], 'serial number');
  const innerAlgorithm = fields[i++]!;
  const issuer = readName(der, fields[i++], 'issuer');
  const [notBefore, notAfter] = der.sequence(fields[i++], 'validity', 2, 2);
  const subject = readName(der, fields[i++], 'subject');
  const publicKey = readPublicKeyInfo(der, fields[i++]);
  // issuerUniqueID [1] and subjectUniqueID [2] are obsolete; they are skipped, not refused.
  while (
    fields[i]?.tag === contextTag(1, false) ||
    fields[i]?.tag === contextTag(2, false) ||
    fields[i]?.tag === contextTag(1, true) ||
    fields[i]?.tag === contextTag(2, true)
  )
    i++;
  let extensions: CertificateExtensions = emptyExtensions;
  if (fields[i]?.tag === contextTag(3, true)) {
    if (version !== 3) der.fail('extensions in a certificate that is not version 3');
    extensions = readCertificateExtensions(der, readExtensionList(der, der.inner(fields[i++]!)));
  }
  if (i !== fields.length) der.fail('unexpected fields after the extensions');

  // The signed algorithm and the outer one must agree byte for byte (RFC 5280 4.1.1.2):
  // otherwise what is verified is not what the certificate claims.
  if (Buffer.compare(der.raw(innerAlgorithm), der.raw(outerAlgorithm!)) !== 0) der.fail('signature algorithm fields disagree');
  const signature = der.bitString(signatureNode, 'signature');
  if (signature.unusedBits !== 0) der.fail('signature is not a whole number of bytes');
  return {
    der: bytes,
    tbs: der.raw(tbsNode!),
    version,
    serial,
    signatureAlgorithm: readSignatureAlgorithm(der, outerAlgorithm),
    signature: signature.bytes,
    issuer,
    subject,
    notBefore: der.time(notBefore, 'notBefore'),
    notAfter: der.time(notAfter, 'notAfter'),
    publicKey,
    extensions,
  };
}

const emptyExtensions: CertificateExtensions = {
  basicConstraints: null,
  keyUsage: null,
  extendedKeyUsage: null,
  subjectKeyId: null,
  authorityKeyId: null,
  subjectAltNames: { dns: [], ip: [], email: [], uri: [] },
};
