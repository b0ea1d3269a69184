import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * A secret sealed for storage: the secret is encrypted with a fresh data key
 * (AES-256-GCM), and the data key is wrapped by a key-encryption key that never leaves
 * the key manager. Every field is base64 except `kekId`, which names the wrapping key.
 */
export interface Envelope {
  readonly v: 1;
  readonly kekId: string;
  readonly wrappedKey: string;
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
}

/**
 * Seals and opens secrets (CA and server private keys). `context` is authenticated but not
 * stored: an envelope opens only with the context it was sealed with (for example the id of
 * the entity holding it), so a sealed key copied onto another entity is useless. A KMS can
 * stand behind this interface; the local implementation wraps with master keys from the
 * environment.
 */
export interface KeyManager {
  seal(plaintext: Buffer, context: string): Promise<Envelope>;
  /** Rejects with `KeyManagerError` when the envelope was tampered with or its key is unknown. */
  open(envelope: Envelope, context: string): Promise<Buffer>;
}

export class KeyManagerError extends Error {
  override readonly name = 'KeyManagerError';
}

/**
 * Envelope encryption with local 32-byte master keys. The first key seals; every key can
 * open, so a new master key can be put first while envelopes sealed by older ones still open.
 */
export function localKeyManager(masterKeys: readonly Buffer[]): KeyManager {
  if (masterKeys.length === 0) throw new KeyManagerError('at least one master key is needed');
  const keys = new Map<string, Buffer>();
  for (const key of masterKeys) {
    if (key.length !== 32) throw new KeyManagerError('a master key must be exactly 32 bytes');
    keys.set(kekIdOf(key), key);
  }
  const [sealingKey] = masterKeys as [Buffer];
  const sealingId = kekIdOf(sealingKey);

  return {
    async seal(plaintext, context) {
      const dataKey = randomBytes(32);
      const body = gcmEncrypt(dataKey, plaintext, context);
      const wrapped = gcmEncrypt(sealingKey, dataKey, `${sealingId}|${context}`);
      dataKey.fill(0);
      return {
        v: 1,
        kekId: sealingId,
        wrappedKey: Buffer.concat([wrapped.iv, wrapped.tag, wrapped.ciphertext]).toString('base64'),
        iv: body.iv.toString('base64'),
        tag: body.tag.toString('base64'),
        ciphertext: body.ciphertext.toString('base64'),
      };
    },
    async open(envelope, context) {
      const kek = keys.get(envelope.kekId);
      if (!kek) throw new KeyManagerError(`no master key with id ${envelope.kekId}`);
      const wrapped = Buffer.from(envelope.wrappedKey, 'base64');
      const dataKey = gcmDecrypt(
        kek,
        wrapped.subarray(0, 12),
        wrapped.subarray(12, 28),
        wrapped.subarray(28),
        `${envelope.kekId}|${context}`,
      );
      try {
        return gcmDecrypt(
          dataKey,
          Buffer.from(envelope.iv, 'base64'),
          Buffer.from(envelope.tag, 'base64'),
          Buffer.from(envelope.ciphertext, 'base64'),
          context,
        );
      } finally {
        dataKey.fill(0);
      }
    },
  };
}

/**
 * Parses master keys from their configured form: base64 of 32 bytes, several separated by
 * commas (sealing key first).
 */
export function parseMasterKeys(text: string): Buffer[] {
  const keys = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => Buffer.from(part, 'base64'));
  if (keys.length === 0 || keys.some((k) => k.length !== 32)) {
    throw new KeyManagerError('master keys must be base64 of exactly 32 bytes each, separated by commas');
  }
  return keys;
}

function kekIdOf(key: Buffer): string {
  return createHash('sha256').update('portcullis-kek-id').update(key).digest('hex').slice(0, 16);
}

function gcmEncrypt(key: Buffer, plaintext: Buffer, aad: string) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, tag: cipher.getAuthTag(), ciphertext };
}

function gcmDecrypt(key: Buffer, iv: Buffer, tag: Buffer, ciphertext: Buffer, aad: string): Buffer {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch (cause) {
    throw new KeyManagerError('the envelope does not open: wrong key, wrong context, or tampered', { cause });
  }
}
