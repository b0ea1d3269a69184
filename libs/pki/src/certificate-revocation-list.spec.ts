import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tag } from './asn1/der-tag.ts';
import {
  derBitString,
  derBoolean,
  derConstructed,
  derExplicit,
  derNull,
  derOctetString,
  derOid,
  derSequence,
  derSmallInteger,
  derTime,
  derTlv,
  derUnsignedInteger,
} from './asn1/der-writer.ts';
import { createCertificateAuthority } from './certificate-authority.ts';
import type { CreatedCertificateAuthority } from './certificate-authority.ts';
import { checkCrlCurrent, parseCrl, verifyCrlSignature } from './certificate-revocation-list.ts';
import { issueClientCertificate } from './issuance/issue-client-certificate.ts';
import { loadIssuingCa, localCaSigner } from './issuing-ca.ts';
import { Oid } from './oids.ts';
import { expectPkiError } from './test/expect-pki-error.ts';
import { TempDir, flipByte, openssl, opensslFields, opensslResult, pemToDer } from './test/openssl.ts';

describe('CRLs made by openssl ca', () => {
  let dir: TempDir;
  let ca: CreatedCertificateAuthority;
  const revokedSerials: string[] = [];

  /** A minimal `openssl ca` setup in `name/` around a CA certificate and key. */
  function caConfig(name: string, caPem: string, caKey: string): string {
    const root = dir.path(name);
    dir.write(`${name}.pem`, caPem);
    dir.write(`${name}.key`, caKey);
    dir.write(`${name}.index`, '');
    dir.write(`${name}.crlnumber`, '1000\n');
    return dir.write(
      `${name}.cnf`,
      [
        '[ca]',
        'default_ca=ca_default',
        '[ca_default]',
        `database=${root}.index`,
        `new_certs_dir=${dir.root}`,
        `certificate=${root}.pem`,
        `private_key=${root}.key`,
        `serial=${root}.serial`,
        `crlnumber=${root}.crlnumber`,
        'default_md=sha256',
        'default_crl_days=7',
        'policy=any',
        '[any]',
        'commonName=supplied',
        '[crl_ext]',
        'authorityKeyIdentifier=keyid:always',
      ].join('\n'),
    );
  }

  beforeAll(async () => {
    dir = new TempDir();
    ca = await createCertificateAuthority({ subject: { commonName: 'Revoking CA', organization: 'Example' } });
    const issuing = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKey));
    const config = caConfig('main', ca.certificatePem, ca.privateKeyPem);
    for (const [i, reason] of (['keyCompromise', 'superseded', null] as const).entries()) {
      const leaf = await issueClientCertificate(issuing, { keyType: 'ec-p256', commonName: `revoked-${i}` });
      revokedSerials.push(leaf.info.serialNumber);
      const file = dir.write(`revoked-${i}.pem`, leaf.certificatePem);
      openssl(['ca', '-config', config, '-revoke', file, ...(reason === null ? [] : ['-crl_reason', reason])]);
    }
    openssl(['ca', '-config', config, '-gencrl', '-crlexts', 'crl_ext', '-out', dir.path('main.crl')]);
    openssl(['crl', '-in', dir.path('main.crl'), '-outform', 'DER', '-out', dir.path('main.crl.der')]);
  });
  afterAll(() => dir.remove());

  it('parses PEM and DER into the fields openssl reports', () => {
    const fields = opensslFields(
      openssl([
        'crl',
        '-in',
        dir.path('main.crl'),
        '-noout',
        '-issuer',
        '-lastupdate',
        '-nextupdate',
        '-crlnumber',
        '-nameopt',
        'RFC2253',
        '-dateopt',
        'iso_8601',
      ]),
    );
    const text = openssl(['crl', '-in', dir.path('main.crl'), '-noout', '-text']);
    for (const crl of [parseCrl(dir.text('main.crl')), parseCrl(new Uint8Array(dir.read('main.crl.der')))]) {
      expect(crl.issuer.dn).toBe(fields.get('issuer'));
      expect(crl.issuer.dn).toBe('CN=Revoking CA,O=Example');
      // The raw issuer is the CA's subject Name, byte for byte.
      expect(Buffer.from(pemToDer(ca.certificatePem)).includes(Buffer.from(crl.issuer.raw))).toBe(true);
      expect(crl.thisUpdate).toEqual(new Date(fields.get('lastUpdate')!.replace(' ', 'T')));
      expect(crl.nextUpdate).toEqual(new Date(fields.get('nextUpdate')!.replace(' ', 'T')));
      expect(crl.crlNumber).toBe(String(Number.parseInt(fields.get('crlNumber')!, 16)));
      expect(crl.crlNumber).toBe('4096');
      expect(crl.authorityKeyId).toBe(ca.info.subjectKeyId);
      expect(crl.signatureAlgorithm).toBe('ecdsa-with-SHA256');
      expect(crl.revoked.map((r) => r.serialNumber).sort()).toEqual([...revokedSerials].sort());
      const bySerial = new Map(crl.revoked.map((r) => [r.serialNumber, r]));
      expect(bySerial.get(revokedSerials[0]!)!.reason).toBe('keyCompromise');
      expect(bySerial.get(revokedSerials[1]!)!.reason).toBe('superseded');
      expect(bySerial.get(revokedSerials[2]!)!.reason).toBeNull();
      for (const entry of crl.revoked) {
        expect(text.toLowerCase()).toContain(`serial number: ${entry.serialNumber}`);
        expect(Math.abs(entry.revocationDate.getTime() - Date.now())).toBeLessThan(120_000);
      }
    }
  });

  it('checks the CRL signature against the CA, and tells a wrong, lookalike or tampered one apart', async () => {
    const crl = parseCrl(dir.text('main.crl'));
    expect(verifyCrlSignature(crl, ca.certificatePem)).toEqual({ ok: true });
    expect(opensslResult(['crl', '-in', dir.path('main.crl'), '-CAfile', dir.path('main.pem'), '-noout']).stderr).toContain('verify OK');

    const other = await createCertificateAuthority({ subject: { commonName: 'Other CA' } });
    expect(verifyCrlSignature(crl, other.certificatePem)).toEqual({ ok: false, reason: 'issuer_mismatch' });
    const twin = await createCertificateAuthority({ subject: { commonName: 'Revoking CA', organization: 'Example' } });
    expect(verifyCrlSignature(crl, twin.certificatePem)).toEqual({ ok: false, reason: 'bad_signature' });
    openssl(['crl', '-in', dir.path('main.crl'), '-badsig', '-out', dir.path('bad.crl')]);
    expect(verifyCrlSignature(parseCrl(dir.text('bad.crl')), ca.certificatePem)).toEqual({ ok: false, reason: 'bad_signature' });
    // A CA whose keyUsage does not include cRLSign may not sign CRLs, whatever the signature says.
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
      dir.path('nocrl.key'),
      '-out',
      dir.path('nocrl.pem'),
      '-days',
      '5',
      '-subj',
      '/CN=No CRL CA',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ]);
    const config = caConfig('nocrl-ca', dir.text('nocrl.pem'), dir.text('nocrl.key'));
    openssl(['ca', '-config', config, '-gencrl', '-out', dir.path('nocrl.crl')]);
    const empty = parseCrl(dir.text('nocrl.crl'));
    expect(empty.revoked).toEqual([]);
    expect(empty.crlNumber).toBe('4096');
    expect(verifyCrlSignature(empty, dir.text('nocrl.pem'))).toEqual({ ok: false, reason: 'not_crl_signer' });
  });

  it('refuses a negative CRL number or one over 20 octets (Crl.InvalidNumber), as openssl writes them', async () => {
    // openssl ca refuses a negative crlnumber file, but writes any cRLNumber given as raw DER.
    const numbered = (name: string, integerDer: string): string => {
      const config = dir.write(
        `${name}.cnf`,
        [
          ...dir
            .text('main.cnf')
            .split('\n')
            .filter((l) => !l.startsWith('crlnumber=')),
          `[${name}]`,
          'authorityKeyIdentifier=keyid:always',
          `2.5.29.20=DER:${integerDer}`,
        ].join('\n'),
      );
      openssl(['ca', '-config', config, '-gencrl', '-crlexts', name, '-out', dir.path(`${name}.crl`)]);
      return dir.text(`${name}.crl`);
    };
    const negative = numbered('negative', '02:02:80:00');
    expect(openssl(['crl', '-in', dir.path('negative.crl'), '-noout', '-crlnumber'])).toContain('-');
    // Read as unsigned, -32768 was 32768: "newer" than any CRL a real CA had issued.
    await expectPkiError(() => parseCrl(negative), 'Crl.InvalidNumber', 'negative');
    await expectPkiError(() => parseCrl(numbered('minus-one', '02:01:FF')), 'Crl.InvalidNumber', 'minus one');
    const twentyOne = `02:15:${Array.from({ length: 21 }, () => '7F').join(':')}`;
    await expectPkiError(() => parseCrl(numbered('twenty-one', twentyOne)), 'Crl.InvalidNumber', '21 octets');
    // 20 octets with the top bit set need a 00 sign octet: still 20 octets of number.
    const twenty = `02:15:00:${Array.from({ length: 20 }, () => 'FF').join(':')}`;
    expect(parseCrl(numbered('twenty', twenty)).crlNumber).toBe(((1n << 160n) - 1n).toString());
    expect(parseCrl(numbered('zero', '02:01:00')).crlNumber).toBe('0');
  });

  it('says whether a CRL is in force: Crl.NotYetValid before thisUpdate (a minute of skew allowed), Crl.Expired from nextUpdate', async () => {
    const crl = parseCrl(dir.text('main.crl'));
    const thisUpdate = crl.thisUpdate.getTime();
    const nextUpdate = crl.nextUpdate!.getTime();
    expect(() => checkCrlCurrent(crl, new Date())).not.toThrow();
    expect(() => checkCrlCurrent(crl, new Date(thisUpdate - 30_000))).not.toThrow();
    expect(() => checkCrlCurrent(crl, new Date(nextUpdate - 1000))).not.toThrow();
    await expectPkiError(() => checkCrlCurrent(crl, new Date(thisUpdate - 120_000)), 'Crl.NotYetValid');
    await expectPkiError(() => checkCrlCurrent(crl, new Date(nextUpdate)), 'Crl.Expired');
    await expectPkiError(() => checkCrlCurrent(crl, new Date(nextUpdate + 86_400_000)), 'Crl.Expired');
    // openssl agrees the CRL is past its nextUpdate then: its checks run at -attime.
    const verify = opensslResult([
      'verify',
      '-crl_check',
      '-CRLfile',
      dir.path('main.crl'),
      '-CAfile',
      dir.path('main.pem'),
      '-attime',
      String(Math.floor(nextUpdate / 1000) + 60),
      dir.path('revoked-0.pem'),
    ]);
    expect(verify.stdout + verify.stderr).toContain('CRL has expired');
  });

  it('refuses oversized and malformed CRLs with Crl.* codes', async () => {
    const der = new Uint8Array(dir.read('main.crl.der'));
    await expectPkiError(() => parseCrl(der, { maxEntries: 2 }), 'Crl.TooLarge', 'too many entries');
    await expectPkiError(() => parseCrl(der, { maxDerBytes: 100 }), 'Crl.TooLarge', 'DER over the size limit');
    await expectPkiError(() => parseCrl(dir.text('main.crl'), { maxDerBytes: 100 }), 'Crl.TooLarge', 'PEM over the size limit');
    await expectPkiError(() => parseCrl(''), 'Crl.Malformed', 'empty');
    await expectPkiError(() => parseCrl(crypto.randomBytes(500)), 'Crl.Malformed', 'garbage');
    await expectPkiError(() => parseCrl(ca.certificatePem), 'Crl.Malformed', 'a certificate');
    await expectPkiError(() => parseCrl(pemToDer(ca.certificatePem)), 'Crl.Malformed', 'a certificate as DER');
    for (let n = 1; n < der.length; n += 7) await expectPkiError(() => parseCrl(der.subarray(0, n)), 'Crl.Malformed', `truncated at ${n}`);
    await expectPkiError(() => parseCrl(flipByte(der, 1)), 'Crl.Malformed', 'bad length');
  });
});

