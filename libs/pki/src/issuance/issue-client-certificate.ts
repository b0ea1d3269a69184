import type { KeyObject } from 'node:crypto';
import type { CertificateInfo } from '../certificate-info.ts';
import { commonNameOf } from '../distinguished-name.ts';
import type { IssuingCa } from '../issuing-ca.ts';
import { keyTypeAlgorithm } from '../key-pair.ts';
import type { KeyType } from '../key-pair.ts';
import { verifyCsr } from '../parse-csr.ts';
import { clientCertificatePolicies } from './client-certificate-policies.ts';
import { runValidators } from './issuance-policy.ts';
import type { IssuanceContext, IssuancePolicy } from './issuance-policy.ts';
import { signLeaf, subjectKeyOf } from './sign-leaf.ts';
import { subjectPublicKeyInfo } from './subject-key.ts';

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

  const { subjectKey, privateKeyPem } = await subjectKeyOf(
    subject.source === 'csr'
      ? { key: subject.csr.publicKeyInfo }
      : subject.source === 'public-key'
        ? { key: subject.key }
        : { keyType: subject.keyType },
  );
  const leaf = await signLeaf(policies, context, subjectKey);
  return {
    certificatePem: leaf.certificatePem,
    certificateDer: leaf.certificateDer,
    privateKeyPem,
    info: leaf.info,
    validityDays,
    clampedToCaValidity: leaf.clampedToCaValidity,
  };
}
