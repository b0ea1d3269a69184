import crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { describeCertificate } from './certificate-info.ts';
import type { CertificateInfo } from './certificate-info.ts';
import { keyIdentifier } from './certificate-encoder.ts';
import { assessKey } from './key-algorithm.ts';
import { readPrivateKeyPem } from './key-pair.ts';
import { encodePem } from './pem.ts';
import { parseCertificate } from './parse-certificate.ts';
import { PkiError } from './pki-error.ts';
import { verifySignature } from './signature-algorithm.ts';
import type { SigningAlgorithm } from './signature-algorithm.ts';

/**
 * What issuance needs from a CA private key: signatures, nothing else. A key manager
 * implements it (a KMS, an HSM, or an in-process key it decrypted), so CA keys are never
 * handed around in clear.
 */
export interface CaKeySigner {
  /**
   * Signs `data` with the CA key and SHA-256: a DER ECDSA signature for an EC key, a PKCS#1
   * v1.5 signature for an RSA key. Must not retain or alter `data`. May be called concurrently.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/**
 * A {@link CaKeySigner} over a private key held in this process (a KeyObject or PKCS#8/SEC1/
 * PKCS#1 PEM). Signing is synchronous underneath: an ECDSA signature costs ~40 µs, less than
 * a thread-pool round trip. Throws `Key.Malformed` for an unreadable PEM.
 */
export function localCaSigner(privateKey: KeyObject | string): CaKeySigner {
  const key = typeof privateKey === 'string' ? readPrivateKeyPem(privateKey) : privateKey;
  return {
    sign: (data) => Promise.resolve(crypto.sign('sha256', data, key)),
  };
}

/** A CA certificate paired with a signer for its key, checked and ready to issue. */
export interface IssuingCa {
  readonly certificatePem: string;
  readonly info: CertificateInfo;
  readonly signer: CaKeySigner;
  /** Chosen by the CA key type: SHA-256 with ECDSA or with RSA PKCS#1 v1.5. */
  readonly signingAlgorithm: SigningAlgorithm;
  /** The CA's subject Name encoding, copied byte for byte into issued certificates' issuer. */
  readonly subjectDer: Uint8Array;
  /** Put into the authorityKeyIdentifier of issued certificates. */
  readonly subjectKeyId: Uint8Array;
}

/**
 * Pairs a CA certificate (PEM or DER) with the signer of its key. Checks that the certificate
 * is a CA allowed to sign certificates (`IssuingCa.NotCa`), that its key is EC or RSA and
 * passes the key policy of `assessKey` (`IssuingCa.UnsupportedKey`), and — with one probe
 * signature verified against the certificate — that the signer really holds that key
 * (`IssuingCa.KeyMismatch`). Validity
 * in time is checked per issuance, not here. Parse failures are `Certificate.*` errors.
 */
export async function loadIssuingCa(certificate: string | Uint8Array, signer: CaKeySigner): Promise<IssuingCa> {
  const cert = parseCertificate(certificate);
  const { basicConstraints, keyUsage } = cert.extensions;
  if (basicConstraints?.ca !== true) throw new PkiError('IssuingCa.NotCa', { detail: 'basicConstraints CA:TRUE is missing' });
  if (keyUsage !== null && !keyUsage.has('keyCertSign')) throw new PkiError('IssuingCa.NotCa', { detail: 'keyUsage lacks keyCertSign' });
  const type = cert.publicKey.algorithm.type;
  if (type !== 'ec' && type !== 'rsa') throw new PkiError('IssuingCa.UnsupportedKey', { detail: cert.publicKey.algorithm.name });
  // The one key policy holds for what signs, too: no certificate is issued under a weak CA key.
  const keyProblem = assessKey(cert.publicKey.algorithm, { allowEd25519: false });
  if (keyProblem !== null) throw new PkiError('IssuingCa.UnsupportedKey', { detail: keyProblem.detail });
  const signingAlgorithm: SigningAlgorithm = type === 'ec' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption';

  const probe = crypto.randomBytes(32);
  let signature: Uint8Array;
  try {
    signature = await signer.sign(probe);
  } catch (cause) {
    throw new PkiError('IssuingCa.KeyMismatch', { detail: 'the signer failed to sign', cause });
  }
  const publicKey = crypto.createPublicKey({ key: Buffer.from(cert.publicKey.spki), format: 'der', type: 'spki' });
  const scheme = signingAlgorithm === 'ecdsa-with-SHA256' ? 'ecdsa' : 'rsa-pkcs1';
  if (!verifySignature({ scheme, hash: 'sha256' }, probe, signature, publicKey)) {
    throw new PkiError('IssuingCa.KeyMismatch');
  }
  return {
    certificatePem: encodePem('CERTIFICATE', cert.der),
    info: describeCertificate(cert),
    signer,
    signingAlgorithm,
    subjectDer: cert.subject.der,
    subjectKeyId: cert.extensions.subjectKeyId ?? keyIdentifier(cert.publicKey.keyBits),
  };
}
