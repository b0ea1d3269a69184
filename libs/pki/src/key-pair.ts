import crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { DerReader } from './asn1/der-reader.ts';
import { derBitString, derExplicit, derOctetString, derOid, derSequence, derSmallInteger } from './asn1/der-writer.ts';
import { readOneDer } from './der-input.ts';
import { readPublicKeyInfo } from './key-algorithm.ts';
import type { KeyAlgorithm, PublicKeyInfo } from './key-algorithm.ts';
import { Oid } from './oids.ts';
import { encodePem } from './pem.ts';
import { PkiError } from './pki-error.ts';

/** The key types libs/pki generates: the product's "RSA or ECC" choice, with sizes. */
export type KeyType = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';

interface KeySpec {
  readonly algorithm: KeyAlgorithm;
  readonly curve?: { readonly name: string; readonly oid: string; readonly bytes: number };
  readonly bits?: number;
}

const specs: Readonly<Record<KeyType, KeySpec>> = {
  'ec-p256': { algorithm: { type: 'ec', curve: 'P-256', name: 'EC P-256' }, curve: { name: 'P-256', oid: Oid.p256, bytes: 32 } },
  'ec-p384': { algorithm: { type: 'ec', curve: 'P-384', name: 'EC P-384' }, curve: { name: 'P-384', oid: Oid.p384, bytes: 48 } },
  'rsa-2048': { algorithm: { type: 'rsa', bits: 2048, name: 'RSA 2048' }, bits: 2048 },
  'rsa-3072': { algorithm: { type: 'rsa', bits: 3072, name: 'RSA 3072' }, bits: 3072 },
  'rsa-4096': { algorithm: { type: 'rsa', bits: 4096, name: 'RSA 4096' }, bits: 4096 },
};

/** Every {@link KeyType}, for schemas and pickers. */
export const keyTypes: readonly KeyType[] = Object.keys(specs) as KeyType[];

function specOf(keyType: KeyType): KeySpec {
  // Key types arrive from API input in JavaScript callers too, so an unknown one is a user error.
  const spec = Object.hasOwn(specs, keyType) ? specs[keyType] : undefined;
  if (spec === undefined) throw new PkiError('Key.UnsupportedAlgorithm', { detail: `unknown key type ${String(keyType)}` });
  return spec;
}

/** What a key of `keyType` will be described as once generated. Throws `Key.UnsupportedAlgorithm` for an unknown type. */
export function keyTypeAlgorithm(keyType: KeyType): KeyAlgorithm {
  return specOf(keyType).algorithm;
}

/** A freshly generated key pair. The private key lives only in this object until exported. */
export interface GeneratedKeyPair {
  readonly keyType: KeyType;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * Generates a key pair natively (OpenSSL through node:crypto, RSA exponent 65537).
 * EC keys are generated on the calling thread: at ~40 µs that is cheaper than the ~160 µs a
 * thread-pool round trip costs. RSA keys (~0.1–2 s) are generated on the thread pool so the
 * event loop keeps serving. Throws `Key.UnsupportedAlgorithm` for an unknown key type.
 */
export async function generateKeyPair(keyType: KeyType): Promise<GeneratedKeyPair> {
  const spec = specOf(keyType);
  if (spec.curve !== undefined) {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: spec.curve.name });
    return { keyType, privateKey, publicKey };
  }
  const { privateKey, publicKey } = await new Promise<crypto.KeyPairKeyObjectResult>((resolve, reject) =>
    crypto.generateKeyPair('rsa', { modulusLength: spec.bits!, publicExponent: 65537 }, (error, publicKey, privateKey) =>
      error === null ? resolve({ publicKey, privateKey }) : reject(error),
    ),
  );
  return { keyType, privateKey, publicKey };
}

/** The SubjectPublicKeyInfo of a public key, parsed, as certificates embed it. */
export function publicKeyInfoOf(publicKey: KeyObject): PublicKeyInfo {
  const der = new DerReader(new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })), 'Key.Malformed');
  return readPublicKeyInfo(der, der.root());
}

/** A generated key pair in the forms issuance hands out: the public key info and PKCS#8 PEM. */
export interface EncodedKeyPair {
  readonly publicKeyInfo: PublicKeyInfo;
  readonly privateKeyPem: string;
}

