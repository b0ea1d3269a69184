import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../certificate-authority.ts';
import type { CreatedCertificateAuthority } from '../certificate-authority.ts';
import { inspectCertificate } from '../certificate-info.ts';
import { loadIssuingCa, localCaSigner } from '../issuing-ca.ts';
import type { IssuingCa } from '../issuing-ca.ts';
import type { KeyType } from '../key-pair.ts';
import { PkiError } from '../pki-error.ts';
import { expectPkiError } from '../test/expect-pki-error.ts';
import { TempDir, flipByte, openssl, opensslCsr, opensslResult, pemToDer } from '../test/openssl.ts';
import type { IssuedClientCertificate } from './issue-client-certificate.ts';
import { issueClientCertificate } from './issue-client-certificate.ts';
import type { IssuancePolicy } from './issuance-policy.ts';

const dayMs = 86_400_000;

describe('issueClientCertificate', () => {
  let dir: TempDir;
  const cas = new Map<'ec' | 'rsa', { created: CreatedCertificateAuthority; issuing: IssuingCa; file: string }>();

  beforeAll(async () => {
    dir = new TempDir();
    for (const [kind, keyType] of [
      ['ec', 'ec-p256'],
      ['rsa', 'rsa-2048'],
    ] as const) {
      const created = await createCertificateAuthority({ subject: { commonName: `Test ${kind} CA`, organization: 'Portcullis' }, keyType });
      const issuing = await loadIssuingCa(created.certificatePem, localCaSigner(created.privateKeyPem));
      cas.set(kind, { created, issuing, file: dir.write(`ca-${kind}.pem`, created.certificatePem) });
    }
  });
  afterAll(() => dir.remove());

  /** Checks an issued certificate with openssl: chain, purpose and every extension. */
  function checkWithOpenssl(name: string, issued: IssuedClientCertificate, caKind: 'ec' | 'rsa', leafIsRsa: boolean): void {
    const ca = cas.get(caKind)!;
    const file = dir.write(`${name}.pem`, issued.certificatePem);
    expect(openssl(['verify', '-CAfile', ca.file, '-purpose', 'sslclient', file]).trim()).toBe(`${file}: OK`);
    const text = openssl(['x509', '-in', file, '-noout', '-text']);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(
      leafIsRsa ? /X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\n/ : /X509v3 Key Usage: critical\s+Digital Signature\n/,
    );
    expect(text).toMatch(/X509v3 Extended Key Usage: \s+TLS Web Client Authentication\n/);
    expect(text).not.toMatch(/Extended Key Usage: critical/);
    expect(text).toContain(`Signature Algorithm: ${caKind === 'ec' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption'}`);
    const aki = /Authority Key Identifier:\s+([0-9A-F:]+)/.exec(text)![1]!.replace(/:/g, '').toLowerCase();
    expect(aki).toBe(ca.created.info.subjectKeyId);
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(text)![1]!.replace(/:/g, '').toLowerCase();
    expect(ski).toBe(issued.info.subjectKeyId);
    expect(issued.info).toEqual(inspectCertificate(issued.certificatePem));
    expect(issued.info.issuer).toBe(ca.created.info.subject);
    // A random 128-bit positive serial: at most 16 significant bytes.
    expect(issued.info.serialNumber).toMatch(/^[0-9a-f]{2,32}$/);
  }

  const systemCases: [caKind: 'ec' | 'rsa', keyType: KeyType][] = [
    ['ec', 'ec-p256'],
    ['ec', 'ec-p384'],
    ['ec', 'rsa-2048'],
    ['rsa', 'ec-p256'],
  ];
  it.each(systemCases)('issues from a %s CA with a system-generated %s key that openssl verifies', async (caKind, keyType) => {
    const issued = await issueClientCertificate(cas.get(caKind)!.issuing, { keyType, commonName: 'alice@example.com' });
    checkWithOpenssl(`sys-${caKind}-${keyType}`, issued, caKind, keyType.startsWith('rsa'));
    expect(issued.info.commonName).toBe('alice@example.com');
    expect(issued.info.subject).toBe('CN=alice@example.com');
    expect(issued.validityDays).toBe(365);
    expect(issued.clampedToCaValidity).toBe(false);
    expect(issued.info.notAfter.getTime() - issued.info.notBefore.getTime()).toBe(365 * dayMs + 60_000);
    // The returned private key belongs to the certificate.
    dir.write(`sys-${caKind}-${keyType}.key`, issued.privateKeyPem!);
    expect(openssl(['pkey', '-in', dir.path(`sys-${caKind}-${keyType}.key`), '-pubout'])).toBe(
      openssl(['x509', '-in', dir.path(`sys-${caKind}-${keyType}.pem`), '-noout', '-pubkey']),
    );
  });

  const csrCases: ['ec-p256' | 'ec-p384' | 'rsa-2048', 'ec' | 'rsa'][] = [
    ['ec-p256', 'ec'],
    ['ec-p384', 'rsa'],
    ['rsa-2048', 'ec'],
  ];
  it.each(csrCases)('issues from an openssl %s CSR (%s CA), keeping the CSR key and CN', async (key, caKind) => {
    const csr = opensslCsr(dir, `csr-${key}`, key, `/CN=device-${key}/O=Ignored Org`);
    const check = opensslResult(['req', '-in', dir.path(`csr-${key}.csr`), '-verify', '-noout']);
    expect([check.status, check.stderr.trim()]).toEqual([0, 'Certificate request self-signature verify OK']);
    const issued = await issueClientCertificate(cas.get(caKind)!.issuing, { csr, validityDays: 30 });
    checkWithOpenssl(`csr-${key}-${caKind}`, issued, caKind, key.startsWith('rsa'));
    expect(issued.privateKeyPem).toBeNull();
    expect(issued.info.subject).toBe(`CN=device-${key}`);
    expect(issued.info.notAfter.getTime() - issued.info.notBefore.getTime()).toBe(30 * dayMs + 60_000);
    expect(openssl(['x509', '-in', dir.path(`csr-${key}-${caKind}.pem`), '-noout', '-pubkey'])).toBe(
      openssl(['req', '-in', dir.path(`csr-${key}.csr`), '-noout', '-pubkey']),
    );
  });

  it('takes a CSR as DER, and lets a given common name override the CSR’s or stand in for a missing one', async () => {
    const ca = cas.get('ec')!.issuing;
    const csr = opensslCsr(dir, 'der', 'ec-p256', '/CN=from-csr');
    const fromDer = await issueClientCertificate(ca, { csr: pemToDer(csr), commonName: 'given' });
    expect(fromDer.info.commonName).toBe('given');
    const noCn = opensslCsr(dir, 'nocn', 'ec-p256', '/O=No Common Name');
    await expectPkiError(issueClientCertificate(ca, { csr: noCn }), 'Subject.MissingCommonName');
    expect((await issueClientCertificate(ca, { csr: noCn, commonName: 'named' })).info.subject).toBe('CN=named');
  });

  it('refuses bad CSRs with distinct codes: broken signature, weak or unsupported keys, SHA-1, garbage', async () => {
    const ca = cas.get('ec')!.issuing;
    const good = pemToDer(opensslCsr(dir, 'flip', 'ec-p256', '/CN=flip-me-please'));
    await expectPkiError(issueClientCertificate(ca, { csr: flipByte(good, -5) }), 'Csr.BadSignature');
    const rsaGood = pemToDer(opensslCsr(dir, 'flip-rsa', 'rsa-2048', '/CN=x'));
    await expectPkiError(issueClientCertificate(ca, { csr: flipByte(rsaGood, -1) }), 'Csr.BadSignature');
    // Changing a letter of the signed subject ('f' to 'g') also breaks the signature.
    const text = Buffer.from(good).indexOf('flip-me-please');
    await expectPkiError(issueClientCertificate(ca, { csr: flipByte(good, text, 0x01) }), 'Csr.BadSignature');

    await expectPkiError(issueClientCertificate(ca, { csr: opensslCsr(dir, 'rsa1024', 'rsa-1024', '/CN=weak') }), 'Key.TooWeak');
    await expectPkiError(issueClientCertificate(ca, { csr: opensslCsr(dir, 'k1', 'secp256k1', '/CN=k1') }), 'Key.UnsupportedCurve');
    await expectPkiError(issueClientCertificate(ca, { csr: opensslCsr(dir, 'ed', 'ed25519', '/CN=ed') }), 'Key.UnsupportedAlgorithm');
    openssl(['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:1024', '-out', dir.path('dsa.params')]);
    openssl([
      'req',
      '-new',
      '-newkey',
      `dsa:${dir.path('dsa.params')}`,
      '-nodes',
      '-keyout',
      dir.path('dsa.key'),
      '-out',
      dir.path('dsa.csr'),
      '-subj',
      '/CN=dsa',
    ]);
    await expectPkiError(issueClientCertificate(ca, { csr: dir.text('dsa.csr') }), 'Key.UnsupportedAlgorithm');
    await expectPkiError(
      issueClientCertificate(ca, { csr: opensslCsr(dir, 'sha1', 'ec-p256', '/CN=old', ['-sha1']) }),
      'Csr.UnsupportedSignature',
    );

    await expectPkiError(issueClientCertificate(ca, { csr: '' }), 'Csr.Malformed');
    await expectPkiError(issueClientCertificate(ca, { csr: 'hello' }), 'Csr.Malformed');
    await expectPkiError(issueClientCertificate(ca, { csr: good.subarray(0, 40) }), 'Csr.Malformed');
    await expectPkiError(issueClientCertificate(ca, { csr: cas.get('ec')!.created.certificatePem }), 'Csr.Malformed');
    await expectPkiError(issueClientCertificate(ca, { csr: new Uint8Array(64 * 1024).fill(0x30) }), 'Csr.TooLarge');
  });

  it('refuses bad requests before generating a key', async () => {
    const ca = cas.get('ec')!.issuing;
    const started = performance.now();
    // RSA-4096 generation takes hundreds of milliseconds; the refusal must not wait for it.
    await expectPkiError(issueClientCertificate(ca, { keyType: 'rsa-4096', commonName: 'x', validityDays: 0 }), 'Issuance.InvalidValidity');
    expect(performance.now() - started).toBeLessThan(250);
    await expectPkiError(
      issueClientCertificate(ca, { keyType: 'ec-p256', commonName: 'x', validityDays: 1.5 }),
      'Issuance.InvalidValidity',
    );
    await expectPkiError(
      issueClientCertificate(ca, { keyType: 'ec-p256', commonName: 'x', validityDays: 3651 }),
      'Issuance.InvalidValidity',
    );
    await expectPkiError(issueClientCertificate(ca, { keyType: 'ec-p256', commonName: '' }), 'Subject.InvalidCommonName');
    await expectPkiError(issueClientCertificate(ca, { keyType: 'ec-p256', commonName: 'a\u0000b' }), 'Subject.InvalidCommonName');
    await expectPkiError(issueClientCertificate(ca, { keyType: 'ec-p256', commonName: 'x'.repeat(65) }), 'Subject.InvalidCommonName');
    await expectPkiError(issueClientCertificate(ca, { keyType: 'dsa-1024' as KeyType, commonName: 'x' }), 'Key.UnsupportedAlgorithm');
  });

  it('clamps notAfter to the CA’s own notAfter and says so', async () => {
    const short = await createCertificateAuthority({ subject: { commonName: 'Short CA' }, validityDays: 10 });
    const ca = await loadIssuingCa(short.certificatePem, localCaSigner(short.privateKey));
    const issued = await issueClientCertificate(ca, { keyType: 'ec-p256', commonName: 'clamped' });
    expect(issued.clampedToCaValidity).toBe(true);
    expect(issued.validityDays).toBe(365);
    expect(issued.info.notAfter).toEqual(short.info.notAfter);
    const caFile = dir.write('short-ca.pem', short.certificatePem);
    const leafFile = dir.write('clamped.pem', issued.certificatePem);
    expect(openssl(['verify', '-CAfile', caFile, '-purpose', 'sslclient', leafFile])).toContain('OK');
  });

  it('refuses to issue from a CA outside its validity', async () => {
    const old = await createCertificateAuthority({
      subject: { commonName: 'Old CA' },
      validityDays: 365,
      now: new Date(Date.now() - 800 * dayMs),
    });
    const ca = await loadIssuingCa(old.certificatePem, localCaSigner(old.privateKey));
    await expectPkiError(issueClientCertificate(ca, { keyType: 'ec-p256', commonName: 'late' }), 'IssuingCa.Expired');
    await expectPkiError(
      issueClientCertificate(ca, { keyType: 'ec-p256', commonName: 'early' }, { now: new Date(Date.now() - 900 * dayMs) }),
      'IssuingCa.NotYetValid',
    );
    // Within the CA's life the same CA issues, and the dates follow `now`.
    const then = new Date(Date.now() - 700 * dayMs);
    const issued = await issueClientCertificate(ca, { keyType: 'ec-p256', commonName: 'on time', validityDays: 7 }, { now: then });
    expect(issued.info.notAfter.getTime()).toBe(Math.floor(then.getTime() / 1000) * 1000 + 7 * dayMs);
  });

  it('runs extra policies after the defaults of their kind', async () => {
    const seen: string[] = [];
    const extra: IssuancePolicy[] = [
      {
        kind: 'validator',
        name: 'example-domain-only',
        validate({ request }) {
          seen.push('validator');
          if (!request.commonName?.endsWith('@example.com'))
            throw new PkiError('Subject.InvalidCommonName', { detail: 'example.com users only' });
        },
      },
      {
        kind: 'modifier',
        name: 'tenant-prefix',
        modify(template) {
          seen.push('modifier');
          template.commonName = `tenant-1/${template.commonName}`;
        },
      },
      {
        kind: 'enforcer',
        name: 'one-week-max',
        enforce(template) {
          seen.push('enforcer');
          template.notAfter = new Date(Math.min(template.notAfter.getTime(), template.notBefore.getTime() + 7 * dayMs));
        },
      },
    ];
    const ca = cas.get('ec')!.issuing;
    await expectPkiError(
      issueClientCertificate(ca, { keyType: 'ec-p256', commonName: 'bob@evil.test' }, { extraPolicies: extra }),
      'Subject.InvalidCommonName',
    );
    expect(seen).toEqual(['validator']);
    const issued = await issueClientCertificate(ca, { keyType: 'ec-p256', commonName: 'bob@example.com' }, { extraPolicies: extra });
    expect(seen).toEqual(['validator', 'validator', 'modifier', 'enforcer']);
    expect(issued.info.commonName).toBe('tenant-1/bob@example.com');
    expect(issued.info.notAfter.getTime() - issued.info.notBefore.getTime()).toBe(7 * dayMs);
    checkWithOpenssl('extra', issued, 'ec', false);
  });

  it('never signs a certificate whose period is empty, whatever extra policies do', async () => {
    const backwards: IssuancePolicy = {
      kind: 'enforcer',
      name: 'backwards',
      enforce: (template) => void (template.notAfter = template.notBefore),
    };
    await expectPkiError(
      issueClientCertificate(cas.get('ec')!.issuing, { keyType: 'ec-p256', commonName: 'never' }, { extraPolicies: [backwards] }),
      'Issuance.InvalidValidity',
    );
  });

  it('leaves keyUsage out when a policy clears it, rather than writing an empty one', async () => {
    const unrestricted: IssuancePolicy = { kind: 'modifier', name: 'no-key-usage', modify: (template) => void (template.keyUsage = []) };
    const issued = await issueClientCertificate(
      cas.get('ec')!.issuing,
      { keyType: 'ec-p256', commonName: 'free' },
      { extraPolicies: [unrestricted] },
    );
    expect(issued.info.keyUsage).toBeNull();
    expect(issued.info.extendedKeyUsage).toEqual(['clientAuth']);
    const file = dir.write('no-ku.pem', issued.certificatePem);
    expect(openssl(['verify', '-CAfile', cas.get('ec')!.file, '-purpose', 'sslclient', file])).toContain('OK');
  });
});
