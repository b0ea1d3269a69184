import type { DerNode, DerReader } from './asn1/der-reader.ts';
import { Tag } from './asn1/der-tag.ts';
import { Oid, curveNames } from './oids.ts';
import { PkiError } from './pki-error.ts';
import type { PkiErrorCode } from './pki-error.ts';

/**
 * What a public key is, as an API reports it. `name` is a short human label
 * ("EC P-256", "RSA 2048", "Ed25519"); the other fields are for code.
 * An EC key on an unnamed or unknown curve has the curve's OID (or "explicit") as `curve`.
 */
export type KeyAlgorithm =
  | { readonly type: 'ec'; readonly curve: string; readonly name: string }
  | { readonly type: 'rsa'; readonly bits: number; readonly name: string }
  | { readonly type: 'rsa-pss'; readonly bits: number; readonly name: string }
  | { readonly type: 'dsa'; readonly bits: number; readonly name: string }
  | { readonly type: 'ed25519' | 'ed448' | 'x25519' | 'x448'; readonly name: string }
  | { readonly type: 'unknown'; readonly oid: string; readonly name: string };

/** A SubjectPublicKeyInfo: its exact encoding, the key bits, and what kind of key it is. */
export interface PublicKeyInfo {
  readonly spki: Uint8Array;
  readonly keyBits: Uint8Array;
  readonly algorithm: KeyAlgorithm;
}

/** The number of significant bits of a big-endian unsigned INTEGER's content. */
function bitLength(content: Uint8Array): number {
  let i = 0;
  while (i < content.length && content[i] === 0) i++;
  if (i === content.length) return 0;
  return (content.length - i - 1) * 8 + (32 - Math.clz32(content[i]!));
}

/** Reads a SubjectPublicKeyInfo; the key itself is parsed only as far as its size needs. */
export function readPublicKeyInfo(der: DerReader, node: DerNode | undefined): PublicKeyInfo {
  const [algorithmNode, keyNode] = der.sequence(node, 'subjectPublicKeyInfo', 2, 2);
  const [oidNode, params] = der.sequence(algorithmNode, 'public key algorithm', 1, 2);
  const oid = der.oid(oidNode, 'public key algorithm');
  const key = der.bitString(keyNode, 'public key');
  if (key.unusedBits !== 0) der.fail('public key is not a whole number of bytes');
  return { spki: der.raw(node!), keyBits: key.bytes, algorithm: describe(der, oid, params, key.bytes, keyNode!) };
}

function rsaBits(der: DerReader, keyNode: DerNode): number {
  // The key bits are an RSAPublicKey SEQUENCE { modulus, publicExponent } after the unused-bits byte.
  const [modulus] = der.sequence(der.element(keyNode.contentStart + 1, keyNode.end), 'RSA public key', 2, 2);
  return bitLength(der.integer(modulus, 'RSA modulus'));
}

function describe(der: DerReader, oid: string, params: DerNode | undefined, keyBits: Uint8Array, keyNode: DerNode): KeyAlgorithm {
  switch (oid) {
    case Oid.rsaEncryption: {
      const bits = rsaBits(der, keyNode);
      return { type: 'rsa', bits, name: `RSA ${bits}` };
    }
    case Oid.rsassaPss: {
      const bits = rsaBits(der, keyNode);
      return { type: 'rsa-pss', bits, name: `RSA-PSS ${bits}` };
    }
    case Oid.ecPublicKey: {
      const curve = params?.tag === Tag.Oid ? der.oid(params, 'EC curve') : 'explicit';
      const name = curveNames.get(curve) ?? curve;
      if (keyBits.length === 0) der.fail('empty EC public key');
      return { type: 'ec', curve: name, name: `EC ${name}` };
    }
    case Oid.dsa: {
      // Dss-Parms ::= SEQUENCE { p, q, g }; the size of p is the key size. Absent parameters
      // (inherited from an issuer) leave the size unknown, reported as 0.
      const bits = params?.tag === Tag.Sequence ? bitLength(der.integer(der.sequence(params, 'DSA parameters', 3, 3)[0], 'DSA p')) : 0;
      return { type: 'dsa', bits, name: `DSA ${bits}` };
    }
    case Oid.ed25519:
      return { type: 'ed25519', name: 'Ed25519' };
    case Oid.ed448:
      return { type: 'ed448', name: 'Ed448' };
    case Oid.x25519:
      return { type: 'x25519', name: 'X25519' };
    case Oid.x448:
      return { type: 'x448', name: 'X448' };
    default:
      return { type: 'unknown', oid, name: `unknown (${oid})` };
  }
}

