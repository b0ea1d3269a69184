import type { ClientCertificate, CustomCa } from '../../domain/entities.ts';

/** Certificates in the original product's response shapes (PascalCase, its field names). */
export function clientCertificateResult(c: ClientCertificate) {
  return {
    Id: c.id,
    Name: c.facts.commonName,
    CommonName: c.facts.commonName,
    SAN: c.facts.san.join(','),
    Issuer: c.facts.issuerDn,
    SerialNumber: c.facts.serialNumber,
    FingerprintSha256: c.facts.fingerprintSha256,
    SignatureAlgorithm: c.facts.signatureAlgorithm,
    PubkeyAlgorithm: c.facts.pubkeyAlgorithm,
    NotBefore: c.facts.notBefore,
    NotAfter: c.facts.notAfter,
    Status: c.status,
    CACertificateId: c.caId,
    CreateTime: c.createdAt,
    UpdateTime: c.updatedAt,
  };
}

export function customCaResult(ca: CustomCa) {
  return {
    Id: ca.id,
    Name: ca.name,
    Type: 'upload',
    Status: 'OK',
    CommonName: ca.facts.commonName,
    Issuer: ca.facts.issuerDn,
    SerialNumber: ca.facts.serialNumber,
    FingerprintSha256: ca.facts.fingerprintSha256,
    SignatureAlgorithm: ca.facts.signatureAlgorithm,
    PubkeyAlgorithm: ca.facts.pubkeyAlgorithm,
    NotBefore: ca.facts.notBefore,
    NotAfter: ca.facts.notAfter,
    CreateTime: ca.createdAt,
  };
}
