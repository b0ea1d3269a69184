import type { IssuingCa } from '../issuing-ca.ts';
import type { KeyAlgorithm } from '../key-algorithm.ts';
import type { KeyUsageName } from '../x509-extensions.ts';

/** The facts of an issuance request that policies judge. */
export interface IssuanceRequestFacts {
  /** Whether the system generates the key, the user sent a CSR, or a bare public key (authenticated otherwise). */
  readonly source: 'system-key' | 'csr' | 'public-key';
  /** The common name given, else the CSR's; null when neither has one. */
  readonly commonName: string | null;
  readonly validityDays: number;
  /** The subject key: from the requested key type, the verified CSR or the given public key. */
  readonly keyAlgorithm: KeyAlgorithm;
}

/** What every policy sees: the CA, the issuance time and the request. Read-only. */
export interface IssuanceContext {
  readonly ca: IssuingCa;
  readonly now: Date;
  readonly request: IssuanceRequestFacts;
}

/**
 * The certificate being shaped: modifiers fill it in, enforcers bound it, then it is encoded
 * and signed. Times are whole seconds. Fields not listed here are fixed by the profile: the
 * issuer and AKI come from the CA, the public key and SKI from the subject key, and
 * basicConstraints is always CA:FALSE.
 */
export interface CertificateTemplate {
  commonName: string;
  /** Magnitude of a positive serial number. */
  serialNumber: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** Written when non-empty. */
  keyUsage: KeyUsageName[];
  /** OIDs; written when non-empty. */
  extendedKeyUsage: string[];
}

/**
 * One step of the issuance pipeline, modelled on smallstep's sign options. All validators
 * run first (they judge the request and throw a PkiError to refuse it, before any key is
 * generated), then all modifiers (they fill in the template), then all enforcers (they bound
 * the finished template, whatever the modifiers did). Within a kind, policies run in order.
 */
export type IssuancePolicy =
  | { readonly kind: 'validator'; readonly name: string; validate(context: IssuanceContext): void }
  | { readonly kind: 'modifier'; readonly name: string; modify(template: CertificateTemplate, context: IssuanceContext): void }
  | { readonly kind: 'enforcer'; readonly name: string; enforce(template: CertificateTemplate, context: IssuanceContext): void };

/** Runs the validators of `policies`, in order. */
export function runValidators(policies: readonly IssuancePolicy[], context: IssuanceContext): void {
  for (const policy of policies) if (policy.kind === 'validator') policy.validate(context);
}

/** Runs the modifiers of `policies` on `template`, in order. */
export function runModifiers(policies: readonly IssuancePolicy[], template: CertificateTemplate, context: IssuanceContext): void {
  for (const policy of policies) if (policy.kind === 'modifier') policy.modify(template, context);
}

/** Runs the enforcers of `policies` on `template`, in order. */
export function runEnforcers(policies: readonly IssuancePolicy[], template: CertificateTemplate, context: IssuanceContext): void {
  for (const policy of policies) if (policy.kind === 'enforcer') policy.enforce(template, context);
}
