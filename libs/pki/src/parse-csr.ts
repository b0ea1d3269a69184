import crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { DerReader } from './asn1/der-reader.ts';
import { contextTag } from './asn1/der-tag.ts';
import { readOneDer } from './der-input.ts';
import { commonNameOf, formatName, readName } from './distinguished-name.ts';
import type { DistinguishedName } from './distinguished-name.ts';
import { readPublicKeyInfo } from './key-algorithm.ts';
import type { KeyAlgorithm, PublicKeyInfo } from './key-algorithm.ts';
import { PkiError } from './pki-error.ts';
import { readSignatureAlgorithm, verifySignature } from './signature-algorithm.ts';
import type { SignatureAlgorithm } from './signature-algorithm.ts';

/** A PKCS#10 certification request whose signature has been checked. */
export interface VerifiedCsr {
  readonly subject: DistinguishedName;
  readonly publicKeyInfo: PublicKeyInfo;
  readonly publicKey: KeyObject;
  readonly signatureAlgorithm: SignatureAlgorithm;
}

/** CSRs are a key and a name; 16 KiB of DER is generous even for an RSA-8192 key. */
const maxCsrDerBytes = 16 * 1024;

/**
 * Parses a CSR (PEM `CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST`, or DER) and verifies
 * its self-signature, the proof that the requester holds the private key. The requested
 * attributes (extensionRequest and others) are read past, not used: the CA decides what an
 * issued certificate contains. Throws `Csr.Malformed`, `Csr.TooLarge`, `Csr.UnsupportedSignature`
 * (MD5, SHA-1 or an unknown algorithm), `Csr.BadSignature`, or `Key.UnsupportedAlgorithm` for
 * a key of a type OpenSSL does not know. Key strength is not judged here: issuance policies do that.
 */
export function verifyCsr(input: string | Uint8Array): VerifiedCsr {
  const bytes = readOneDer(input, {
    labels: ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'],
    maxDerBytes: maxCsrDerBytes,
    malformed: 'Csr.Malformed',
    tooLarge: 'Csr.TooLarge',
    multiple: 'Csr.Malformed',
  });
  const der = new DerReader(bytes, 'Csr.Malformed');
  const [infoNode, algorithmNode, signatureNode] = der.sequence(der.root(), 'certification request', 3, 3);
  const [versionNode, subjectNode, spkiNode, attributes] = der.sequence(infoNode, 'certificationRequestInfo', 3, 4);
  if (der.smallInteger(versionNode, 'version') !== 0) der.fail('unsupported CSR version');
  if (attributes !== undefined) der.expect(attributes, contextTag(0, true), 'attributes');
  const subject = readName(der, subjectNode, 'subject');
  const publicKeyInfo = readPublicKeyInfo(der, spkiNode);
  const signatureAlgorithm = readSignatureAlgorithm(der, algorithmNode);
  const signature = der.bitString(signatureNode, 'signature');
  if (signature.unusedBits !== 0) der.fail('signature is not a whole number of bytes');

  if (signatureAlgorithm.strength !== 'acceptable') {
    throw new PkiError('Csr.UnsupportedSignature', { detail: signatureAlgorithm.name });
  }
  let publicKey: KeyObject;
  try {
    publicKey = crypto.createPublicKey({ key: Buffer.from(publicKeyInfo.spki), format: 'der', type: 'spki' });
  } catch (cause) {
    // A key type OpenSSL does not know is unsupported; a known type that fails to load is broken.
    throw publicKeyInfo.algorithm.type === 'unknown'
      ? new PkiError('Key.UnsupportedAlgorithm', { detail: publicKeyInfo.algorithm.name, cause })
      : new PkiError('Csr.Malformed', { detail: 'the public key is invalid', cause });
  }
  if (!verifySignature(signatureAlgorithm, der.raw(infoNode!), signature.bytes, publicKey)) throw new PkiError('Csr.BadSignature');
  return { subject, publicKeyInfo, publicKey, signatureAlgorithm };
}

/** What an API shows about a CSR before issuing from it. */
export interface CsrInfo {
  /** RFC 2253 string; empty for an empty subject. */
  readonly subject: string;
  readonly commonName: string | null;
  readonly keyAlgorithm: KeyAlgorithm;
  readonly signatureAlgorithm: string;
}

/** Verifies a CSR (see {@link verifyCsr}, same errors) and returns its facts. */
export function inspectCsr(input: string | Uint8Array): CsrInfo {
  const csr = verifyCsr(input);
  return {
    subject: formatName(csr.subject),
    commonName: commonNameOf(csr.subject),
    keyAlgorithm: csr.publicKeyInfo.algorithm,
    signatureAlgorithm: csr.signatureAlgorithm.name,
  };
}
