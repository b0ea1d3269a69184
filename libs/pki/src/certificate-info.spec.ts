import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCertificate, inspectCertificateChain, maxChainPemChars } from './certificate-info.ts';
import { encodePem } from './pem.ts';
import { PkiError } from './pki-error.ts';
import { normaliseSerialHex } from './serial-number.ts';
import { expectPkiError } from './test/expect-pki-error.ts';
import { TempDir, openssl, opensslFields, pemToDer } from './test/openssl.ts';

/** What openssl says about a certificate, in the normalised forms inspectCertificate uses. */
function opensslFacts(file: string, nameopt = 'RFC2253') {
  const fields = opensslFields(
    openssl([
      'x509',
      '-in',
      file,
      '-noout',
      '-serial',
      '-fingerprint',
      '-sha256',
      '-subject',
      '-issuer',
      '-nameopt',
      nameopt,
      '-startdate',
      '-enddate',
      '-dateopt',
      'iso_8601',
    ]),
  );
  const ext = openssl(['x509', '-in', file, '-noout', '-ext', 'subjectKeyIdentifier,authorityKeyIdentifier']);
  const keyIds = [...ext.matchAll(/^\s+((?:[0-9A-F]{2}:)+[0-9A-F]{2})$/gm)].map((m) => m[1]!.replace(/:/g, '').toLowerCase());
  return {
    serialNumber: fields.get('serial')!.toLowerCase(),
    fingerprintSha256: fields.get('sha256 Fingerprint')!.replace(/:/g, '').toLowerCase(),
    subject: fields.get('subject')!,
    issuer: fields.get('issuer')!,
    notBefore: new Date(fields.get('notBefore')!.replace(' ', 'T')),
    notAfter: new Date(fields.get('notAfter')!.replace(' ', 'T')),
    keyIds,
  };
}

describe('inspectCertificate on certificates made by openssl', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = new TempDir();
    dir.write(
      'san.cnf',
      [
        '[req]',
        'distinguished_name=dn',
        '[dn]',
        '[ext]',
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyAgreement',
        'extendedKeyUsage=clientAuth,serverAuth,1.2.3.4.5',
        'subjectAltName=DNS:a.example,DNS:*.b.example,IP:10.0.0.1,IP:2001:db8::1,IP:::1,IP:fe80:0:0:1::,email:x@y.example,URI:https://u.example/p',
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid:always',
      ].join('\n'),
    );
  });
  afterAll(() => dir.remove());

  it('reports the same facts as openssl for an EC certificate with SANs and a tricky subject', () => {
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      dir.path('ec.key'),
      '-out',
      dir.path('ec.pem'),
      '-config',
      dir.path('san.cnf'),
      '-extensions',
      'ext',
      '-days',
      '30',
      '-set_serial',
      '0x00ff',
      '-subj',
      '/C=DE/O=#Hash, Org/OU= lead/CN=a\\+b=c\\\\d;"q"<x> /emailAddress=m@x.example/DC=ex+UID=u1',
    ]);
    const info = inspectCertificate(dir.text('ec.pem'));
    const expected = opensslFacts(dir.path('ec.pem'));
    expect(info.serialNumber).toBe('ff');
    expect(info.serialNumber).toBe(expected.serialNumber);
    expect(info.fingerprintSha256).toBe(expected.fingerprintSha256);
    expect(info.subject).toBe(expected.subject);
    expect(info.issuer).toBe(expected.issuer);
    expect(info.subject).toBe('DC=ex+UID=u1,emailAddress=m@x.example,CN=a\\+b=c\\\\d\\;\\"q\\"\\<x\\>\\ ,OU=\\ lead,O=\\#Hash\\, Org,C=DE');
    expect(info.commonName).toBe('a+b=c\\d;"q"<x> ');
    expect(info.notBefore).toEqual(expected.notBefore);
    expect(info.notAfter).toEqual(expected.notAfter);
    expect([info.subjectKeyId, info.authorityKeyId]).toEqual(expected.keyIds);
    expect(info.subjectAltNames).toEqual({
      dns: ['a.example', '*.b.example'],
      ip: ['10.0.0.1', '2001:db8::1', '::1', 'fe80:0:0:1::'],
      email: ['x@y.example'],
      uri: ['https://u.example/p'],
    });
    expect(info.keyAlgorithm).toEqual({ type: 'ec', curve: 'P-256', name: 'EC P-256' });
    expect(info.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(info.isCa).toBe(false);
    expect(info.keyUsage).toEqual(['digitalSignature', 'keyAgreement']);
    expect(info.extendedKeyUsage).toEqual(['clientAuth', 'serverAuth', '1.2.3.4.5']);
  });

  it('matches openssl for RSA, with a serial whose top bit is set, from PEM, PEM bytes and DER', () => {
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      dir.path('rsa.key'),
      '-out',
      dir.path('rsa.pem'),
      '-days',
      '2',
      '-set_serial',
      '0x8a0000000000000000000000000000000000ff',
      '-subj',
      '/CN=rsa.example/O=Example',
    ]);
    const pem = dir.text('rsa.pem');
    const expected = opensslFacts(dir.path('rsa.pem'));
    for (const input of [pem, new Uint8Array(Buffer.from(pem)), pemToDer(pem)]) {
      const info = inspectCertificate(input);
      expect(info.serialNumber).toBe('8a0000000000000000000000000000000000ff');
      expect(info.serialNumber).toBe(expected.serialNumber);
      expect(info.fingerprintSha256).toBe(expected.fingerprintSha256);
      expect(info.subject).toBe('O=Example,CN=rsa.example');
      expect(info.keyAlgorithm).toEqual({ type: 'rsa', bits: 2048, name: 'RSA 2048' });
      expect(info.signatureAlgorithm).toBe('sha256WithRSAEncryption');
      expect(info.isCa).toBe(true);
    }
  });

  it('keeps non-ASCII text readable, as openssl prints it with -esc_msb off', () => {
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-384',
      '-nodes',
      '-keyout',
      dir.path('u.key'),
      '-out',
      dir.path('u.pem'),
      '-days',
      '1',
      '-utf8',
      '-subj',
      '/CN=Zoë Ünïcode/L=東京/ST=tab\there',
    ]);
    const info = inspectCertificate(dir.text('u.pem'));
    expect(info.subject).toBe(opensslFacts(dir.path('u.pem'), 'RFC2253,-esc_msb').subject);
    expect(info.subject).toBe('ST=tab\\09here,L=東京,CN=Zoë Ünïcode');
    expect(info.keyAlgorithm.name).toBe('EC P-384');
    expect(info.signatureAlgorithm).toBe('ecdsa-with-SHA256');
  });

  it('describes Ed25519, RSA-PSS and SHA-384 certificates', () => {
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'ed25519',
      '-nodes',
      '-keyout',
      dir.path('ed.key'),
      '-out',
      dir.path('ed.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=ed',
    ]);
    expect(inspectCertificate(dir.text('ed.pem'))).toMatchObject({ keyAlgorithm: { type: 'ed25519' }, signatureAlgorithm: 'ED25519' });
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      dir.path('pss.key'),
      '-out',
      dir.path('pss.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=pss',
      '-sigopt',
      'rsa_padding_mode:pss',
      '-sha384',
    ]);
    expect(inspectCertificate(dir.text('pss.pem')).signatureAlgorithm).toBe('rsassaPss');
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-384',
      '-nodes',
      '-keyout',
      dir.path('s384.key'),
      '-out',
      dir.path('s384.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=s',
      '-sha384',
    ]);
    expect(inspectCertificate(dir.text('s384.pem')).signatureAlgorithm).toBe('ecdsa-with-SHA384');
  });

  it('refuses two certificates, empty input and oversized input with distinct codes', () => {
    const pem = dir.text('rsa.pem');
    const code = (input: string | Uint8Array): string => {
      try {
        inspectCertificate(input);
        return 'none';
      } catch (error) {
        expect(error).toBeInstanceOf(PkiError);
        return (error as PkiError).code;
      }
    };
    expect(code(pem + pem)).toBe('Certificate.MultipleCertificates');
    expect(code('')).toBe('Certificate.Malformed');
    expect(code(new Uint8Array(0))).toBe('Certificate.Malformed');
    expect(code(new Uint8Array(40 * 1024).fill(0x30))).toBe('Certificate.TooLarge');
  });
});

