import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../certificate-authority.ts';
import type { CreatedCertificateAuthority } from '../certificate-authority.ts';
import { inspectCertificate } from '../certificate-info.ts';
import { loadIssuingCa, localCaSigner } from '../issuing-ca.ts';
import type { IssuingCa } from '../issuing-ca.ts';
import { expectPkiError } from '../test/expect-pki-error.ts';
import { TempDir, openssl, opensslResult } from '../test/openssl.ts';
import { issueClientCertificate } from './issue-client-certificate.ts';
import { issueServerCertificate } from './issue-server-certificate.ts';
import type { IssuedServerCertificate } from './issue-server-certificate.ts';

const dayMs = 86_400_000;

describe('issueServerCertificate', () => {
  let dir: TempDir;
  const cas = new Map<'ec' | 'rsa', { created: CreatedCertificateAuthority; issuing: IssuingCa; file: string }>();

  beforeAll(async () => {
    dir = new TempDir();
    for (const [kind, keyType] of [
      ['ec', 'ec-p256'],
      ['rsa', 'rsa-2048'],
    ] as const) {
      const created = await createCertificateAuthority({
        subject: { commonName: `Server ${kind} CA`, organization: 'Portcullis' },
        keyType,
      });
      const issuing = await loadIssuingCa(created.certificatePem, localCaSigner(created.privateKeyPem));
      cas.set(kind, { created, issuing, file: dir.write(`ca-${kind}.pem`, created.certificatePem) });
    }
  });
  afterAll(() => dir.remove());

  function verify(file: string, caKind: 'ec' | 'rsa', ...extra: string[]) {
    return opensslResult(['verify', '-CAfile', cas.get(caKind)!.file, ...extra, file]);
  }

  /** openssl's view: a TLS server certificate for exactly these names, and nothing else. */
  function checkWithOpenssl(name: string, issued: IssuedServerCertificate, caKind: 'ec' | 'rsa', rsaLeaf: boolean) {
    const file = dir.write(`${name}.pem`, issued.certificatePem);
    expect(verify(file, caKind, '-purpose', 'sslserver').stdout.trim()).toBe(`${file}: OK`);
    // serverAuth only: the certificate is no client certificate.
    expect(verify(file, caKind, '-purpose', 'sslclient').status).not.toBe(0);
    const text = openssl(['x509', '-in', file, '-noout', '-text']);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(
      rsaLeaf ? /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/ : /X509v3 Key Usage: critical\s+Digital Signature\n/,
    );
    expect(text).toMatch(/X509v3 Extended Key Usage: \s+TLS Web Server Authentication\n/);
    expect(text).not.toMatch(/Alternative Name: critical/);
    const aki = /Authority Key Identifier:\s+([0-9A-F:]+)/.exec(text)![1]!.replace(/:/g, '').toLowerCase();
    expect(aki).toBe(cas.get(caKind)!.created.info.subjectKeyId);
    expect(issued.info).toEqual(inspectCertificate(issued.certificatePem));
    expect(issued.info.issuer).toBe(cas.get(caKind)!.created.info.subject);
    return { file, text };
  }

  it('issues a P-256 certificate for DNS names and IP addresses that openssl accepts as a TLS server for each', async () => {
    const issued = await issueServerCertificate(cas.get('ec')!.issuing, {
      keyType: 'ec-p256',
      dnsNames: ['localhost', 'Control-Plane.internal', '*.discovery.example.com'],
      ipAddresses: ['127.0.0.1', '::1', '2001:db8::8:800:200c:417a', '::ffff:192.0.2.1'],
    });
    const { file, text } = checkWithOpenssl('multi', issued, 'ec', false);
    expect(text).toContain(
      'DNS:localhost, DNS:control-plane.internal, DNS:*.discovery.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, ' +
        'IP Address:2001:DB8:0:0:8:800:200C:417A, IP Address:0:0:0:0:0:FFFF:C000:201',
    );
    expect(issued.info.subject).toBe('CN=localhost');
    expect(issued.info.subjectAltNames.ip).toEqual(['127.0.0.1', '::1', '2001:db8::8:800:200c:417a', '::ffff:c000:201']);
    for (const host of ['localhost', 'control-plane.internal', 'edge.discovery.example.com']) {
      expect(verify(file, 'ec', '-purpose', 'sslserver', '-verify_hostname', host).status, host).toBe(0);
    }
    expect(verify(file, 'ec', '-verify_hostname', 'a.b.discovery.example.com').status).not.toBe(0);
    expect(verify(file, 'ec', '-verify_hostname', 'example.com').status).not.toBe(0);
    expect(verify(file, 'ec', '-verify_ip', '127.0.0.1').status).toBe(0);
    expect(verify(file, 'ec', '-verify_ip', '::1').status).toBe(0);
    expect(verify(file, 'ec', '-verify_ip', '127.0.0.2').status).not.toBe(0);
    // The returned key belongs to the certificate, and the default validity is 90 days.
    dir.write('multi.key', issued.privateKeyPem!);
    expect(openssl(['pkey', '-in', dir.path('multi.key'), '-pubout'])).toBe(openssl(['x509', '-in', file, '-noout', '-pubkey']));
    expect(issued.info.notAfter.getTime() - issued.info.notBefore.getTime()).toBe(90 * dayMs + 60_000);
  });

  it('issues from an RSA CA for an RSA key, and for a given public key (no private key returned)', async () => {
    const rsa = await issueServerCertificate(cas.get('rsa')!.issuing, { keyType: 'rsa-2048', dnsNames: ['rsa.example.com'] });
    checkWithOpenssl('rsa', rsa, 'rsa', true);
    const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const given = await issueServerCertificate(cas.get('ec')!.issuing, {
      publicKey: pem,
      ipAddresses: ['10.0.0.7'],
      commonName: 'node 7',
      validityDays: 398,
    });
    const { file } = checkWithOpenssl('given', given, 'ec', false);
    expect(given.privateKeyPem).toBeNull();
    expect(given.info.subject).toBe('CN=node 7');
    expect(openssl(['x509', '-in', file, '-noout', '-pubkey'])).toBe(pem);
    expect(given.info.notAfter.getTime() - given.info.notBefore.getTime()).toBe(398 * dayMs + 60_000);
  });

  it('refuses missing or malformed names, validity beyond 398 days, weak keys, and never outlives its CA', async () => {
    const ca = cas.get('ec')!.issuing;
    await expectPkiError(issueServerCertificate(ca, { keyType: 'ec-p256' }), 'Issuance.InvalidSubjectAltName', 'no name');
    for (const bad of [
      '',
      'a..b',
      '-a.example.com',
      'a-.example.com',
      'under_score.example.com',
      '*.com',
      'a.*.example.com',
      'é.example',
    ]) {
      await expectPkiError(issueServerCertificate(ca, { keyType: 'ec-p256', dnsNames: [bad] }), 'Issuance.InvalidSubjectAltName', bad);
    }
    for (const bad of ['1.2.3', '256.1.1.1', 'fe80::1%eth0', 'localhost']) {
      await expectPkiError(issueServerCertificate(ca, { keyType: 'ec-p256', ipAddresses: [bad] }), 'Issuance.InvalidSubjectAltName', bad);
    }
    const many = Array.from({ length: 101 }, (_, i) => `n${i}.example.com`);
    await expectPkiError(issueServerCertificate(ca, { keyType: 'ec-p256', dnsNames: many }), 'Issuance.InvalidSubjectAltName', 'many');
    await expectPkiError(
      issueServerCertificate(ca, { keyType: 'ec-p256', dnsNames: ['a.example.com'], validityDays: 399 }),
      'Issuance.InvalidValidity',
    );
    await expectPkiError(
      issueServerCertificate(ca, { keyType: 'ec-p256', dnsNames: ['a.example.com'], validityDays: 0 }),
      'Issuance.InvalidValidity',
    );
    const weak = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    await expectPkiError(issueServerCertificate(ca, { publicKey: weak, dnsNames: ['a.example.com'] }), 'Key.TooWeak');
    await expectPkiError(issueServerCertificate(ca, { publicKey: 'not a key', dnsNames: ['a.example.com'] }), 'Key.Malformed');
    const long = `${'a'.repeat(60)}.example.com`;
    await expectPkiError(issueServerCertificate(ca, { keyType: 'ec-p256', dnsNames: [long] }), 'Subject.InvalidCommonName', 'CN > 64');
    expect((await issueServerCertificate(ca, { keyType: 'ec-p256', dnsNames: [long], commonName: 'short' })).info.commonName).toBe('short');

    const shortCa = await createCertificateAuthority({ subject: { commonName: 'Short CA' }, validityDays: 10 });
    const shortIssuing = await loadIssuingCa(shortCa.certificatePem, localCaSigner(shortCa.privateKeyPem));
    const clamped = await issueServerCertificate(shortIssuing, { keyType: 'ec-p256', dnsNames: ['a.example.com'], validityDays: 30 });
    expect(clamped.clampedToCaValidity).toBe(true);
    expect(clamped.info.notAfter).toEqual(shortCa.info.notAfter);
  });
});

