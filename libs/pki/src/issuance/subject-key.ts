import type { KeyObject } from 'node:crypto';
import type { PublicKeyInfo } from '../key-algorithm.ts';
import { publicKeyInfoOf, readPublicKeyPem } from '../key-pair.ts';
import { PkiError } from '../pki-error.ts';

/**
 * The SubjectPublicKeyInfo of a public key given for issuance: SPKI PEM
 * (`-----BEGIN PUBLIC KEY-----`) or a public KeyObject. Throws `Key.Malformed` (or
 * `Key.TooLarge`) for an unreadable PEM and `Key.Malformed` for a private or secret
 * KeyObject; whether the key is strong enough is the issuance policies' judgement.
 */
export function subjectPublicKeyInfo(publicKey: string | KeyObject): PublicKeyInfo {
  const key = typeof publicKey === 'string' ? readPublicKeyPem(publicKey) : publicKey;
  if (key.type !== 'public') throw new PkiError('Key.Malformed', { detail: 'a public key is expected' });
  return publicKeyInfoOf(key);
}
