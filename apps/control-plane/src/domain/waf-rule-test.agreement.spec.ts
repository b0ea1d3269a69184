import { createCertificateAuthority, issueClientCertificate, loadIssuingCa, localCaSigner } from '@portcullis/pki';
import { factsAgreementCases } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  call,
  createAccount,
  createClientCertificate,
  createSite,
  type TestAccount,
  type TestApp,
  type TestSite,
} from '../../test/support/test-app.ts';

/**
 * The rule tester's half of the agreement with the edge
 * (apps/edge-node/src/decision/tester-agreement.spec.ts runs the same cases through the edge's
 * decision): every case of `factsAgreementCases` through the tester's API.
 */
describe('the rule tester decides the agreement cases as the edge does', () => {
  let t: TestApp;
  let owner: TestAccount;
  let site: TestSite;
  const certificates = new Map<string, string>();

  beforeAll(async () => {
    t = await buildTestApp();
    owner = await createAccount(t);
    site = await createSite(t, owner);
    const bound = await createClientCertificate(t, owner, site.id);
    const revoked = await createClientCertificate(t, owner, site.id);
    const revoke = await call(t.app, owner.apiKey, 'POST', `/v1/sites/${site.id}/client-certificates/${revoked.certificate.id}/revoke`, {
      confirm: true,
    });
    expect(revoke.status, JSON.stringify(revoke.body)).toBe(200);
    const bind = await call(t.app, owner.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/account`, { hostnames: [`secure.${site.name}`] });
    expect(bind.status, JSON.stringify(bind.body)).toBe(200);
    const other = await createCertificateAuthority({ subject: { commonName: 'Other CA' } });
    const issuer = await loadIssuingCa(other.certificatePem, localCaSigner(other.privateKey));
    const mallory = await issueClientCertificate(issuer, { keyType: 'ec-p256', commonName: 'mallory' });
    certificates
      .set('bound', bound.certificate.certificate)
      .set('revoked', revoked.certificate.certificate)
      .set('other-ca', mallory.certificatePem);
  });
  afterAll(async () => t?.close());

  for (const testCase of factsAgreementCases) {
    it(testCase.name, async () => {
      const certificatePem = certificates.get(testCase.certificate);
      const action = testCase.rule.action === 'block' ? { type: 'block', status: 403 } : { type: testCase.rule.action };
      const answer = await call(t.app, owner.apiKey, 'POST', `/v1/sites/${site.id}/waf-rules/test`, {
        expression: testCase.rule.expression,
        action,
        request: {
          host: `${testCase.host}.${site.name}`,
          method: testCase.method,
          uri: testCase.uri,
          headers: testCase.headers,
          ip: testCase.ip,
          ...(certificatePem ? { certificatePem } : {}),
        },
      });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const { decision, clientCert } = answer.body;
      expect({
        action: decision.action,
        logged: decision.logged.length > 0,
        clientCert: {
          presented: clientCert.presented,
          chainVerified: clientCert.chainVerified,
          revoked: clientCert.revoked,
          error: clientCert.error,
        },
      }).toEqual(testCase.expected);
    });
  }
});