describe('inspectCertificateChain', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = new TempDir();
    for (const name of ['root', 'other']) {
      openssl([
        'req',
        '-x509',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        dir.path(`${name}.key`),
        '-out',
        dir.path(`${name}.pem`),
        '-days',
        '5',
        '-subj',
        `/CN=${name}`,
      ]);
    }
  });
  afterAll(() => dir.remove());

  it('reads every CERTIFICATE block in order, re-encoded, with explanatory text around them', () => {
    const root = dir.text('root.pem');
    const other = dir.text('other.pem');
    const chain = inspectCertificateChain(`subject=CN = root\r\n${root.replace(/\n/g, '\r\n')}\n  issuer=x\n${other}`);
    expect(chain.map((c) => c.info.commonName)).toEqual(['root', 'other']);
    expect(chain.map((c) => c.pem)).toEqual([root, other]);
    expect(chain[0]!.info).toEqual(inspectCertificate(root));
    expect(inspectCertificateChain('no PEM here')).toEqual([]);
  });

  it('refuses a key or any other block in the chain, broken PEM and oversized input', async () => {
    const root = dir.text('root.pem');
    await expectPkiError(() => inspectCertificateChain(`${root}${dir.text('root.key')}`), 'Certificate.Malformed', 'a key in the chain');
    await expectPkiError(() => inspectCertificateChain(`${root}-----BEGIN CERTIFICATE-----\nAAAA\n`), 'Certificate.Malformed', 'no END');
    await expectPkiError(
      () => inspectCertificateChain('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      'Certificate.Malformed',
      'not DER',
    );
    await expectPkiError(() => inspectCertificateChain(root + ' '.repeat(maxChainPemChars)), 'Certificate.TooLarge', 'text');
    await expectPkiError(
      () => inspectCertificateChain(encodePem('CERTIFICATE', new Uint8Array(40 * 1024).fill(0x30))),
      'Certificate.TooLarge',
      'DER',
    );
  });
});

describe('normaliseSerialHex', () => {
  it('normalises the ways people write serials to the inspected form', () => {
    expect(normaliseSerialHex('00:8A:0B')).toBe('8a0b');
    expect(normaliseSerialHex('8a 0b')).toBe('8a0b');
    expect(normaliseSerialHex('A0B')).toBe('0a0b');
    expect(normaliseSerialHex('0000')).toBe('00');
    for (const bad of ['xyz', '', ':', 'ab'.repeat(21)]) {
      expect(() => normaliseSerialHex(bad)).toThrow(expect.objectContaining({ code: 'SerialNumber.Malformed' }));
    }
  });
});
