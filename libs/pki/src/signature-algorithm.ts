import crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { DerNode, DerReader } from './asn1/der-reader.ts';
import { contextTag } from './asn1/der-tag.ts';
import { derNull, derOid, derSequence } from './asn1/der-writer.ts';
import { Oid } from './oids.ts';

type Hash = 'md2' | 'md5' | 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

/**
 * A signature algorithm read from an AlgorithmIdentifier. `name` is OpenSSL's name for it
 * (`ecdsa-with-SHA256`, `sha256WithRSAEncryption`, …), the one an API reports. `strength`
 * says whether the hash is broken for signatures (MD2, MD5, SHA-1) or the algorithm unknown.
 */
export interface SignatureAlgorithm {
  readonly oid: string;
  readonly name: string;
  readonly scheme: 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' | 'eddsa' | 'dsa' | 'unknown';
  readonly hash: Hash | null;
  readonly strength: 'acceptable' | 'weak' | 'unknown';
  readonly pssSaltLength?: number;
}

const known: ReadonlyMap<string, Omit<SignatureAlgorithm, 'oid' | 'strength'>> = new Map([
  [Oid.md2WithRsa, { name: 'md2WithRSAEncryption', scheme: 'rsa-pkcs1', hash: 'md2' }],
  [Oid.md5WithRsa, { name: 'md5WithRSAEncryption', scheme: 'rsa-pkcs1', hash: 'md5' }],
  [Oid.sha1WithRsa, { name: 'sha1WithRSAEncryption', scheme: 'rsa-pkcs1', hash: 'sha1' }],
  [Oid.sha224WithRsa, { name: 'sha224WithRSAEncryption', scheme: 'rsa-pkcs1', hash: 'sha224' }],
  [Oid.sha256WithRsa, { name: 'sha256WithRSAEncryption', scheme: 'rsa-pkcs1', hash: 'sha256' }],
  [Oid.sha384WithRsa, { name: 'sha384WithRSAEncryption', scheme: 'rsa-pkcs1', hash: 'sha384' }],
  [Oid.sha512WithRsa, { name: 'sha512WithRSAEncryption', scheme: 'rsa-pkcs1', hash: 'sha512' }],
  [Oid.ecdsaWithSha1, { name: 'ecdsa-with-SHA1', scheme: 'ecdsa', hash: 'sha1' }],
  [Oid.ecdsaWithSha224, { name: 'ecdsa-with-SHA224', scheme: 'ecdsa', hash: 'sha224' }],
  [Oid.ecdsaWithSha256, { name: 'ecdsa-with-SHA256', scheme: 'ecdsa', hash: 'sha256' }],
  [Oid.ecdsaWithSha384, { name: 'ecdsa-with-SHA384', scheme: 'ecdsa', hash: 'sha384' }],
  [Oid.ecdsaWithSha512, { name: 'ecdsa-with-SHA512', scheme: 'ecdsa', hash: 'sha512' }],
  [Oid.dsaWithSha1, { name: 'dsaWithSHA1', scheme: 'dsa', hash: 'sha1' }],
  [Oid.dsaWithSha256, { name: 'dsa_with_SHA256', scheme: 'dsa', hash: 'sha256' }],
  [Oid.ed25519, { name: 'ED25519', scheme: 'eddsa', hash: null }],
  [Oid.ed448, { name: 'ED448', scheme: 'eddsa', hash: null }],
]);

const hashByOid: ReadonlyMap<string, Hash> = new Map([
  [Oid.sha1, 'sha1'],
  [Oid.sha224, 'sha224'],
  [Oid.sha256, 'sha256'],
  [Oid.sha384, 'sha384'],
  [Oid.sha512, 'sha512'],
]);

const weakHashes: ReadonlySet<Hash | null> = new Set(['md2', 'md5', 'sha1']);

/** Reads a signature AlgorithmIdentifier. Unknown algorithms are described, not refused. */
export function readSignatureAlgorithm(der: DerReader, node: DerNode | undefined): SignatureAlgorithm {
  const [oidNode, params] = der.sequence(node, 'signature algorithm', 1, 2);
  const oid = der.oid(oidNode, 'signature algorithm');
  if (oid === Oid.rsassaPss) return readPss(der, params);
  const entry = known.get(oid);
  if (entry === undefined) return { oid, name: oid, scheme: 'unknown', hash: null, strength: 'unknown' };
  return { oid, ...entry, strength: weakHashes.has(entry.hash) ? 'weak' : 'acceptable' };
}

