import { X509Certificate } from 'node:crypto';
import { createCertificateAuthority, createTrustStore, issueClientCertificate, loadIssuingCa, localCaSigner } from '@portcullis/pki';
import { NO_CLIENT_CERT } from '@portcullis/waf';
import { describe, expect, it } from 'vitest';
import { buildRequestFacts, connectionCertificate, NO_CONNECTION_CERTIFICATE, requestCertificateFacts } from './index.ts';

describe('facts', () => {
  it('gives one certificate the same facts as PEM (the rule tester) and as DER (the edge)', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Bound CA' } });
    const issuer = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKey));
    const cert = await issueClientCertificate(issuer, { keyType: 'ec-p256', commonName: 'alice' });
    const trust = createTrustStore([{ id: 'ca_1', certificate: ca.certificatePem }]);
    const now = new Date();
    const der = new X509Certificate(cert.certificatePem).raw;
    const fromPem = connectionCertificate(cert.certificatePem, trust, now);
    expect(connectionCertificate(der, trust, now)).toEqual(fromPem);
    expect(fromPem).toMatchObject({ caId: 'ca_1', facts: { presented: true, chainVerified: true, subjectDn: 'CN=alice', error: '' } });
    // No CAs bound: the edge asks for no certificate there, so there are no certificate facts.
    expect(connectionCertificate(der, undefined, now)).toBe(NO_CONNECTION_CERTIFICATE);
    const stranger = await createCertificateAuthority({ subject: { commonName: 'Bound CA' } });
    const elsewhere = createTrustStore([{ id: 'ca_2', certificate: stranger.certificatePem }]);
    expect(connectionCertificate(der, elsewhere, now).facts).toMatchObject({ presented: true, chainVerified: false, error: 'untrusted' });
    const garbage = connectionCertificate(new Uint8Array([1, 2, 3]), trust, now);
    expect(garbage.facts).toMatchObject({ presented: true, chainVerified: false, error: 'untrusted' });
    expect(garbage.facts.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    const seconds = Math.floor(now.getTime() / 1000);
    expect(requestCertificateFacts(fromPem, () => false, seconds)).toBe(fromPem.facts);
    expect(requestCertificateFacts(fromPem, () => true, seconds)).toMatchObject({ chainVerified: true, revoked: true, error: 'revoked' });
    expect(requestCertificateFacts(fromPem, () => false, fromPem.facts.notAfter + 1)).toMatchObject({
      chainVerified: false,
      error: 'expired',
    });
  });

  it('splits the target at the first `?` and reads the headers once, only when asked', () => {
    let reads = 0;
    const facts = buildRequestFacts({
      host: 'a.example.com',
      method: 'POST',
      target: '/p/q?x=1?y',
      userAgent: 'ua',
      headers: () => {
        reads++;
        return { accept: ['*/*'] };
      },
      sourceIp: '192.0.2.1',
      tls: true,
      clientCert: NO_CLIENT_CERT,
    });
    expect(facts).toMatchObject({ path: '/p/q', query: 'x=1?y', method: 'POST', host: 'a.example.com' });
    expect(reads).toBe(0);
    expect(facts.headers.accept).toEqual(['*/*']);
    expect(facts.headers.accept).toEqual(['*/*']);
    expect(reads).toBe(1);
    expect(buildRequestFacts({ ...facts, target: '/only', headers: () => ({}) })).toMatchObject({ path: '/only', query: '' });
  });
});