function fixedLength(base64url: string | undefined, bytes: number): Uint8Array {
  const value = Buffer.from(base64url ?? '', 'base64url');
  const out = new Uint8Array(bytes);
  out.set(value.subarray(Math.max(0, value.length - bytes)), Math.max(0, bytes - value.length));
  return out;
}

/**
 * Encodes a freshly generated pair for issuance. For EC keys, SPKI and PKCS#8 are written here
 * from the key's JWK form (x, y, d): OpenSSL's encoders cost ~100 µs for the two exports, a
 * third of a whole P-256 issuance, where one JWK export costs ~20 µs. The bytes are those
 * OpenSSL writes (named curve, uncompressed point, ECPrivateKey v1 with the public key and
 * without repeated parameters); a test holds them equal. RSA keys use OpenSSL's exports: their
 * generation dwarfs any encoding cost.
 */
export function encodeKeyPair(keys: GeneratedKeyPair): EncodedKeyPair {
  const curve = specOf(keys.keyType).curve;
  if (curve === undefined) {
    return { publicKeyInfo: publicKeyInfoOf(keys.publicKey), privateKeyPem: exportPrivateKeyPem(keys.privateKey) };
  }
  const jwk = keys.privateKey.export({ format: 'jwk' });
  const point = new Uint8Array(1 + 2 * curve.bytes);
  point[0] = 0x04;
  point.set(fixedLength(jwk.x, curve.bytes), 1);
  point.set(fixedLength(jwk.y, curve.bytes), 1 + curve.bytes);
  const algorithm = derSequence(derOid(Oid.ecPublicKey), derOid(curve.oid));
  const publicKey = derBitString(point);
  const ecPrivateKey = derSequence(derSmallInteger(1), derOctetString(fixedLength(jwk.d, curve.bytes)), derExplicit(1, publicKey));
  return {
    publicKeyInfo: { spki: derSequence(algorithm, publicKey), keyBits: point, algorithm: specOf(keys.keyType).algorithm },
    privateKeyPem: encodePem('PRIVATE KEY', derSequence(derSmallInteger(0), algorithm, derOctetString(ecPrivateKey))),
  };
}

/** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), unencrypted: the caller protects it. */
export function exportPrivateKeyPem(privateKey: KeyObject): string {
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
export function exportPublicKeyPem(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }) as string;
}

const privateKeyLabels: Readonly<Record<string, 'pkcs8' | 'sec1' | 'pkcs1'>> = {
  'PRIVATE KEY': 'pkcs8',
  'EC PRIVATE KEY': 'sec1',
  'RSA PRIVATE KEY': 'pkcs1',
};

/**
 * Reads one unencrypted private key from PEM: PKCS#8, or the SEC1 and PKCS#1 forms OpenSSL
 * tools still write. Throws `Key.Malformed` for anything else (including encrypted keys and
 * several blocks) and `Key.TooLarge` beyond 16 KiB of DER. Error details never quote the key.
 */
export function readPrivateKeyPem(pem: string): KeyObject {
  const labels = Object.keys(privateKeyLabels);
  const der = readOneDer(pem, {
    labels,
    maxDerBytes: 16 * 1024,
    malformed: 'Key.Malformed',
    tooLarge: 'Key.TooLarge',
    multiple: 'Key.Malformed',
  });
  const label = labels.find((l) => pem.includes(`-----BEGIN ${l}-----`))!;
  try {
    return crypto.createPrivateKey({ key: Buffer.from(der), format: 'der', type: privateKeyLabels[label]! });
  } catch (cause) {
    throw new PkiError('Key.Malformed', { detail: `the ${label} block is not a valid key`, cause });
  }
}

/** Reads one SPKI public key from PEM (`-----BEGIN PUBLIC KEY-----`); errors as {@link readPrivateKeyPem}. */
export function readPublicKeyPem(pem: string): KeyObject {
  const der = readOneDer(pem, {
    labels: ['PUBLIC KEY'],
    maxDerBytes: 16 * 1024,
    malformed: 'Key.Malformed',
    tooLarge: 'Key.TooLarge',
    multiple: 'Key.Malformed',
  });
  try {
    return crypto.createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new PkiError('Key.Malformed', { detail: 'the PUBLIC KEY block is not a valid key', cause });
  }
}
