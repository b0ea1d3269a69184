import { X509Certificate } from 'node:crypto';
import { inspectCertificate } from '@portcullis/pki';
import type { adminV1 } from '@portcullis/proto';
import type {
  Account,
  AccountCa,
  ApiKey,
  AuditEntry,
  CertificateFacts,
  ClientCertificate,
  CustomCa,
  CustomCaCrl,
  Revocation,
  ServerCertificate,
  Site,
  WafAction,
  WafRule,
} from '../domain/entities.ts';
import { factsOf } from '../domain/certificate-facts.ts';
import type { PageOf } from '../domain/paging.ts';

/**
 * Stored entities as admin API messages. Each message is built field by field, so what a
 * message does not declare (sealed keys, secret hashes, owner ids) cannot reach the wire;
 * absent optional values become proto3's empty defaults.
 */
export const message = {
  pageInfo: (page: PageOf<unknown>): adminV1.PageInfo => ({
    totalCount: page.totalCount,
    pageNumber: page.pageNumber,
    pageSize: page.pageSize,
  }),

  account: (a: Account): adminV1.Account => ({
    id: a.id,
    name: a.name,
    plan: { customCaQuota: a.plan.customCaQuota },
    createdAt: a.createdAt,
  }),

  apiKey: (k: ApiKey): adminV1.ApiKey => ({
    id: k.id,
    accountId: k.accountId,
    name: k.name,
    createdAt: k.createdAt,
    revokedAt: k.revokedAt ?? '',
  }),

  site: (s: Site): adminV1.Site => ({
    id: s.id,
    name: s.name,
    originUrl: s.originUrl,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    forwardClientCert: s.forwardClientCert ?? false,
  }),

  facts: (f: CertificateFacts): adminV1.CertificateFacts => ({
    commonName: f.commonName,
    subjectDn: f.subjectDn,
    issuerDn: f.issuerDn,
    serialNumber: f.serialNumber,
    fingerprintSha256: f.fingerprintSha256,
    signatureAlgorithm: f.signatureAlgorithm,
    pubkeyAlgorithm: f.pubkeyAlgorithm,
    san: [...f.san],
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    subjectKeyId: f.subjectKeyId ?? '',
  }),

  accountCa: (ca: AccountCa): adminV1.GetAccountCaResponse => ({
    id: ca.id,
    certificate: ca.certificatePem,
    facts: message.facts(ca.facts),
  }),

  clientCertificate: (c: ClientCertificate): adminV1.ClientCertificate => ({
    id: c.id,
    siteId: c.siteId,
    status: c.status,
    certificate: c.certificatePem,
    facts: message.facts(c.facts),
    validityDays: c.validityDays,
    keySource: c.keySource,
    caCertificateId: c.caId,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    revokedAt: c.revokedAt ?? '',
  }),

  /**
   * A server certificate with the facts of its leaf. The store keeps only the leaf's
   * fingerprint and validity, so the rest is read from the stored chain (the leaf is its
   * first certificate, checked when it was uploaded).
   */
  serverCertificate: (s: ServerCertificate): adminV1.ServerCertificate => ({
    id: s.id,
    siteId: s.siteId,
    certificate: s.certificatePem,
    hostnames: [...s.hostnames],
    facts: message.facts(factsOf(inspectCertificate(new X509Certificate(s.certificatePem).raw))),
    createdAt: s.createdAt,
  }),

  customCa: (ca: CustomCa): adminV1.ClientCaCertificate => ({
    id: ca.id,
    siteId: ca.siteId,
    name: ca.name,
    certificate: ca.certificatePem,
    facts: message.facts(ca.facts),
    createdAt: ca.createdAt,
  }),

  crl: (crl: CustomCaCrl): adminV1.Crl => ({
    caId: crl.caId,
    crlNumber: crl.crlNumber ?? '',
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate ?? '',
    revokedCount: crl.revokedSerials.length,
    uploadedAt: crl.uploadedAt,
    der: Buffer.from(crl.derBase64, 'base64'),
  }),

  revocation: (r: Revocation): adminV1.Revocation => ({
    caId: r.caId,
    serialNumber: r.serialNumber,
    reason: r.reason ?? '',
    revokedAt: r.revokedAt,
  }),

  auditEntry: (e: AuditEntry): adminV1.AuditEntry => ({
    id: e.id,
    revision: e.revision,
    at: e.at,
    actor: e.actor,
    requestId: e.requestId,
    action: e.action,
    target: { kind: e.target.kind, id: e.target.id },
    details: Object.fromEntries(Object.entries(e.details ?? {}).map(([key, value]) => [key, String(value)])),
  }),

  wafAction: (a: WafAction): adminV1.WafAction =>
    a.type === 'block'
      ? { type: 'block', status: a.status, body: a.body ?? '', contentType: a.contentType ?? '' }
      : { type: a.type, status: 0, body: '', contentType: '' },

  wafRule: (r: WafRule): adminV1.WafRule => ({
    id: r.id,
    name: r.name,
    expression: r.expression,
    action: message.wafAction(r.action),
    enabled: r.enabled,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }),
};
