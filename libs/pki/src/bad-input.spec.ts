import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from './certificate-authority.ts';
import { inspectCertificate } from './certificate-info.ts';
import { parseCrl } from './certificate-revocation-list.ts';
import { issueClientCertificate } from './issuance/issue-client-certificate.ts';
import { loadIssuingCa, localCaSigner } from './issuing-ca.ts';
import { inspectCsr } from './parse-csr.ts';
import { encodePem } from './pem.ts';
import { PkiError } from './pki-error.ts';
import { TempDir, openssl, opensslCsr, pemToDer } from './test/openssl.ts';
import { createTrustStore } from './trust-store.ts';
import type { TrustStore } from './trust-store.ts';
import { validateCaCertificate } from './validate-ca-certificate.ts';

/**
 * Every parser entry point, fed hostile bytes, must either succeed or throw a PkiError:
 * never a RangeError, TypeError or an OpenSSL error escaping unwrapped.
 */
describe('hostile input never escapes as anything but a PkiError', () => {
  let dir: TempDir;
  let certificate: Uint8Array;
  let csr: Uint8Array;
  let crl: Uint8Array;
  let store: TrustStore;

  beforeAll(async () => {
    dir = new TempDir();
    const ca = await createCertificateAuthority({ subject: { commonName: 'Fuzz CA' } });
    const issuing = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKey));
    certificate = (await issueClientCertificate(issuing, { keyType: 'ec-p256', commonName: 'fuzz' })).certificateDer;
    csr = pemToDer(opensslCsr(dir, 'fuzz', 'ec-p256', '/CN=fuzz/O=Fuzzing'));
    dir.write('ca.pem', ca.certificatePem);
    dir.write('ca.key', ca.privateKeyPem);
    dir.write('index', '');
    dir.write('crlnumber', '01\n');
    dir.write(
      'ca.cnf',
      [
        '[ca]',
        'default_ca=d',
        '[d]',
        `database=${dir.path('index')}`,
        `certificate=${dir.path('ca.pem')}`,
        `private_key=${dir.path('ca.key')}`,
        `crlnumber=${dir.path('crlnumber')}`,
        'default_md=sha256',
        'default_crl_days=1',
      ].join('\n'),
    );
    openssl([
      'ca',
      '-config',
      dir.path('ca.cnf'),
      '-revoke',
      dir.write('leaf.pem', encodePem('CERTIFICATE', certificate)),
      '-crl_reason',
      'keyCompromise',
    ]);
    crl = pemToDer(openssl(['ca', '-config', dir.path('ca.cnf'), '-gencrl']));
    store = createTrustStore([{ id: 'ca', certificate: ca.certificatePem }]);
  });
  afterAll(() => dir.remove());

  const entryPoints: [string, (bytes: Uint8Array) => unknown][] = [
    ['inspectCertificate', (b) => inspectCertificate(b)],
    ['TrustStore.verify', (b) => store.verify(b)],
    ['validateCaCertificate', (b) => validateCaCertificate(encodePem('CERTIFICATE', b))],
    ['inspectCsr', (b) => inspectCsr(b)],
    ['parseCrl', (b) => parseCrl(b)],
  ];

  function survives(run: () => unknown): boolean {
    try {
      run();
      return true;
    } catch (error) {
      if (error instanceof PkiError) return true;
      throw error;
    }
  }

  it.each(entryPoints)('%s: every truncation and every single-byte flip of a valid input', (_name, parse) => {
    for (const valid of [certificate, csr, crl]) {
      for (let n = 0; n < valid.length; n++) expect(survives(() => parse(valid.subarray(0, n)))).toBe(true);
      for (let i = 0; i < valid.length; i++) {
        const copy = new Uint8Array(valid);
        copy[i] = copy[i]! ^ 0xff;
        expect(survives(() => parse(copy))).toBe(true);
      }
    }
  });

  it.each(entryPoints)('%s: random mutations of valid inputs and random bytes', (_name, parse) => {
    const mutation = fc.record({
      base: fc.constantFrom(certificate, csr, crl),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    });
    fc.assert(
      fc.property(mutation, ({ base, edits }) => {
        const copy = new Uint8Array(base);
        for (const [at, value] of edits) copy[at % copy.length] = value;
        return survives(() => parse(copy));
      }),
      { numRuns: 600 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => survives(() => parse(bytes))),
      { numRuns: 300 },
    );
    // Bytes that start like a SEQUENCE get past the first check and exercise the reader.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), (bytes) =>
        survives(() => parse(Uint8Array.of(0x30, 0x82, bytes.length >> 8, bytes.length & 0xff, ...bytes))),
      ),
      { numRuns: 300 },
    );
  });

  it('refuses text that is not PEM, whatever its shape, with a PkiError', () => {
    const texts = [
      '',
      ' ',
      '\u0000\u0001\u0002',
      'é'.repeat(1000),
      '-----BEGIN CERTIFICATE-----',
      `-----BEGIN CERTIFICATE-----\n${'A'.repeat(10)}\n-----END CERTIFICATE-----`,
    ];
    for (const text of texts) {
      expect(survives(() => inspectCertificate(text))).toBe(true);
      expect(survives(() => validateCaCertificate(text))).toBe(true);
      expect(survives(() => inspectCsr(text))).toBe(true);
      expect(survives(() => parseCrl(text))).toBe(true);
    }
    fc.assert(
      fc.property(
        fc.string({ maxLength: 400 }),
        (text) => survives(() => validateCaCertificate(text)) && survives(() => inspectCertificate(text)),
      ),
      { numRuns: 300 },
    );
  });
});
