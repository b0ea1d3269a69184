import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCsr } from './parse-csr.ts';
import { expectPkiError } from './test/expect-pki-error.ts';
import { TempDir, opensslCsr, pemToDer } from './test/openssl.ts';

describe('inspectCsr', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = new TempDir();
  });
  afterAll(() => dir.remove());

  it('reports subject, key and signature algorithm of a verified openssl CSR', () => {
    const pem = opensslCsr(dir, 'a', 'ec-p384', '/C=FR/O=Acme/CN=printer-7', ['-addext', 'subjectAltName=DNS:printer.example']);
    const expected = {
      subject: 'CN=printer-7,O=Acme,C=FR',
      commonName: 'printer-7',
      keyAlgorithm: { type: 'ec', curve: 'P-384', name: 'EC P-384' },
      signatureAlgorithm: 'ecdsa-with-SHA256',
    };
    expect(inspectCsr(pem)).toEqual(expected);
    expect(inspectCsr(pemToDer(pem))).toEqual(expected);
    // The legacy label some Microsoft tools write is accepted too.
    expect(inspectCsr(pem.replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST'))).toEqual(expected);
  });

  it('refuses a CSR whose signature was tampered with, and garbage', async () => {
    const der = pemToDer(opensslCsr(dir, 'b', 'rsa-2048', '/CN=b'));
    const tampered = new Uint8Array(der);
    tampered[tampered.length - 10]! ^= 0x55;
    await expectPkiError(() => inspectCsr(tampered), 'Csr.BadSignature');
    await expectPkiError(() => inspectCsr(der.subarray(0, der.length - 1)), 'Csr.Malformed');
    await expectPkiError(() => inspectCsr(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])), 'Csr.Malformed');
    await expectPkiError(
      () => inspectCsr('-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----\n'),
      'Csr.Malformed',
    );
  });
});
