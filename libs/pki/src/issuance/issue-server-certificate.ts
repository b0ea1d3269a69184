import type { KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import type { CertificateInfo } from '../certificate-info.ts';
import type { IssuingCa } from '../issuing-ca.ts';
import { keyTypeAlgorithm } from '../key-pair.ts';
import type { KeyType } from '../key-pair.ts';
import { PkiError } from '../pki-error.ts';
import { encodeSubjectAltName } from '../x509-extensions.ts';
import { runValidators } from './issuance-policy.ts';
import type { IssuanceContext } from './issuance-policy.ts';
import type { IssuanceOptions } from './issue-client-certificate.ts';
import { serverCertificatePolicies } from './server-certificate-policies.ts';
import { signLeaf, subjectKeyOf } from './sign-leaf.ts';
import { subjectPublicKeyInfo } from './subject-key.ts';

/**
 * A request for a TLS server certificate: the system generates the key (`keyType`) or the
 * caller gives a public key (`publicKey`, SPKI PEM or KeyObject). The names it is valid for
 * are `dnsNames` (lower-cased; exact names or a one-label `*.` wildcard) and `ipAddresses`
 * (IPv4 or IPv6 text); at least one is required. `commonName` defaults to the first DNS name
 * (else the first address); `validityDays` to 90, at most 398.
 */
export type ServerCertificateRequest = ({ readonly keyType: KeyType } | { readonly publicKey: string | KeyObject }) & {
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly commonName?: string;
  readonly validityDays?: number;
};

/** An issued server certificate and, when the system made the key, that key. */
export interface IssuedServerCertificate {
  readonly certificatePem: string;
  readonly certificateDer: Uint8Array;
  /** PKCS#8 PEM of the system-generated key, null for a given public key. */
  readonly privateKeyPem: string | null;
  /** The facts of the certificate as issued, including the actual notBefore/notAfter. */
  readonly info: CertificateInfo;
  readonly validityDays: number;
  /** True when notAfter was cut short to the CA's own notAfter. */
  readonly clampedToCaValidity: boolean;
}

const defaultValidityDays = 90;
const maxNames = 100;

/**
 * Issues a TLS server certificate from `ca`, through the same pipeline shape as client
 * certificates (validators, modifiers, enforcers; `serverCertificatePolicies` then any extra
 * policies). The result: subject CN only, issuer = CA subject (byte-exact), random 128-bit
 * serial, basicConstraints CA:FALSE and keyUsage (both critical), extendedKeyUsage serverAuth,
 * subjectAltName with the DNS names then the IP addresses, SKI and AKI; signed with SHA-256.
 *
 * Errors: `Issuance.InvalidSubjectAltName` (no name, more than 100, or one that is not a DNS
 * name or IP address), then as `issueClientCertificate` (`Subject.*`, `Issuance.InvalidValidity`,
 * `Key.*`, `IssuingCa.Expired`/`NotYetValid`, an extra policy's own, the signer's).
 */
export async function issueServerCertificate(
  ca: IssuingCa,
  request: ServerCertificateRequest,
  options: IssuanceOptions = {},
): Promise<IssuedServerCertificate> {
  const policies = [...serverCertificatePolicies, ...(options.extraPolicies ?? [])];
  const validityDays = request.validityDays ?? defaultValidityDays;
  const now = options.now ?? new Date();
  const dns = (request.dnsNames ?? []).map(checkDnsName);
  const ip = (request.ipAddresses ?? []).map(checkIpAddress);
  if (dns.length + ip.length === 0) throw new PkiError('Issuance.InvalidSubjectAltName', { detail: 'at least one name is required' });
  if (dns.length + ip.length > maxNames) throw new PkiError('Issuance.InvalidSubjectAltName', { detail: `at most ${maxNames} names` });

  const given = 'publicKey' in request ? subjectPublicKeyInfo(request.publicKey) : null;
  const context: IssuanceContext = {
    ca,
    now,
    request: {
      source: given ? 'public-key' : 'system-key',
      commonName: request.commonName ?? dns[0] ?? ip[0]!,
      validityDays,
      keyAlgorithm: given ? given.algorithm : keyTypeAlgorithm((request as { keyType: KeyType }).keyType),
    },
  };
  runValidators(policies, context);

  const { subjectKey, privateKeyPem } = await subjectKeyOf(given ? { key: given } : { keyType: (request as { keyType: KeyType }).keyType });
  const leaf = await signLeaf(policies, context, subjectKey, [encodeSubjectAltName({ dns, ip })]);
  return {
    certificatePem: leaf.certificatePem,
    certificateDer: leaf.certificateDer,
    privateKeyPem,
    info: leaf.info,
    validityDays,
    clampedToCaValidity: leaf.clampedToCaValidity,
  };
}

const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A DNS name, lower-cased: LDH labels, at most 253 characters, or `*.` and at least two labels. */
function checkDnsName(input: string): string {
  const name = input.toLowerCase();
  const wildcard = name.startsWith('*.');
  const labels = (wildcard ? name.slice(2) : name).split('.');
  const ok = name.length <= 253 && labels.every((l) => label.test(l)) && (!wildcard || labels.length >= 2);
  if (!ok) throw new PkiError('Issuance.InvalidSubjectAltName', { detail: `${JSON.stringify(input.slice(0, 80))} is not a DNS name` });
  return name;
}

function checkIpAddress(input: string): string {
  // Zone ids (fe80::1%eth0) mean nothing in a certificate.
  if (isIP(input) === 0 || input.includes('%')) {
    throw new PkiError('Issuance.InvalidSubjectAltName', { detail: `${JSON.stringify(input.slice(0, 80))} is not an IP address` });
  }
  return input;
}