/**
 * RSASSA-PSS-params (RFC 4055): hash [0], mask generation [1], salt length [2], trailer [3],
 * with SHA-1 defaults. Only MGF1 with the same hash as the message can be verified here
 * (that is what node:crypto does); anything else is reported as unknown.
 */
function readPss(der: DerReader, params: DerNode | undefined): SignatureAlgorithm {
  let hash: Hash | undefined = 'sha1';
  let mgfHash: Hash | undefined = 'sha1';
  let saltLength = 20;
  for (const field of params === undefined ? [] : der.sequence(params, 'RSASSA-PSS parameters', 0, 4)) {
    const inner = der.inner(field);
    if (field.tag === contextTag(0, true)) {
      hash = hashByOid.get(der.oid(der.sequence(inner, 'PSS hash', 1, 2)[0], 'PSS hash'));
    } else if (field.tag === contextTag(1, true)) {
      const [mgfOid, mgfParams] = der.sequence(inner, 'PSS mask generation', 1, 2);
      mgfHash =
        der.oid(mgfOid, 'PSS mask generation') === Oid.mgf1
          ? hashByOid.get(der.oid(der.sequence(mgfParams, 'MGF1 hash', 1, 2)[0], 'MGF1 hash'))
          : undefined;
    } else if (field.tag === contextTag(2, true)) {
      saltLength = der.smallInteger(inner, 'PSS salt length');
    }
  }
  const base = { oid: Oid.rsassaPss, name: 'rsassaPss', scheme: 'rsa-pss' as const, pssSaltLength: saltLength };
  if (hash === undefined || hash !== mgfHash) return { ...base, hash: null, strength: 'unknown' };
  return { ...base, hash, strength: weakHashes.has(hash) ? 'weak' : 'acceptable' };
}

/**
 * Verifies `signature` over `data` with `publicKey` under `algorithm`. Returns false, never
 * throws, for a signature that does not verify, is malformed, or uses an algorithm this
 * function cannot check (so an unknown algorithm can never pass).
 */
export function verifySignature(
  algorithm: Pick<SignatureAlgorithm, 'scheme' | 'hash' | 'pssSaltLength'>,
  data: Uint8Array,
  signature: Uint8Array,
  publicKey: KeyObject,
): boolean {
  try {
    switch (algorithm.scheme) {
      case 'rsa-pkcs1':
        return crypto.verify(algorithm.hash, data, { key: publicKey, padding: crypto.constants.RSA_PKCS1_PADDING }, signature);
      case 'rsa-pss':
        return crypto.verify(
          algorithm.hash,
          data,
          { key: publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSaltLength ?? 20 },
          signature,
        );
      case 'ecdsa':
      case 'dsa':
        return crypto.verify(algorithm.hash, data, publicKey, signature);
      case 'eddsa':
        return crypto.verify(null, data, publicKey, signature);
      default:
        return false;
    }
  } catch {
    // OpenSSL raises for signatures it cannot even decode; to the caller that is a bad signature.
    return false;
  }
}

/** The two algorithms libs/pki signs with, chosen by the CA key type; SHA-256 in both cases. */
export type SigningAlgorithm = 'ecdsa-with-SHA256' | 'sha256WithRSAEncryption';

const ecdsaWithSha256 = derSequence(derOid(Oid.ecdsaWithSha256));
const sha256WithRsa = derSequence(derOid(Oid.sha256WithRsa), derNull());

/**
 * The AlgorithmIdentifier encoding of a signing algorithm. RFC 5758 omits parameters for
 * ECDSA; RFC 4055 requires an explicit NULL for PKCS#1 v1.5.
 */
export function encodeSigningAlgorithm(algorithm: SigningAlgorithm): Uint8Array {
  return algorithm === 'ecdsa-with-SHA256' ? ecdsaWithSha256 : sha256WithRsa;
}
