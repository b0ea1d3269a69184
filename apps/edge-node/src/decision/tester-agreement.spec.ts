import { X509Certificate } from 'node:crypto';
import { factsAgreementCases } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfigStore } from '../config/config-store.ts';
import { credentialResource, revocationsResource, siteResource, trustResource, wafResource } from '../test/resources.ts';
import { createTestPki, type TestCertificate, type TestPki } from '../test/test-pki.ts';
import { createConnectionFacts } from './connection-facts.ts';
import { decide } from './decide.ts';

/**
 * The edge's half of the agreement with the control plane's rule tester
 * (apps/control-plane/src/domain/waf-rule-test.agreement.spec.ts runs the same cases there):
 * every case of `factsAgreementCases` through `decide`, as a request on a connection to its
 * hostname would be.
 */
describe('the edge decides the agreement cases as the rule tester does', () => {
  let pki: TestPki;
  const certificates = new Map<string, TestCertificate>();
  let revokedSerial: string;
  let material: { chainPem: string; keyPem: string };
  let caPem: string;

  beforeAll(async () => {
    pki = await createTestPki();
    const [accountCa, otherCa] = await Promise.all([pki.clientCa('Account CA'), pki.clientCa('Other CA')]);
    caPem = accountCa.certificatePem;
    const [bound, revoked, other] = await Promise.all([
      pki.clientCertificate(accountCa, 'alice'),
      pki.clientCertificate(accountCa, 'eve'),
      pki.clientCertificate(otherCa, 'mallory'),
    ]);
    certificates.set('bound', bound).set('revoked', revoked).set('other-ca', other);
    revokedSerial = revoked.serial;
    material = await pki.serverCertificate(['example.com', '*.example.com']);
  });
  afterAll(() => pki.remove());

  for (const testCase of factsAgreementCases) {
    it(testCase.name, () => {
      const store = createConfigStore();
      store.apply('site', [siteResource('s1', 'example.com', 'http://127.0.0.1:9/').resource], []);
      store.apply('credential', [credentialResource('c1', 's1', ['example.com', '*.example.com'], material).resource], []);
      store.apply('trust', [trustResource('s1', { acct_1: caPem }, { 'secure.example.com': ['acct_1'] }).resource], []);
      store.apply('revocations', [revocationsResource('acct_1', [revokedSerial]).resource], []);
      store.apply('waf', [wafResource('s1', [{ id: 'r', ...testCase.rule }]).resource], []);
      const host = `${testCase.host}.example.com`;
      const certificate = certificates.get(testCase.certificate);
      const der = certificate ? new X509Certificate(certificate.chainPem).raw : undefined;
      const connection = createConnectionFacts({
        serverName: host,
        requestedCertificate: testCase.host === 'secure',
        remoteAddress: testCase.ip,
        peerCertificate: () => der,
      });
      const rawHeaders = Object.entries(testCase.headers).flat();
      const outcome = decide(
        store.current,
        connection,
        { requestId: 'r-1', method: testCase.method, target: testCase.uri, rawHeaders },
        new Date(),
      );
      if (outcome.kind === 'refuse') throw new Error(`refused: ${outcome.detail}`);
      expect({
        action: outcome.decision.action,
        logged: outcome.decision.logged.length > 0,
        clientCert: {
          presented: outcome.clientCert.presented,
          chainVerified: outcome.clientCert.chainVerified,
          revoked: outcome.clientCert.revoked,
          error: outcome.clientCert.error,
        },
      }).toEqual(testCase.expected);
    });
  }
});
