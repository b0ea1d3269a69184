import crypto from 'node:crypto';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '../certificate-authority.ts';
import type { CreatedCertificateAuthority } from '../certificate-authority.ts';
import { issueClientCertificate } from '../issuance/issue-client-certificate.ts';
import type { IssuedClientCertificate } from '../issuance/issue-client-certificate.ts';
import { loadIssuingCa, localCaSigner } from '../issuing-ca.ts';
import { readPrivateKeyPem } from '../key-pair.ts';
import { expectPkiError } from '../test/expect-pki-error.ts';
import { TempDir, openssl, opensslResult } from '../test/openssl.ts';
import { exportPkcs12 } from './pkcs12-export.ts';
import { pkcs12MacKey } from './pkcs12-mac-key.ts';

describe('exportPkcs12', () => {
  let dir: TempDir;
  let ca: CreatedCertificateAuthority;
  const leaves = new Map<string, IssuedClientCertificate>();

  beforeAll(async () => {
    dir = new TempDir();
    ca = await createCertificateAuthority({ subject: { commonName: 'P12 CA' } });
    const issuing = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKey));
    for (const keyType of ['ec-p256', 'rsa-2048'] as const) {
      leaves.set(keyType, await issueClientCertificate(issuing, { keyType, commonName: `p12 ${keyType}` }));
    }
  });
  afterAll(() => dir.remove());

  it.each(['ec-p256', 'rsa-2048'])(
    'writes a %s PKCS#12 that openssl opens with modern algorithms, key matching the certificate',
    async (keyType) => {
      const leaf = leaves.get(keyType)!;
      const password = 'correct horse – battery staple';
      const p12 = await exportPkcs12({
        certificate: leaf.certificatePem,
        privateKey: leaf.privateKeyPem!,
        chain: [ca.certificatePem],
        password,
      });
      const file = dir.write(`${keyType}.p12`, p12);
      const info = opensslResult(['pkcs12', '-info', '-nodes', '-in', file, '-passin', `pass:${password}`]);
      expect(info.status).toBe(0);
      expect(info.stderr).toContain('MAC: sha256, Iteration 10000');
      expect(info.stderr).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 10000, PRF hmacWithSHA256/);
      expect(info.stderr).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 10000, PRF hmacWithSHA256/);
      expect(info.stdout).toContain(`friendlyName: p12 ${keyType}`);
      expect(info.stdout.match(/localKeyID: ([0-9A-F ]+)/g)).toHaveLength(2);
      const [certKeyId, keyKeyId] = info.stdout.match(/localKeyID: ([0-9A-F ]+)/g)!;
      expect(certKeyId).toBe(keyKeyId);

      const clientCert = openssl(['pkcs12', '-in', file, '-passin', `pass:${password}`, '-clcerts', '-nokeys']);
      expect(clientCert).toContain(leaf.certificatePem.trim());
      expect(openssl(['pkcs12', '-in', file, '-passin', `pass:${password}`, '-cacerts', '-nokeys'])).toContain(ca.certificatePem.trim());
      const keyFile = dir.write(`${keyType}.key`, openssl(['pkcs12', '-in', file, '-passin', `pass:${password}`, '-nocerts', '-nodes']));
      const certFile = dir.write(`${keyType}.pem`, leaf.certificatePem);
      expect(openssl(['pkey', '-in', keyFile, '-pubout'])).toBe(openssl(['x509', '-in', certFile, '-noout', '-pubkey']));

      const wrong = opensslResult(['pkcs12', '-info', '-nodes', '-in', file, '-passin', 'pass:wrong password']);
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toContain('Mac verify error');
    },
  );

  it('takes a KeyObject, names the bags as asked, and leaves the chain out when none is given', async () => {
    const leaf = leaves.get('ec-p256')!;
    const p12 = await exportPkcs12({
      certificate: leaf.certificateDer,
      privateKey: readPrivateKeyPem(leaf.privateKeyPem!),
      password: 'pässwörd',
      friendlyName: 'Work laptop',
    });
    const info = opensslResult(['pkcs12', '-info', '-nodes', '-in', dir.write('named.p12', p12), '-passin', 'pass:pässwörd']);
    expect(info.status).toBe(0);
    expect(info.stdout).toContain('friendlyName: Work laptop');
    expect(info.stdout.match(/BEGIN CERTIFICATE/g)).toHaveLength(1);
  });

  it('refuses a key that is not the certificate’s and unacceptable passwords', async () => {
    const ec = leaves.get('ec-p256')!;
    const rsa = leaves.get('rsa-2048')!;
    await expectPkiError(exportPkcs12({ certificate: ec.certificatePem, privateKey: rsa.privateKeyPem!, password: 'x' }), 'Key.Mismatch');
    await expectPkiError(exportPkcs12({ certificate: ec.certificatePem, privateKey: ca.privateKeyPem, password: 'x' }), 'Key.Mismatch');
    await expectPkiError(
      exportPkcs12({ certificate: ec.certificatePem, privateKey: ec.privateKeyPem!, password: '' }),
      'Pkcs12.InvalidPassword',
    );
    await expectPkiError(
      exportPkcs12({ certificate: ec.certificatePem, privateKey: ec.privateKeyPem!, password: 'a\u0000b' }),
      'Pkcs12.InvalidPassword',
    );
    await expectPkiError(
      exportPkcs12({ certificate: ec.certificatePem, privateKey: ec.privateKeyPem!, password: 'x'.repeat(1025) }),
      'Pkcs12.InvalidPassword',
    );
    await expectPkiError(exportPkcs12({ certificate: 'nope', privateKey: ec.privateKeyPem!, password: 'x' }), 'Certificate.Malformed');
    const lines = ec.privateKeyPem!.split('\n');
    const broken = [lines[0], 'A'.repeat(lines[1]!.length), ...lines.slice(2)].join('\n');
    const error = await expectPkiError(
      exportPkcs12({ certificate: ec.certificatePem, privateKey: broken, password: 'x' }),
      'Key.Malformed',
    );
    for (const line of lines.slice(1, -2)) expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(line);
  });
});

describe('pkcs12MacKey', () => {
  it('derives the RFC 7292 appendix B key that node-forge derives, for ASCII and BMP passwords', async () => {
    for (const password of ['password', 'smörgåsbord €', 'x']) {
      const salt = crypto.randomBytes(16);
      const ours = await pkcs12MacKey(password, salt, 2500);
      const theirs = forge.pkcs12.generateKey(
        password,
        forge.util.createBuffer(salt.toString('binary')),
        3,
        2500,
        32,
        forge.md.sha256.create(),
      );
      expect(Buffer.from(ours).toString('hex')).toBe(forge.util.bytesToHex(theirs.bytes()));
    }
  });
});