describe('large CRLs', () => {
  /** A CRL with `count` entries under a throwaway key: structure only, for size and speed. */
  function syntheticCrl(count: number, critical: string | null = null): Uint8Array {
    const entries: Uint8Array[] = [];
    const date = derTime(new Date('2030-01-01T00:00:00Z'));
    const reason = derSequence(derSequence(derOid(Oid.crlReason), derOctetString(derTlv(Tag.Enumerated, Uint8Array.of(1)))));
    const serial = new Uint8Array(16).fill(0x5a);
    for (let i = 0; i < count; i++) {
      new DataView(serial.buffer).setUint32(12, i);
      entries.push(derSequence(derUnsignedInteger(serial), date, reason));
    }
    const extensions =
      critical === null ? [] : [derExplicit(0, derSequence(derSequence(derOid(critical), derBoolean(true), derOctetString(derNull()))))];
    const algorithm = derSequence(derOid(Oid.ecdsaWithSha256));
    const tbs = derSequence(derSmallInteger(1), algorithm, derSequence(), date, derConstructed(Tag.Sequence, entries), ...extensions);
    return derSequence(tbs, algorithm, derBitString(Uint8Array.of(0)));
  }

  it('parses 100,000 entries quickly and stops at the entry bound', () => {
    const der = syntheticCrl(100_000);
    const started = performance.now();
    const crl = parseCrl(der);
    expect(crl.revoked).toHaveLength(100_000);
    expect(crl.revoked[0]!.reason).toBe('keyCompromise');
    // A generous bound (about 5 µs per entry is typical): parsing must stay linear and cheap.
    expect(performance.now() - started).toBeLessThan(3000);
    expect(new Set(crl.revoked.map((r) => r.serialNumber)).size).toBe(100_000);
    expect(() => parseCrl(syntheticCrl(11), { maxEntries: 10 })).toThrow(/more than 10 revoked/);
  });

  it('parses a 500,000-entry CRL made by openssl ca -gencrl with the largest usual entries (55 MB of PEM) in seconds', () => {
    const dir = new TempDir();
    try {
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
        dir.path('ca.key'),
        '-out',
        dir.path('ca.pem'),
        '-days',
        '5',
        '-subj',
        '/CN=Big CRL CA',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ]);
      // openssl's CA database, written directly: 500,000 revoked serials of 20 octets whose top
      // bit needs a sign octet (21 in DER), each with a reason and an invalidity date (keyTime):
      // about 81 bytes of DER per entry, 40.5 MB in all.
      const count = 500_000;
      const serial = (i: number) => `${'fa'.repeat(16)}${i.toString(16).padStart(8, '0')}`;
      const lines: string[] = [];
      for (let i = 0; i < count; i++)
        lines.push(`R\t300101000000Z\t251201000000Z,keyTime,20251130000000Z\t${serial(i).toUpperCase()}\tunknown\t/CN=c${i}`);
      dir.write('index', `${lines.join('\n')}\n`);
      dir.write('crlnumber', '10\n');
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
      openssl(['ca', '-config', dir.path('ca.cnf'), '-gencrl', '-out', dir.path('big.crl')]);
      const pem = dir.text('big.crl');
      expect(pem.length).toBeGreaterThan(54_000_000);
      expect(pemToDer(pem).length).toBeGreaterThan(40_000_000);

      const started = performance.now();
      const crl = parseCrl(pem);
      const elapsed = performance.now() - started;
      expect(crl.revoked).toHaveLength(count);
      expect(verifyCrlSignature(crl, dir.text('ca.pem'))).toEqual({ ok: true });
      expect(crl.revoked[0]).toEqual({
        serialNumber: serial(0),
        revocationDate: new Date('2025-12-01T00:00:00Z'),
        reason: 'keyCompromise',
      });
      expect(new Set(crl.revoked.map((r) => r.serialNumber)).has(serial(count - 1))).toBe(true);
      // About 2–5 s on the shared CI machines; the bound catches anything superlinear.
      expect(elapsed).toBeLessThan(20_000);
    } finally {
      dir.remove();
    }
  }, 120_000);

  it('refuses a CRL with an unknown critical extension', async () => {
    await expectPkiError(() => parseCrl(syntheticCrl(1, '1.2.3.4')), 'Crl.Malformed');
  });

  it('stops at the bound on a hostile list of millions of tiny elements instead of reading them all', async () => {
    // One entry whose extension list is 15 million NULLs (30 MB): 64 extensions are the bound,
    // so reading stops there, in microseconds, rather than building 15 million nodes first.
    const nulls = new Uint8Array(30_000_000);
    for (let i = 0; i < nulls.length; i += 2) nulls[i] = Tag.Null;
    const entry = derSequence(derUnsignedInteger(Uint8Array.of(1)), derTime(new Date('2030-01-01T00:00:00Z')), derTlv(Tag.Sequence, nulls));
    const algorithm = derSequence(derOid(Oid.ecdsaWithSha256));
    const date = derTime(new Date('2030-01-01T00:00:00Z'));
    const crl = derSequence(
      derSequence(derSmallInteger(1), algorithm, derSequence(), date, derSequence(entry)),
      algorithm,
      derBitString(Uint8Array.of(0)),
    );
    const started = performance.now();
    const error = await expectPkiError(() => parseCrl(crl), 'Crl.Malformed');
    expect(error.message).toContain('more than 64 elements');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
