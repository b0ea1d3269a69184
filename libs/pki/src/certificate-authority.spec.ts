import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from './certificate-authority.ts';
import { expectPkiError } from './test/expect-pki-error.ts';
import { TempDir, openssl } from './test/openssl.ts';

const dayMs = 86_400_000;

describe('createCertificateAuthority', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = new TempDir();
  });
  afterAll(() => dir.remove());

  it('makes a ten-year ECDSA P-256 root with critical CA:TRUE pathlen 0 and keyCertSign + cRLSign', async () => {
    const now = new Date('2030-03-04T05:06:07.890Z');
    const ca = await createCertificateAuthority({
      subject: { commonName: 'Portcullis Client CA', organization: 'Example, Inc.', country: 'DE' },
      now,
    });
    const file = dir.write('ca.pem', ca.certificatePem);
    const text = openssl(['x509', '-in', file, '-noout', '-text']);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(text).toContain('Signature Algorithm: ecdsa-with-SHA256');
    expect(text).toContain('ASN1 OID: prime256v1');
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(text)![1]!;
    expect(/Authority Key Identifier:\s+([0-9A-F:]+)/.exec(text)![1]).toBe(ski);
    expect(ca.info.subjectKeyId).toBe(ski.replace(/:/g, '').toLowerCase());
    // Self-signed and valid at its own creation time, as openssl sees it.
    expect(openssl(['verify', '-attime', String((now.getTime() / 1000) | 0), '-CAfile', file, file])).toContain('OK');
    expect(ca.info.subject).toBe('CN=Portcullis Client CA,O=Example\\, Inc.,C=DE');
    expect(ca.info.issuer).toBe(ca.info.subject);
    expect(ca.info.notBefore).toEqual(new Date('2030-03-04T05:05:07Z'));
    expect(ca.info.notAfter.getTime() - new Date('2030-03-04T05:06:07Z').getTime()).toBe(3650 * dayMs);
    expect(ca.info.keyAlgorithm.name).toBe('EC P-256');
    expect(ca.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    dir.write('ca.key', ca.privateKeyPem);
    expect(openssl(['x509', '-in', file, '-noout', '-pubkey'])).toBe(openssl(['pkey', '-in', dir.path('ca.key'), '-pubout']));
  });

  it('makes an RSA CA signed with sha256WithRSAEncryption, for the validity asked', async () => {
    const ca = await createCertificateAuthority({
      subject: { commonName: 'RSA CA', organizationalUnit: 'Ops' },
      keyType: 'rsa-2048',
      validityDays: 30,
    });
    const text = openssl(['x509', '-noout', '-text'], { input: ca.certificatePem });
    expect(text).toContain('Signature Algorithm: sha256WithRSAEncryption');
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(ca.info.notAfter.getTime() - ca.info.notBefore.getTime()).toBe(30 * dayMs + 60_000);
    expect(ca.info.subject).toBe('CN=RSA CA,OU=Ops');
  });

  it('refuses unacceptable subjects and validity periods', async () => {
    await expectPkiError(createCertificateAuthority({ subject: { commonName: '' } }), 'Subject.InvalidCommonName');
    await expectPkiError(createCertificateAuthority({ subject: { commonName: 'x'.repeat(65) } }), 'Subject.InvalidCommonName');
    await expectPkiError(createCertificateAuthority({ subject: { commonName: 'a\nb' } }), 'Subject.InvalidCommonName');
    await expectPkiError(createCertificateAuthority({ subject: { commonName: 'ok', country: 'Germany' } }), 'Subject.InvalidAttribute');
    await expectPkiError(
      createCertificateAuthority({ subject: { commonName: 'ok', organization: ' padded' } }),
      'Subject.InvalidAttribute',
    );
    await expectPkiError(createCertificateAuthority({ subject: { commonName: 'ok' }, validityDays: 0 }), 'Issuance.InvalidValidity');
    await expectPkiError(createCertificateAuthority({ subject: { commonName: 'ok' }, validityDays: 20_000 }), 'Issuance.InvalidValidity');
  });
});
