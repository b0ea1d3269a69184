import crypto from 'node:crypto';
import { derBitString, derExplicit, derSequence, derSmallInteger, derTime, derUnsignedInteger } from './asn1/der-writer.ts';
import { encodeSigningAlgorithm } from './signature-algorithm.ts';
import type { SigningAlgorithm } from './signature-algorithm.ts';

/** Everything that goes into a v3 TBSCertificate, already encoded where it is DER. */
export interface TbsCertificateFields {
  /** Magnitude of a positive serial number. */
  readonly serial: Uint8Array;
  readonly signingAlgorithm: SigningAlgorithm;
  /** The issuer's subject Name, byte for byte, so that chaining by name is exact. */
  readonly issuerDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectDer: Uint8Array;
  readonly spki: Uint8Array;
  /** Encoded Extension elements, in the order they should appear. */
  readonly extensions: readonly Uint8Array[];
}

const version3 = derExplicit(0, derSmallInteger(2));

/** The DER of a version 3 TBSCertificate. */
export function encodeTbsCertificate(fields: TbsCertificateFields): Uint8Array {
  return derSequence(
    version3,
    derUnsignedInteger(fields.serial),
    encodeSigningAlgorithm(fields.signingAlgorithm),
    fields.issuerDer,
    derSequence(derTime(fields.notBefore), derTime(fields.notAfter)),
    fields.subjectDer,
    fields.spki,
    derExplicit(3, derSequence(...fields.extensions)),
  );
}

/** The final Certificate: the signed TBS, the algorithm again, and the signature. */
export function assembleCertificate(tbs: Uint8Array, algorithm: SigningAlgorithm, signature: Uint8Array): Uint8Array {
  return derSequence(tbs, encodeSigningAlgorithm(algorithm), derBitString(signature));
}

/**
 * A key identifier for SKI/AKI: SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1).
 * SHA-1 is fine here: the identifier is a lookup hint, not a signature, and this is the value
 * OpenSSL computes for `subjectKeyIdentifier=hash`, so tools agree on it.
 */
export function keyIdentifier(keyBits: Uint8Array): Uint8Array {
  return new Uint8Array(crypto.hash('sha1', keyBits, 'buffer'));
}
