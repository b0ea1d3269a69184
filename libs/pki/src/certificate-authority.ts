import type { KeyObject } from 'node:crypto';
import { describeCertificate } from './certificate-info.ts';
import type { CertificateInfo } from './certificate-info.ts';
import { assembleCertificate, encodeTbsCertificate, keyIdentifier } from './certificate-encoder.ts';
import { encodeSubject } from './distinguished-name.ts';
import type { SubjectInput } from './distinguished-name.ts';
import { localCaSigner } from './issuing-ca.ts';
import { encodeKeyPair, generateKeyPair } from './key-pair.ts';
import type { KeyType } from './key-pair.ts';
import { encodePem } from './pem.ts';
import { parseCertificateDer } from './parse-certificate.ts';
import { PkiError } from './pki-error.ts';
import { randomSerial } from './serial-number.ts';
import { clockSkewAllowanceMs, dayMs, wholeSeconds } from './validity-period.ts';
import type { SigningAlgorithm } from './signature-algorithm.ts';
import { encodeAuthorityKeyId, encodeBasicConstraints, encodeKeyUsage, encodeSubjectKeyId } from './x509-extensions.ts';

/** What a new self-signed CA should look like; every field but the subject has a default. */
export interface CertificateAuthorityOptions {
  readonly subject: SubjectInput;
  /** Default `ec-p256`. */
  readonly keyType?: KeyType;
  /** Default 3650 (ten years); at most 10950 (thirty). */
  readonly validityDays?: number;
  /** The issuance time; default now. Tests use it to make CAs in the past or future. */
  readonly now?: Date;
}

/** A new CA: its certificate, and its private key, which the caller must protect at once. */
export interface CreatedCertificateAuthority {
  readonly certificatePem: string;
  readonly certificateDer: Uint8Array;
  /** PKCS#8 PEM, unencrypted: hand it to the key manager and drop it. */
  readonly privateKeyPem: string;
  readonly privateKey: KeyObject;
  readonly info: CertificateInfo;
}

const maxCaValidityDays = 10_950;

/**
 * Creates a self-signed root CA for client certificates: a fresh key (ECDSA P-256 unless
 * told otherwise), basicConstraints CA:TRUE with pathLen 0 (it issues leaves only) and
 * keyUsage keyCertSign + cRLSign, both critical; subject and authority key identifiers;
 * a random 128-bit serial; validity from one minute before `now` for `validityDays`.
 * Throws `Subject.*` for an unacceptable subject, `Issuance.InvalidValidity` for a validity
 * outside 1–10950 days, `Key.UnsupportedAlgorithm` for an unknown key type.
 */
export async function createCertificateAuthority(options: CertificateAuthorityOptions): Promise<CreatedCertificateAuthority> {
  const validityDays = options.validityDays ?? 3650;
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > maxCaValidityDays) {
    throw new PkiError('Issuance.InvalidValidity', { detail: `a CA is valid for 1 to ${maxCaValidityDays} days` });
  }
  const subjectDer = encodeSubject(options.subject);
  const keys = await generateKeyPair(options.keyType ?? 'ec-p256');
  const { publicKeyInfo: publicKey, privateKeyPem } = encodeKeyPair(keys);
  const keyId = keyIdentifier(publicKey.keyBits);
  const now = wholeSeconds(options.now ?? new Date());
  const signingAlgorithm: SigningAlgorithm = publicKey.algorithm.type === 'ec' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption';
  const tbs = encodeTbsCertificate({
    serial: randomSerial(),
    signingAlgorithm,
    issuerDer: subjectDer,
    notBefore: new Date(now.getTime() - clockSkewAllowanceMs),
    notAfter: new Date(now.getTime() + validityDays * dayMs),
    subjectDer,
    spki: publicKey.spki,
    extensions: [
      encodeBasicConstraints({ pathLength: 0 }),
      encodeKeyUsage(['keyCertSign', 'cRLSign']),
      encodeSubjectKeyId(keyId),
      encodeAuthorityKeyId(keyId),
    ],
  });
  const signature = await localCaSigner(keys.privateKey).sign(tbs);
  const certificateDer = assembleCertificate(tbs, signingAlgorithm, signature);
  return {
    certificatePem: encodePem('CERTIFICATE', certificateDer),
    certificateDer,
    privateKeyPem,
    privateKey: keys.privateKey,
    info: describeCertificate(parseCertificateDer(certificateDer)),
  };
}
