import { describeCertificate } from '../certificate-info.ts';
import type { CertificateInfo } from '../certificate-info.ts';
import { assembleCertificate, encodeTbsCertificate, keyIdentifier } from '../certificate-encoder.ts';
import { encodeSubject } from '../distinguished-name.ts';
import type { PublicKeyInfo } from '../key-algorithm.ts';
import { encodeKeyPair, generateKeyPair } from '../key-pair.ts';
import type { KeyType } from '../key-pair.ts';
import { encodePem } from '../pem.ts';
import { parseCertificateDer } from '../parse-certificate.ts';
import { PkiError } from '../pki-error.ts';
import {
  encodeAuthorityKeyId,
  encodeBasicConstraints,
  encodeExtendedKeyUsage,
  encodeKeyUsage,
  encodeSubjectKeyId,
} from '../x509-extensions.ts';
import { runEnforcers, runModifiers } from './issuance-policy.ts';
import type { CertificateTemplate, IssuanceContext, IssuancePolicy } from './issuance-policy.ts';

/**
 * The subject's public key: the one given (from a CSR or as is), or a new key of `keyType`,
 * whose PKCS#8 PEM is returned too — the only place it exists.
 */
export async function subjectKeyOf(source: { key: PublicKeyInfo } | { keyType: KeyType }): Promise<{
  subjectKey: PublicKeyInfo;
  privateKeyPem: string | null;
}> {
  if ('key' in source) return { subjectKey: source.key, privateKeyPem: null };
  const encoded = encodeKeyPair(await generateKeyPair(source.keyType));
  return { subjectKey: encoded.publicKeyInfo, privateKeyPem: encoded.privateKeyPem };
}

/** A signed leaf certificate and what its issuance decided. */
export interface SignedLeaf {
  readonly certificatePem: string;
  readonly certificateDer: Uint8Array;
  readonly info: CertificateInfo;
  /** True when an enforcer cut notAfter short (to the CA's own notAfter). */
  readonly clampedToCaValidity: boolean;
}

/**
 * The common end of every leaf issuance, after the validators passed: the modifiers and then
 * the enforcers shape a fresh template, and the certificate is encoded — subject CN only,
 * issuer = the CA's subject (byte-exact), basicConstraints CA:FALSE, the template's keyUsage
 * and extendedKeyUsage (omitted when a policy cleared them: RFC 5280 forbids empty ones),
 * `extensions` (e.g. subjectAltName), SKI and AKI — and signed by the CA's signer.
 * Throws `Issuance.InvalidValidity` when the shaped period is empty.
 */
export async function signLeaf(
  policies: readonly IssuancePolicy[],
  context: IssuanceContext,
  subjectKey: PublicKeyInfo,
  extensions: readonly Uint8Array[] = [],
): Promise<SignedLeaf> {
  const { ca, now } = context;
  const template: CertificateTemplate = {
    commonName: context.request.commonName ?? '',
    serialNumber: new Uint8Array(0),
    notBefore: now,
    notAfter: now,
    keyUsage: [],
    extendedKeyUsage: [],
  };
  runModifiers(policies, template, context);
  const shapedNotAfter = template.notAfter.getTime();
  runEnforcers(policies, template, context);
  // Only extra policies can get here with an empty period, but a certificate that is never
  // valid must not be signed whatever the pipeline holds.
  if (template.notAfter.getTime() <= template.notBefore.getTime()) {
    throw new PkiError('Issuance.InvalidValidity', { detail: 'notAfter is not after notBefore' });
  }
  const tbs = encodeTbsCertificate({
    serial: template.serialNumber,
    signingAlgorithm: ca.signingAlgorithm,
    issuerDer: ca.subjectDer,
    notBefore: template.notBefore,
    notAfter: template.notAfter,
    subjectDer: encodeSubject({ commonName: template.commonName }),
    spki: subjectKey.spki,
    extensions: [
      encodeBasicConstraints(null),
      ...(template.keyUsage.length > 0 ? [encodeKeyUsage(template.keyUsage)] : []),
      ...(template.extendedKeyUsage.length > 0 ? [encodeExtendedKeyUsage(template.extendedKeyUsage)] : []),
      ...extensions,
      encodeSubjectKeyId(keyIdentifier(subjectKey.keyBits)),
      encodeAuthorityKeyId(ca.subjectKeyId),
    ],
  });
  const certificateDer = assembleCertificate(tbs, ca.signingAlgorithm, await ca.signer.sign(tbs));
  return {
    certificatePem: encodePem('CERTIFICATE', certificateDer),
    certificateDer,
    info: describeCertificate(parseCertificateDer(certificateDer)),
    clampedToCaValidity: template.notAfter.getTime() < shapedNotAfter,
  };
}