describe('issueClientCertificate for a given public key', () => {
  it('certifies the key under the given common name, for TLS clients only, with no private key returned', async () => {
    const dir = new TempDir();
    try {
      const ca = await createCertificateAuthority({ subject: { commonName: 'Fleet CA' } });
      const issuing = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKeyPem));
      const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const issued = await issueClientCertificate(issuing, { publicKey: pem, commonName: 'edge-1', validityDays: 30 });
      const file = dir.write('node.pem', issued.certificatePem);
      const caFile = dir.write('ca.pem', ca.certificatePem);
      expect(openssl(['verify', '-CAfile', caFile, '-purpose', 'sslclient', file]).trim()).toBe(`${file}: OK`);
      expect(openssl(['x509', '-in', file, '-noout', '-pubkey'])).toBe(pem);
      expect(issued.privateKeyPem).toBeNull();
      expect(issued.info.subject).toBe('CN=edge-1');
      expect(issued.info.notAfter.getTime() - issued.info.notBefore.getTime()).toBe(30 * dayMs + 60_000);
      const { publicKey: small } = crypto.generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
      await expectPkiError(issueClientCertificate(issuing, { publicKey: small, commonName: 'edge-2' }), 'Key.UnsupportedCurve');
      const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      await expectPkiError(issueClientCertificate(issuing, { publicKey: privateKey, commonName: 'edge-3' }), 'Key.Malformed');
    } finally {
      dir.remove();
    }
  });
});
