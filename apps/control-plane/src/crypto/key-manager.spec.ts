import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyManagerError, localKeyManager, parseMasterKeys } from './key-manager.ts';

const secret = Buffer.from('-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n');

describe('localKeyManager', () => {
  it('opens what it sealed, and the envelope holds no trace of the secret', async () => {
    const km = localKeyManager([randomBytes(32)]);
    const envelope = await km.seal(secret, 'accountCa:acc_1');
    expect(JSON.stringify(envelope)).not.toContain('PRIVATE KEY');
    expect(JSON.stringify(envelope)).not.toContain(secret.toString('base64').slice(0, 16));
    expect(await km.open(envelope, 'accountCa:acc_1')).toEqual(secret);
  });

  it('refuses another context, a tampered field, or an unknown master key', async () => {
    const km = localKeyManager([randomBytes(32)]);
    const envelope = await km.seal(secret, 'accountCa:acc_1');
    await expect(km.open(envelope, 'accountCa:acc_2')).rejects.toBeInstanceOf(KeyManagerError);
    const flipped = Buffer.from(envelope.ciphertext, 'base64');
    flipped[0]! ^= 1;
    await expect(km.open({ ...envelope, ciphertext: flipped.toString('base64') }, 'accountCa:acc_1')).rejects.toBeInstanceOf(
      KeyManagerError,
    );
    await expect(localKeyManager([randomBytes(32)]).open(envelope, 'accountCa:acc_1')).rejects.toThrow(/no master key/);
  });

  it('keeps opening old envelopes after a new master key is put first', async () => {
    const oldKey = randomBytes(32);
    const sealedBefore = await localKeyManager([oldKey]).seal(secret, 'c');
    const rotated = localKeyManager([randomBytes(32), oldKey]);
    expect(await rotated.open(sealedBefore, 'c')).toEqual(secret);
    expect((await rotated.seal(secret, 'c')).kekId).not.toBe(sealedBefore.kekId);
  });

  it('parses base64 master keys and refuses wrong lengths', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    expect(parseMasterKeys(` ${a.toString('base64')}, ${b.toString('base64')} `)).toEqual([a, b]);
    expect(() => parseMasterKeys(randomBytes(16).toString('base64'))).toThrow(KeyManagerError);
    expect(() => parseMasterKeys('')).toThrow(KeyManagerError);
  });
});
