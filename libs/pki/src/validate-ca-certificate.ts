import { describeCertificate } from './certificate-info.ts';
import type { CertificateInfo } from './certificate-info.ts';
import { assessKey } from './key-algorithm.ts';
import type { KeyAlgorithm, KeyProblem } from './key-algorithm.ts';
import { encodePem } from './pem.ts';
import { parseCertificate } from './parse-certificate.ts';
import { PkiError } from './pki-error.ts';
import type { PkiErrorCode } from './pki-error.ts';

/** A CA certificate that passed {@link validateCaCertificate}. */
export interface ValidatedCaCertificate {
  /** The certificate re-encoded as one clean PEM block (explanatory text dropped). */
  readonly certificatePem: string;
  readonly certificateDer: Uint8Array;
  readonly info: CertificateInfo;
}

/** The most PEM text an upload may be: one certificate with room for explanatory text. */
export const maxCaUploadPemChars = 16 * 1024;
/** The most DER a CA certificate may be. */
export const maxCaCertificateDerBytes = 8 * 1024;

const keyProblemCodes: Readonly<Record<KeyProblem['problem'], PkiErrorCode>> = {
  too_weak: 'CaCertificate.WeakKey',
  too_large: 'CaCertificate.UnsupportedKey',
  unsupported_curve: 'CaCertificate.UnsupportedKey',
  unsupported_algorithm: 'CaCertificate.UnsupportedKey',
};

/**
 * The key policy for a CA to trust (`assessKey`, Ed25519 allowed): `CaCertificate.WeakKey`
 * for RSA under 2048 bits, `CaCertificate.UnsupportedKey` for any other refusal.
 */
export function requireAcceptableCaKey(algorithm: KeyAlgorithm, what?: string): void {
  const problem = assessKey(algorithm, { allowEd25519: true });
  if (problem !== null) {
    throw new PkiError(keyProblemCodes[problem.problem], { detail: what === undefined ? problem.detail : `${what}: ${problem.detail}` });
  }
}

/**
 * Validates a user-uploaded client CA certificate, checking in this order, each failure a
 * distinct PkiError code:
 * - `CaCertificate.Empty`: nothing but whitespace;
 * - `CaCertificate.TooLarge`: over 16 KiB of PEM text or 8 KiB of DER;
 * - `CaCertificate.Malformed`: not PEM, not base64, a block that is not a CERTIFICATE
 *   (a private key pasted by mistake), or DER that is not an X.509 certificate;
 * - `CaCertificate.MultipleCertificates`: more than one CERTIFICATE block. A bundle is
 *   refused rather than trimmed to its first certificate: which one the user meant to trust
 *   (root or intermediate) cannot be guessed, and silently trusting one of several is how a
 *   wrong CA ends up bound to a hostname. Each CA is uploaded on its own;
 * - `CaCertificate.NotCa`: no basicConstraints CA:TRUE (a leaf uploaded as a CA);
 * - `CaCertificate.NoKeyCertSign`: keyUsage absent or without keyCertSign (RFC 5280 requires
 *   keyUsage in CA certificates);
 * - `CaCertificate.WeakKey`: RSA under 2048 bits;
 * - `CaCertificate.UnsupportedKey`: anything but RSA 2048–8192, EC P-256/P-384/P-521 or Ed25519;
 * - `CaCertificate.WeakSignature`: signed with MD2, MD5 or SHA-1;
 * - `CaCertificate.UnsupportedSignature`: a signature algorithm libs/pki does not know;
 * - `CaCertificate.NotYetValid` / `CaCertificate.Expired`: outside its validity at `now`.
 * The self-signature of a root is not checked: trusting it is the user's decision, and its
 * signature proves nothing more.
 */
export function validateCaCertificate(pem: string, options: { readonly now?: Date } = {}): ValidatedCaCertificate {
  if (pem.trim().length === 0) throw new PkiError('CaCertificate.Empty');
  if (pem.length > maxCaUploadPemChars) {
    throw new PkiError('CaCertificate.TooLarge', { detail: `${pem.length} characters, at most ${maxCaUploadPemChars} accepted` });
  }
  const cert = parseCertificate(pem, {
    labels: ['CERTIFICATE'],
    maxDerBytes: maxCaCertificateDerBytes,
    malformed: 'CaCertificate.Malformed',
    tooLarge: 'CaCertificate.TooLarge',
    multiple: 'CaCertificate.MultipleCertificates',
  });
  const { basicConstraints, keyUsage } = cert.extensions;
  if (basicConstraints?.ca !== true) throw new PkiError('CaCertificate.NotCa');
  if (keyUsage === null || !keyUsage.has('keyCertSign')) throw new PkiError('CaCertificate.NoKeyCertSign');
  requireAcceptableCaKey(cert.publicKey.algorithm);
  const signature = cert.signatureAlgorithm;
  if (signature.strength === 'weak') throw new PkiError('CaCertificate.WeakSignature', { detail: signature.name });
  if (signature.strength === 'unknown') throw new PkiError('CaCertificate.UnsupportedSignature', { detail: signature.name });
  const now = (options.now ?? new Date()).getTime();
  if (now < cert.notBefore.getTime())
    throw new PkiError('CaCertificate.NotYetValid', { detail: `valid from ${cert.notBefore.toISOString()}` });
  if (now > cert.notAfter.getTime()) throw new PkiError('CaCertificate.Expired', { detail: `expired at ${cert.notAfter.toISOString()}` });
  return { certificatePem: encodePem('CERTIFICATE', cert.der), certificateDer: cert.der, info: describeCertificate(cert) };
}
