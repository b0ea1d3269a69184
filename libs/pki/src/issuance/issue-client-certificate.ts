import type { KeyObject } from 'node:crypto';
import { describeCertificate } from '../certificate-info.ts';
import type { CertificateInfo } from '../certificate-info.ts';
import { assembleCertificate, encodeTbsCertificate, keyIdentifier } from '../certificate-encoder.ts';
import { commonNameOf, encodeSubject } from '../distinguished-name.ts';
import type { IssuingCa } from '../issuing-ca.ts';
import type { PublicKeyInfo } from '../key-algorithm.ts';
import { encodeKeyPair, generateKeyPair, keyTypeAlgorithm } from '../key-pair.ts';
import type { KeyType } from '../key-pair.ts';
import { verifyCsr } from '../parse-csr.ts';
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
import { clientCertificatePolicies } from './client-certificate-policies.ts';
import { subjectPublicKeyInfo } from './subject-key.ts';
import { runEnforcers, runModifiers, runValidators } from './issuance-policy.ts';
import type { CertificateTemplate, IssuanceContext, IssuancePolicy } from './issuance-policy.ts';

/**
 * A request for a client certificate: either the system generates the key (`keyType`, and a
 * `commonName` is required), or the user sends a CSR (`csr`, PEM or DER; `commonName`
 * overrides the CSR's), or a bare public key (`publicKey`, SPKI PEM or a KeyObject) for a
 * caller that authenticated the key's holder some other way (no proof of possession is
 * checked). `validityDays` defaults to 365.
 */
export type ClientCertificateRequest =
  | { readonly keyType: KeyType; readonly commonName: string; readonly validityDays?: number }
  | { readonly csr: string | Uint8Array; readonly commonName?: string; readonly validityDays?: number }
  | { readonly publicKey: string | KeyObject; readonly commonName: string; readonly validityDays?: number };

/** Options of one issuance. */
export interface IssuanceOptions {
  /** Issuance time; default now. */
  readonly now?: Date;
  /** Policies run after the defaults of their kind (validators after validators, …). */
  readonly extraPolicies?: readonly IssuancePolicy[];
}

/** An issued client certificate and, when the system made the key, that key. */
export interface IssuedClientCertificate {
  readonly certificatePem: string;
  readonly certificateDer: Uint8Array;
  /**
   * PKCS#8 PEM of the system-generated key, null for a CSR or a given public key. It exists only in this object:
   * show it once, never store it.
   */
  readonly privateKeyPem: string | null;
  /** The facts of the certificate as issued, including the actual notBefore/notAfter. */
  readonly info: CertificateInfo;
  /** The validity asked for (or defaulted), in days. */
  readonly validityDays: number;
  /** True when notAfter was cut short to the CA's own notAfter. */
  readonly clampedToCaValidity: boolean;
}

const defaultValidityDays = 365;

/**
 * Issues a TLS client certificate from `ca`. The request is resolved (a CSR is parsed and its
 * signature verified), the validators judge it before any key is generated, the modifiers and
 * enforcers shape the template, then the certificate is encoded and signed by the CA's signer
 * with SHA-256 (ECDSA or RSA PKCS#1 v1.5, by CA key type). The result: subject CN only,
 * issuer = CA subject (byte-exact), random 128-bit serial, basicConstraints CA:FALSE and
 * keyUsage (both critical), extendedKeyUsage clientAuth, SKI and AKI.
 *
 * Errors are PkiErrors from the CSR (`Csr.*`, `Key.UnsupportedAlgorithm`), from the policies
 * (`Subject.*`, `Issuance.InvalidValidity`, `Key.*`, `IssuingCa.Expired`/`NotYetValid`, or
 * an extra policy's own), or whatever the CA signer throws.
 */
export async function issueClientCertificate(
  ca: IssuingCa,
  request: ClientCertificateRequest,
  options: IssuanceOptions = {},
): Promise<IssuedClientCertificate> {
  const policies = [...clientCertificatePolicies, ...(options.extraPolicies ?? [])];
  const validityDays = request.validityDays ?? defaultValidityDays;
  const now = options.now ?? new Date();

  const subject =
    'csr' in request
      ? { source: 'csr' as const, csr: verifyCsr(request.csr) }
      : 'publicKey' in request
        ? { source: 'public-key' as const, key: subjectPublicKeyInfo(request.publicKey) }
        : { source: 'system-key' as const, keyType: request.keyType };
  const context: IssuanceContext = {
    ca,
    now,
    request:
      subject.source === 'csr'
        ? {
            source: 'csr',
            commonName: request.commonName ?? commonNameOf(subject.csr.subject),
            validityDays,
            keyAlgorithm: subject.csr.publicKeyInfo.algorithm,
          }
        : subject.source === 'public-key'
          ? { source: 'public-key', commonName: request.commonName ?? null, validityDays, keyAlgorithm: subject.key.algorithm }
          : { source: 'system-key', commonName: request.commonName ?? null, validityDays, keyAlgorithm: keyTypeAlgorithm(subject.keyType) },
  };
  runValidators(policies, context);

  let subjectKey: PublicKeyInfo;
  let privateKeyPem: string | null = null;
  if (subject.source === 'csr') {
    subjectKey = subject.csr.publicKeyInfo;
  } else if (subject.source === 'public-key') {
    subjectKey = subject.key;
  } else {
    const encoded = encodeKeyPair(await generateKeyPair(subject.keyType));
    subjectKey = encoded.publicKeyInfo;
    privateKeyPem = encoded.privateKeyPem;
  }

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
      // An empty keyUsage or extKeyUsage is invalid (RFC 5280); a policy that clears one means "unrestricted".
      ...(template.keyUsage.length > 0 ? [encodeKeyUsage(template.keyUsage)] : []),
      ...(template.extendedKeyUsage.length > 0 ? [encodeExtendedKeyUsage(template.extendedKeyUsage)] : []),
      encodeSubjectKeyId(keyIdentifier(subjectKey.keyBits)),
      encodeAuthorityKeyId(ca.subjectKeyId),
    ],
  });
  const certificateDer = assembleCertificate(tbs, ca.signingAlgorithm, await ca.signer.sign(tbs));
  return {
    certificatePem: encodePem('CERTIFICATE', certificateDer),
    certificateDer,
    privateKeyPem,
    info: describeCertificate(parseCertificateDer(certificateDer)),
    validityDays,
    clampedToCaValidity: template.notAfter.getTime() < shapedNotAfter,
  };
}
