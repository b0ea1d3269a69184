import crypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { contextTag } from '../asn1/der-tag.ts';
import {
  derBmpString,
  derExplicit,
  derNull,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  derSmallInteger,
  derTlv,
} from '../asn1/der-writer.ts';
import { commonNameOf } from '../distinguished-name.ts';
import { readPrivateKeyPem } from '../key-pair.ts';
import { Oid } from '../oids.ts';
import { parseCertificate } from '../parse-certificate.ts';
import { PkiError } from '../pki-error.ts';
import { pkcs12MacKey } from './pkcs12-mac-key.ts';

const pbkdf2 = promisify(crypto.pbkdf2);

/** What goes into a PKCS#12 file. */
export interface Pkcs12Contents {
  /** The client certificate, PEM or DER. */
  readonly certificate: string | Uint8Array;
  /** Its private key: a KeyObject or unencrypted PEM. */
  readonly privateKey: KeyObject | string;
  /** CA certificates to include (issuer first), PEM or DER each. */
  readonly chain?: readonly (string | Uint8Array)[];
  /** 1 to 1024 characters. */
  readonly password: string;
  /** The name key stores show; default the certificate's common name. */
  readonly friendlyName?: string;
}

/**
 * PBKDF2 and MAC iteration count. OpenSSL 3's default is 2048; five times that costs ~20 ms
 * per export here (mostly the MAC derivation, which has no native implementation) and makes
 * each password guess proportionally dearer.
 */
export const pkcs12Iterations = 10_000;

const maxPasswordLength = 1024;

async function pbes2Encrypt(plaintext: Uint8Array, password: string): Promise<{ algorithm: Uint8Array; ciphertext: Uint8Array }> {
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(16);
  // RFC 8018 PBES2 takes the password as raw bytes; like OpenSSL we use its UTF-8 encoding.
  const key = await pbkdf2(Buffer.from(password, 'utf8'), salt, pkcs12Iterations, 32, 'sha256');
  const cipher = crypto.createCipheriv('aes-256-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const algorithm = derSequence(
    derOid(Oid.pbes2),
    derSequence(
      derSequence(
        derOid(Oid.pbkdf2),
        derSequence(derOctetString(salt), derSmallInteger(pkcs12Iterations), derSequence(derOid(Oid.hmacWithSha256), derNull())),
      ),
      derSequence(derOid(Oid.aes256Cbc), derOctetString(iv)),
    ),
  );
  return { algorithm, ciphertext };
}

function attributes(friendlyName: string | null, localKeyId: Uint8Array | null): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (friendlyName !== null) out.push(derSequence(derOid(Oid.friendlyName), derSetOf([derBmpString(friendlyName)])));
  if (localKeyId !== null) out.push(derSequence(derOid(Oid.localKeyId), derSetOf([derOctetString(localKeyId)])));
  return out;
}

function safeBag(bagId: string, value: Uint8Array, bagAttributes: Uint8Array[]): Uint8Array {
  return bagAttributes.length === 0
    ? derSequence(derOid(bagId), derExplicit(0, value))
    : derSequence(derOid(bagId), derExplicit(0, value), derSetOf(bagAttributes));
}

function certBag(der: Uint8Array, bagAttributes: Uint8Array[]): Uint8Array {
  return safeBag(Oid.certBag, derSequence(derOid(Oid.x509Certificate), derExplicit(0, derOctetString(der))), bagAttributes);
}

/**
 * Builds a password-protected PKCS#12 (.p12/.pfx) file holding a certificate, its private key
 * and optionally CA certificates, for import into a browser or OS key store. Algorithms are
 * the modern set OpenSSL 3 writes by default: the certificates in an encrypted SafeContents
 * and the key in a shrouded key bag, both PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC, random salt
 * and IV each), and an HMAC-SHA256 integrity MAC keyed by RFC 7292 appendix B. The leaf's
 * bag and the key's bag carry the same friendlyName and localKeyId so key stores pair them.
 * Key stores that only read the legacy RC2/3DES-SHA1 format (old Windows and macOS releases)
 * cannot open it; that format is deliberately not offered.
 *
 * Throws `Pkcs12.InvalidPassword` (empty, over 1024 characters, or containing NUL),
 * `Key.Malformed` for an unreadable key, `Key.Mismatch` when the key does not belong to the
 * certificate, and `Certificate.*` for unreadable certificates. The key never appears in errors.
 */
export async function exportPkcs12(contents: Pkcs12Contents): Promise<Uint8Array> {
  const { password } = contents;
  if (password.length === 0 || password.length > maxPasswordLength || password.includes('\u0000')) {
    throw new PkiError('Pkcs12.InvalidPassword', { detail: `1 to ${maxPasswordLength} characters, no NUL` });
  }
  const leaf = parseCertificate(contents.certificate);
  const chain = (contents.chain ?? []).map((c) => parseCertificate(c));
  const privateKey = typeof contents.privateKey === 'string' ? readPrivateKeyPem(contents.privateKey) : contents.privateKey;
  const derivedSpki = crypto.createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (Buffer.compare(derivedSpki, leaf.publicKey.spki) !== 0) throw new PkiError('Key.Mismatch');

  const friendlyName = contents.friendlyName ?? commonNameOf(leaf.subject) ?? 'client certificate';
  // Like OpenSSL: the SHA-1 of the certificate names the pair; it is an identifier, not a check.
  const localKeyId = new Uint8Array(crypto.hash('sha1', leaf.der, 'buffer'));
  const pairAttributes = attributes(friendlyName, localKeyId);

  const certificates = derSequence(certBag(leaf.der, pairAttributes), ...chain.map((c) => certBag(c.der, [])));
  const encryptedCertificates = await pbes2Encrypt(certificates, password);
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  const encryptedKey = await pbes2Encrypt(pkcs8, password);
  const keyBag = safeBag(
    Oid.pkcs8ShroudedKeyBag,
    derSequence(encryptedKey.algorithm, derOctetString(encryptedKey.ciphertext)),
    pairAttributes,
  );

  const authenticatedSafe = derSequence(
    derSequence(
      derOid(Oid.encryptedData),
      derExplicit(
        0,
        derSequence(
          derSmallInteger(0),
          derSequence(derOid(Oid.data), encryptedCertificates.algorithm, derTlv(contextTag(0, false), encryptedCertificates.ciphertext)),
        ),
      ),
    ),
    derSequence(derOid(Oid.data), derExplicit(0, derOctetString(derSequence(keyBag)))),
  );

  const macSalt = crypto.randomBytes(16);
  const macKey = await pkcs12MacKey(password, macSalt, pkcs12Iterations);
  const mac = crypto.createHmac('sha256', macKey).update(authenticatedSafe).digest();
  return derSequence(
    derSmallInteger(3),
    derSequence(derOid(Oid.data), derExplicit(0, derOctetString(authenticatedSafe))),
    derSequence(
      derSequence(derSequence(derOid(Oid.sha256), derNull()), derOctetString(mac)),
      derOctetString(macSalt),
      derSmallInteger(pkcs12Iterations),
    ),
  );
}
