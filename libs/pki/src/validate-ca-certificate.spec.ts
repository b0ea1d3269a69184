import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from './certificate-authority.ts';
import type { CreatedCertificateAuthority } from './certificate-authority.ts';
import { issueClientCertificate } from './issuance/issue-client-certificate.ts';
import { loadIssuingCa, localCaSigner } from './issuing-ca.ts';
import { encodePem } from './pem.ts';
import type { PkiErrorCode } from './pki-error.ts';
import { expectPkiError } from './test/expect-pki-error.ts';
import { TempDir, openssl, opensslFields, pemToDer } from './test/openssl.ts';
import { validateCaCertificate } from './validate-ca-certificate.ts';

const caExtensions = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];

describe('validateCaCertificate', () => {
  let dir: TempDir;
  let ca: CreatedCertificateAuthority;

  /** A self-signed certificate made by openssl `req -x509` with the given key and options. */
  function opensslCa(name: string, newKey: readonly string[], extra: readonly string[] = caExtensions): string {
    openssl([
      'req',
      '-x509',
      '-new',
      ...newKey,
      '-nodes',
      '-keyout',
      dir.path(`${name}.key`),
      '-out',
      dir.path(`${name}.pem`),
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
      ...extra,
    ]);
    return dir.text(`${name}.pem`);
  }

  beforeAll(async () => {
    dir = new TempDir();
    ca = await createCertificateAuthority({ subject: { commonName: 'Uploaded CA', organization: 'Customer' } });
  });
  afterAll(() => dir.remove());

  it('accepts CAs with acceptable keys and reports the same facts as openssl', () => {
    const validated = validateCaCertificate(`Explanatory text\n${ca.certificatePem}`);
    expect(validated.certificatePem).toBe(ca.certificatePem);
    expect(validated.info).toEqual(ca.info);
    for (const [name, key] of [
      ['rsa', ['-newkey', 'rsa:2048']],
      ['p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']],
      ['p521', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-521']],
      ['ed25519', ['-newkey', 'ed25519']],
    ] as const) {
      const pem = opensslCa(`ok-${name}`, key);
      const info = validateCaCertificate(pem).info;
      const fields = opensslFields(
        openssl([
          'x509',
          '-in',
          dir.path(`ok-${name}.pem`),
          '-noout',
          '-serial',
          '-fingerprint',
          '-sha256',
          '-subject',
          '-nameopt',
          'RFC2253',
        ]),
      );
      expect(info.serialNumber).toBe(fields.get('serial')!.toLowerCase());
      expect(info.fingerprintSha256).toBe(fields.get('sha256 Fingerprint')!.replace(/:/g, '').toLowerCase());
      expect(info.subject).toBe(fields.get('subject'));
    }
  });

  it('refuses each bad upload with its own code', async () => {
    const der = pemToDer(ca.certificatePem);
    const issuing = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKey));
    const leaf = await issueClientCertificate(issuing, { keyType: 'ec-p256', commonName: 'not a CA' });
    const expired = await createCertificateAuthority({
      subject: { commonName: 'Expired CA' },
      validityDays: 30,
      now: new Date(Date.now() - 60 * 86_400_000),
    });
    const future = await createCertificateAuthority({ subject: { commonName: 'Future CA' }, now: new Date(Date.now() + 86_400_000) });
    const unknownSignature = Buffer.from(der).toString('hex').replaceAll('06082a8648ce3d040302', '06082a8648ce3d040305');
    dir.write(
      'big.cnf',
      [
        '[req]',
        'distinguished_name=dn',
        '[dn]',
        '[ext]',
        'basicConstraints=critical,CA:TRUE',
        'keyUsage=critical,keyCertSign',
        `1.2.3.4=ASN1:UTF8String:${'x'.repeat(50_000)}`,
        '[ext9k]',
        'basicConstraints=critical,CA:TRUE',
        'keyUsage=critical,keyCertSign',
        `1.2.3.4=ASN1:UTF8String:${'x'.repeat(9_000)}`,
      ].join('\n'),
    );
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    openssl(['genpkey', '-genparam', '-algorithm', 'DSA', '-pkeyopt', 'dsa_paramgen_bits:1024', '-out', dir.path('dsa.params')]);

    const corpus: [string, string, PkiErrorCode][] = [
      ['empty string', '', 'CaCertificate.Empty'],
      ['whitespace', '  \n\t ', 'CaCertificate.Empty'],
      ['binary garbage', crypto.randomBytes(300).toString('latin1'), 'CaCertificate.Malformed'],
      ['base64 without PEM lines', Buffer.from(der).toString('base64'), 'CaCertificate.Malformed'],
      ['broken base64', ca.certificatePem.replace(/\n[A-Za-z]/, '\n*'), 'CaCertificate.Malformed'],
      ['no END line', ca.certificatePem.replace('-----END CERTIFICATE-----', ''), 'CaCertificate.Malformed'],
      ['truncated DER', encodePem('CERTIFICATE', der.subarray(0, der.length - 20)), 'CaCertificate.Malformed'],
      [
        'DER with a byte cut from the middle',
        encodePem('CERTIFICATE', Buffer.concat([der.subarray(0, 100), der.subarray(101)])),
        'CaCertificate.Malformed',
      ],
      ['a private key', ca.privateKeyPem, 'CaCertificate.Malformed'],
      ['a certificate and its key', ca.certificatePem + ca.privateKeyPem, 'CaCertificate.Malformed'],
      ['a bundle of two', ca.certificatePem + expired.certificatePem, 'CaCertificate.MultipleCertificates'],
      ['a 50 KB extension', opensslCa('big', ec, ['-config', dir.path('big.cnf'), '-extensions', 'ext']), 'CaCertificate.TooLarge'],
      [
        '9 KB of DER in under 16 KiB of PEM',
        opensslCa('big9k', ec, ['-config', dir.path('big.cnf'), '-extensions', 'ext9k']),
        'CaCertificate.TooLarge',
      ],
      ['a leaf', leaf.certificatePem, 'CaCertificate.NotCa'],
      ['CA:FALSE', opensslCa('cafalse', ec, ['-addext', 'basicConstraints=critical,CA:FALSE']), 'CaCertificate.NotCa'],
      [
        'no keyCertSign',
        opensslCa('nokcs', ec, ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature']),
        'CaCertificate.NoKeyCertSign',
      ],
      ['no keyUsage at all', opensslCa('noku', ec, ['-addext', 'basicConstraints=critical,CA:TRUE']), 'CaCertificate.NoKeyCertSign'],
      ['RSA-1024', opensslCa('rsa1024', ['-newkey', 'rsa:1024']), 'CaCertificate.WeakKey'],
      ['secp256k1', opensslCa('k1', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1']), 'CaCertificate.UnsupportedKey'],
      ['DSA', opensslCa('dsa', ['-newkey', `dsa:${dir.path('dsa.params')}`]), 'CaCertificate.UnsupportedKey'],
      ['SHA-1 signature', opensslCa('sha1', ['-newkey', 'rsa:2048', '-sha1']), 'CaCertificate.WeakSignature'],
      [
        'an unknown signature algorithm',
        encodePem('CERTIFICATE', Buffer.from(unknownSignature, 'hex')),
        'CaCertificate.UnsupportedSignature',
      ],
      ['expired', expired.certificatePem, 'CaCertificate.Expired'],
      ['not yet valid', future.certificatePem, 'CaCertificate.NotYetValid'],
    ];
    for (const [label, input, code] of corpus) await expectPkiError(() => validateCaCertificate(input), code, label);
    // One check per code listed in the doc comment: the corpus covers them all.
    expect(new Set(corpus.map(([, , code]) => code)).size).toBe(12);
  });

  it('judges validity at the time given', () => {
    const later = new Date(ca.info.notAfter.getTime() + 1000);
    expect(() => validateCaCertificate(ca.certificatePem, { now: later })).toThrow(/expired/);
    expect(validateCaCertificate(ca.certificatePem, { now: ca.info.notAfter }).info.subject).toBe('CN=Uploaded CA,O=Customer');
  });
});
