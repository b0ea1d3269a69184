import { checkCommonName } from '../distinguished-name.ts';
import { requireAcceptableKey } from '../key-algorithm.ts';
import { Oid } from '../oids.ts';
import { PkiError } from '../pki-error.ts';
import { randomSerial } from '../serial-number.ts';
import { clockSkewAllowanceMs, dayMs, wholeSeconds } from '../validity-period.ts';
import type { IssuancePolicy } from './issuance-policy.ts';

/** The longest validity a client certificate may ask for; the CA's own end bounds it further. */
export const maxClientValidityDays = 3650;

/** A common name is present and acceptable: `Subject.MissingCommonName`, `Subject.InvalidCommonName`. */
export const commonNameRequired: IssuancePolicy = {
  kind: 'validator',
  name: 'common-name-required',
  validate({ request }) {
    if (request.commonName === null) throw new PkiError('Subject.MissingCommonName', { detail: 'the CSR has none and none was given' });
    checkCommonName(request.commonName);
  },
};

/** Validity is a whole number of days from 1 to 3650: `Issuance.InvalidValidity`. */
const validityDaysInRange: IssuancePolicy = {
  kind: 'validator',
  name: 'validity-days-in-range',
  validate({ request }) {
    const days = request.validityDays;
    if (!Number.isInteger(days) || days < 1 || days > maxClientValidityDays) {
      throw new PkiError('Issuance.InvalidValidity', { detail: `validity is 1 to ${maxClientValidityDays} whole days` });
    }
  },
};

/** The subject key is strong and of a supported kind: `Key.TooWeak`, `Key.TooLarge`, `Key.UnsupportedCurve`, `Key.UnsupportedAlgorithm`. */
export const subjectKeyAcceptable: IssuancePolicy = {
  kind: 'validator',
  name: 'subject-key-acceptable',
  validate({ request }) {
    requireAcceptableKey(request.keyAlgorithm, { allowEd25519: false });
  },
};

/** The CA is within its own validity at issuance time: `IssuingCa.Expired`, `IssuingCa.NotYetValid`. */
export const issuingCaCurrentlyValid: IssuancePolicy = {
  kind: 'validator',
  name: 'issuing-ca-currently-valid',
  validate({ ca, now }) {
    if (now.getTime() > ca.info.notAfter.getTime())
      throw new PkiError('IssuingCa.Expired', { detail: `it expired at ${ca.info.notAfter.toISOString()}` });
    if (now.getTime() < ca.info.notBefore.getTime())
      throw new PkiError('IssuingCa.NotYetValid', { detail: `it is valid from ${ca.info.notBefore.toISOString()}` });
  },
};

/** A fresh random 128-bit serial. */
export const randomSerialNumber: IssuancePolicy = {
  kind: 'modifier',
  name: 'random-serial-number',
  modify(template) {
    template.serialNumber = randomSerial();
  },
};

/** Valid from a minute before now (clock skew) until now plus the requested days. */
export const validityFromDays: IssuancePolicy = {
  kind: 'modifier',
  name: 'validity-from-days',
  modify(template, { now, request }) {
    const start = wholeSeconds(now).getTime();
    template.notBefore = new Date(start - clockSkewAllowanceMs);
    template.notAfter = new Date(start + request.validityDays * dayMs);
  },
};

/**
 * The TLS client profile: extendedKeyUsage clientAuth, keyUsage digitalSignature, plus
 * keyEncipherment for RSA keys (TLS 1.2 RSA key exchange clients never use it, but some
 * key stores and old stacks expect it on RSA certificates).
 */
const clientAuthProfile: IssuancePolicy = {
  kind: 'modifier',
  name: 'client-auth-profile',
  modify(template, { request }) {
    template.keyUsage = request.keyAlgorithm.type === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
    template.extendedKeyUsage = [Oid.clientAuth];
  },
};

/**
 * A certificate never outlives its CA (nor starts before it): notAfter is clamped to the CA's
 * notAfter and notBefore to its notBefore. The issuance result reports the clamp.
 */
export const withinIssuerValidity: IssuancePolicy = {
  kind: 'enforcer',
  name: 'within-issuer-validity',
  enforce(template, { ca }) {
    if (template.notAfter.getTime() > ca.info.notAfter.getTime()) template.notAfter = ca.info.notAfter;
    if (template.notBefore.getTime() < ca.info.notBefore.getTime()) template.notBefore = ca.info.notBefore;
  },
};

/**
 * The default pipeline for client certificates, in order. {@link issueClientCertificate}
 * always runs these, then any extra policies its caller adds.
 */
export const clientCertificatePolicies: readonly IssuancePolicy[] = [
  commonNameRequired,
  validityDaysInRange,
  subjectKeyAcceptable,
  issuingCaCurrentlyValid,
  randomSerialNumber,
  validityFromDays,
  clientAuthProfile,
  withinIssuerValidity,
];