/** Why a key is refused by {@link assessKey}; each maps to an error code in its context. */
export type KeyProblem =
  | { readonly problem: 'too_weak'; readonly detail: string }
  | { readonly problem: 'too_large'; readonly detail: string }
  | { readonly problem: 'unsupported_curve'; readonly detail: string }
  | { readonly problem: 'unsupported_algorithm'; readonly detail: string };

// Verifying with a larger RSA key costs more than any legitimate client needs; bounding it
// keeps a hostile CSR or CA from making every verification expensive.
const maxRsaBits = 8192;
const acceptedCurves = new Set(['P-256', 'P-384', 'P-521']);

/**
 * The one key policy of Portcullis, applied wherever a key enters: CSRs and generated keys
 * (issuance), uploaded CA certificates, uploaded server certificates and their chains, and
 * client certificates verified by a trust store at the edge.
 *
 * Whether a key is acceptable for a certificate we issue or a CA we trust: RSA of 2048 to
 * 8192 bits, EC on P-256, P-384 or P-521, and Ed25519 where `allowEd25519` (trust anchors
 * only: browsers do not offer Ed25519 client certificates). Returns null when acceptable.
 */
export function assessKey(algorithm: KeyAlgorithm, options: { readonly allowEd25519: boolean }): KeyProblem | null {
  switch (algorithm.type) {
    case 'rsa':
      if (algorithm.bits < 2048) return { problem: 'too_weak', detail: `RSA key of ${algorithm.bits} bits, at least 2048 required` };
      if (algorithm.bits > maxRsaBits)
        return { problem: 'too_large', detail: `RSA key of ${algorithm.bits} bits, at most ${maxRsaBits} accepted` };
      return null;
    case 'ec':
      return acceptedCurves.has(algorithm.curve)
        ? null
        : { problem: 'unsupported_curve', detail: `curve ${algorithm.curve}; P-256, P-384 and P-521 are accepted` };
    case 'ed25519':
      return options.allowEd25519 ? null : { problem: 'unsupported_algorithm', detail: 'Ed25519 keys are not accepted here' };
    default:
      return { problem: 'unsupported_algorithm', detail: `${algorithm.name} keys are not accepted` };
  }
}

const keyProblemCodes: Readonly<Record<KeyProblem['problem'], PkiErrorCode>> = {
  too_weak: 'Key.TooWeak',
  too_large: 'Key.TooLarge',
  unsupported_curve: 'Key.UnsupportedCurve',
  unsupported_algorithm: 'Key.UnsupportedAlgorithm',
};

/**
 * {@link assessKey} for callers that refuse: throws `Key.TooWeak` (RSA under 2048 bits),
 * `Key.TooLarge` (RSA over 8192), `Key.UnsupportedCurve` or `Key.UnsupportedAlgorithm`,
 * with `what` (e.g. "the leaf certificate") leading the detail.
 */
export function requireAcceptableKey(algorithm: KeyAlgorithm, options: { readonly allowEd25519: boolean; readonly what?: string }): void {
  const problem = assessKey(algorithm, options);
  if (problem === null) return;
  throw new PkiError(keyProblemCodes[problem.problem], {
    detail: options.what === undefined ? problem.detail : `${options.what}: ${problem.detail}`,
  });
}
