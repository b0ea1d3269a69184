import type { CertificateInfo } from '@portcullis/pki';
import type { CertificateFacts } from './entities.ts';

/** The stored, API-facing facts of a certificate, from libs/pki's inspection. */
export function factsOf(info: CertificateInfo): CertificateFacts {
  const san = info.subjectAltNames;
  return {
    commonName: info.commonName ?? '',
    subjectDn: info.subject,
    issuerDn: info.issuer,
    serialNumber: info.serialNumber,
    fingerprintSha256: info.fingerprintSha256,
    signatureAlgorithm: info.signatureAlgorithm,
    pubkeyAlgorithm: info.keyAlgorithm.name,
    san: [
      ...san.dns.map((d) => `DNS:${d}`),
      ...san.ip.map((i) => `IP:${i}`),
      ...san.email.map((e) => `email:${e}`),
      ...san.uri.map((u) => `URI:${u}`),
    ],
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    subjectKeyId: info.subjectKeyId ?? undefined,
  };
}
