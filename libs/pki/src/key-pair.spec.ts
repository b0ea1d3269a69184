import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeKeyPair,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateKeyPair,
  keyTypes,
  readPrivateKeyPem,
  readPublicKeyPem,
} from './key-pair.ts';
import type { KeyType } from './key-pair.ts';
import { PkiError } from './pki-error.ts';
import { TempDir, openssl } from './test/openssl.ts';

const codeOf = (run: () => unknown): string => {
  try {
    run();
    return 'none';
  } catch (error) {
    expect(error).toBeInstanceOf(PkiError);
    expect((error as PkiError).message).not.toContain('PRIVATE KEY-----');
    return (error as PkiError).code;
  }
};

describe('key pairs', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = new TempDir();
  });
  afterAll(() => dir.remove());

  // RSA-4096 generation takes seconds on a busy machine; it is generated once, here.
  it.each(keyTypes)('generates %s natively, and openssl accepts the PKCS#8 and SPKI PEM', async (keyType: KeyType) => {
    const keys = await generateKeyPair(keyType);
    const privatePem = exportPrivateKeyPem(keys.privateKey);
    const publicPem = exportPublicKeyPem(keys.publicKey);
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    dir.write(`${keyType}.key`, privatePem);
    expect(openssl(['pkey', '-in', dir.path(`${keyType}.key`), '-check', '-noout'])).toContain('valid');
    expect(openssl(['pkey', '-in', dir.path(`${keyType}.key`), '-pubout'])).toBe(publicPem);
    const expected = keyType.startsWith('ec')
      ? { type: 'ec', curve: keyType === 'ec-p256' ? 'P-256' : 'P-384' }
      : { type: 'rsa', bits: Number(keyType.slice(4)) };
    const encoded = encodeKeyPair(keys);
    expect(encoded.publicKeyInfo.algorithm).toMatchObject(expected);
    expect(encoded.privateKeyPem).toBe(privatePem);
    expect(Buffer.from(encoded.publicKeyInfo.spki)).toEqual(keys.publicKey.export({ type: 'spki', format: 'der' }));
    expect(readPublicKeyPem(publicPem).equals(keys.publicKey)).toBe(true);
    expect(readPrivateKeyPem(privatePem).equals(keys.privateKey)).toBe(true);
  });

  it('encodes EC keys from their JWK form byte for byte as OpenSSL does', async () => {
    // Many keys, so coordinates and scalars with leading zero bytes are among them.
    for (const [keyType, count] of [
      ['ec-p256', 600],
      ['ec-p384', 300],
    ] as const) {
      for (let i = 0; i < count; i++) {
        const keys = await generateKeyPair(keyType);
        const encoded = encodeKeyPair(keys);
        expect(encoded.privateKeyPem).toBe(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
        expect(Buffer.from(encoded.publicKeyInfo.spki).equals(keys.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
        expect(Buffer.from(encoded.publicKeyInfo.spki).subarray(-encoded.publicKeyInfo.keyBits.length)).toEqual(
          Buffer.from(encoded.publicKeyInfo.keyBits),
        );
      }
    }
  });

  it('refuses an unknown key type as a user error', async () => {
    await expect(generateKeyPair('ec-p192' as KeyType)).rejects.toMatchObject({ code: 'Key.UnsupportedAlgorithm' });
    await expect(generateKeyPair('toString' as KeyType)).rejects.toMatchObject({ code: 'Key.UnsupportedAlgorithm' });
  });

  it('reads the SEC1 and PKCS#1 forms openssl writes', () => {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', dir.path('sec1.pem')]);
    expect(dir.text('sec1.pem')).toContain('BEGIN EC PRIVATE KEY');
    expect(readPrivateKeyPem(dir.text('sec1.pem')).asymmetricKeyType).toBe('ec');
    openssl(['genrsa', '-traditional', '-out', dir.path('pkcs1.pem'), '2048']);
    expect(dir.text('pkcs1.pem')).toContain('BEGIN RSA PRIVATE KEY');
    expect(readPrivateKeyPem(dir.text('pkcs1.pem')).asymmetricKeyType).toBe('rsa');
  });

  it('refuses broken, encrypted, public and doubled keys with Key.* codes and no key material', () => {
    const good = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const encrypted = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'x',
    }) as string;
    const lines = good.split('\n');
    const corrupted = [lines[0], `${lines[1]!.slice(0, 10)}AAAA${lines[1]!.slice(14)}`, ...lines.slice(2)].join('\n');
    expect(codeOf(() => readPrivateKeyPem(''))).toBe('Key.Malformed');
    expect(codeOf(() => readPrivateKeyPem('not a key'))).toBe('Key.Malformed');
    expect(codeOf(() => readPrivateKeyPem(encrypted))).toBe('Key.Malformed');
    expect(codeOf(() => readPrivateKeyPem(corrupted))).toBe('Key.Malformed');
    expect(codeOf(() => readPrivateKeyPem(good + good))).toBe('Key.Malformed');
    expect(codeOf(() => readPublicKeyPem(good))).toBe('Key.Malformed');
    expect(codeOf(() => readPrivateKeyPem(`-----BEGIN PRIVATE KEY-----\n${'A'.repeat(40_000)}\n-----END PRIVATE KEY-----\n`))).toBe(
      'Key.TooLarge',
    );
  });
});
