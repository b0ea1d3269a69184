import { Type } from 'typebox';
import type {
  AccountCa,
  CertificateFacts,
  ClientCertificate,
  CustomCa,
  CustomCaCrl,
  Revocation,
  ServerCertificate,
} from '../domain/entities.ts';
import { Timestamp } from './schemas.ts';

/**
 * REST representations of certificates: the stored facts flattened beside the PEM. What is
 * not listed in a schema is never serialised, so envelopes (sealed keys) cannot leak.
 */
const factsFields = {
  commonName: Type.String(),
  subjectDn: Type.String({ description: 'RFC 2253' }),
  issuerDn: Type.String({ description: 'RFC 2253' }),
  serialNumber: Type.String({ description: 'Lower-case hex, no colons' }),
  fingerprintSha256: Type.String(),
  signatureAlgorithm: Type.String(),
  pubkeyAlgorithm: Type.String(),
  san: Type.Array(Type.String()),
  notBefore: Timestamp,
  notAfter: Timestamp,
  subjectKeyId: Type.Optional(Type.String()),
};

export const AccountCaSchema = Type.Object({ id: Type.String(), certificate: Type.String(), createdAt: Timestamp, ...factsFields });

export const ClientCertificateSchema = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  caId: Type.String({ description: 'The issuing CA: the account CA, whose id is the account id' }),
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
  certificate: Type.String(),
  validityDays: Type.Integer(),
  keySource: Type.Union([Type.Literal('system'), Type.Literal('csr')]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  revokedAt: Type.Optional(Timestamp),
  ...factsFields,
});

export const CustomCaSchema = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  name: Type.String(),
  type: Type.Literal('upload'),
  certificate: Type.String(),
  createdAt: Timestamp,
  ...factsFields,
});

export const CrlSchema = Type.Object({
  caId: Type.String(),
  crlNumber: Type.Optional(Type.String()),
  thisUpdate: Timestamp,
  nextUpdate: Type.Optional(Timestamp),
  revokedCount: Type.Integer(),
  uploadedAt: Timestamp,
  crl: Type.String({ description: 'The CRL as uploaded, PEM' }),
});

export const RevocationSchema = Type.Object({
  caId: Type.String(),
  serialNumber: Type.String(),
  source: Type.Union([Type.Literal('manual'), Type.Literal('deleted-certificate')]),
  reason: Type.Optional(Type.String()),
  revokedAt: Timestamp,
});

export const ServerCertificateSchema = Type.Object({
  id: Type.String(),
  siteId: Type.String(),
  certificate: Type.String(),
  hostnames: Type.Array(Type.String()),
  fingerprintSha256: Type.String(),
  notBefore: Timestamp,
  notAfter: Timestamp,
  createdAt: Timestamp,
});

const flat = (facts: CertificateFacts) => ({ ...facts, san: [...facts.san] });

export const present = {
  accountCa: (ca: AccountCa) => ({ id: ca.id, certificate: ca.certificatePem, createdAt: ca.createdAt, ...flat(ca.facts) }),
  clientCertificate: (c: ClientCertificate) => ({
    id: c.id,
    siteId: c.siteId,
    caId: c.caId,
    status: c.status,
    certificate: c.certificatePem,
    validityDays: c.validityDays,
    keySource: c.keySource,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    ...(c.revokedAt ? { revokedAt: c.revokedAt } : {}),
    ...flat(c.facts),
  }),
  customCa: (ca: CustomCa) => ({
    id: ca.id,
    siteId: ca.siteId,
    name: ca.name,
    type: 'upload' as const,
    certificate: ca.certificatePem,
    createdAt: ca.createdAt,
    ...flat(ca.facts),
  }),
  crl: (crl: CustomCaCrl) => ({
    caId: crl.caId,
    ...(crl.crlNumber !== undefined ? { crlNumber: crl.crlNumber } : {}),
    thisUpdate: crl.thisUpdate,
    ...(crl.nextUpdate !== undefined ? { nextUpdate: crl.nextUpdate } : {}),
    revokedCount: crl.revokedSerials.length,
    uploadedAt: crl.uploadedAt,
    crl: pem('X509 CRL', crl.derBase64),
  }),
  revocation: (r: Revocation) => ({
    caId: r.caId,
    serialNumber: r.serialNumber,
    source: r.source,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    revokedAt: r.revokedAt,
  }),
  serverCertificate: (s: ServerCertificate) => ({
    id: s.id,
    siteId: s.siteId,
    certificate: s.certificatePem,
    hostnames: [...s.hostnames],
    fingerprintSha256: s.fingerprintSha256,
    notBefore: s.notBefore,
    notAfter: s.notAfter,
    createdAt: s.createdAt,
  }),
};

function pem(label: string, base64: string): string {
  return `-----BEGIN ${label}-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}
