import { Oid } from '../oids.ts';
import { PkiError } from '../pki-error.ts';
import {
  commonNameRequired,
  issuingCaCurrentlyValid,
  randomSerialNumber,
  subjectKeyAcceptable,
  validityFromDays,
  withinIssuerValidity,
} from './client-certificate-policies.ts';
import type { IssuancePolicy } from './issuance-policy.ts';

/** The longest validity a server certificate may ask for: the CA/Browser Forum's 398 days. */
export const maxServerValidityDays = 398;

/** Validity is a whole number of days from 1 to 398: `Issuance.InvalidValidity`. */
const serverValidityDaysInRange: IssuancePolicy = {
  kind: 'validator',
  name: 'server-validity-days-in-range',
  validate({ request }) {
    const days = request.validityDays;
    if (!Number.isInteger(days) || days < 1 || days > maxServerValidityDays) {
      throw new PkiError('Issuance.InvalidValidity', {
        detail: `a server certificate is valid for 1 to ${maxServerValidityDays} whole days`,
      });
    }
  },
};

/**
 * The TLS server profile: extendedKeyUsage serverAuth, keyUsage digitalSignature, plus
 * keyEncipherment for RSA keys (TLS 1.2 RSA key exchange, which servers may still offer).
 */
const serverAuthProfile: IssuancePolicy = {
  kind: 'modifier',
  name: 'server-auth-profile',
  modify(template, { request }) {
    template.keyUsage = request.keyAlgorithm.type === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
    template.extendedKeyUsage = [Oid.serverAuth];
  },
};

/**
 * The default pipeline for server certificates, in order; the subject alternative names are
 * checked before it runs (see `issueServerCertificate`). The common name, key, CA-validity,
 * serial, validity and clamping policies are the client pipeline's own.
 */
export const serverCertificatePolicies: readonly IssuancePolicy[] = [
  commonNameRequired,
  serverValidityDaysInRange,
  subjectKeyAcceptable,
  issuingCaCurrentlyValid,
  randomSerialNumber,
  validityFromDays,
  serverAuthProfile,
  withinIssuerValidity,
];
