import type { DerNode, DerReader } from './asn1/der-reader.ts';
import { Tag, contextTag } from './asn1/der-tag.ts';
import {
  derBoolean,
  derConstructed,
  derNamedBits,
  derOctetString,
  derOid,
  derSequence,
  derSmallInteger,
  derTlv,
} from './asn1/der-writer.ts';
import { Oid } from './oids.ts';

/** keyUsage bits in bit order (RFC 5280 4.2.1.3). */
export const keyUsageNames = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;

/** One keyUsage bit by name. */
export type KeyUsageName = (typeof keyUsageNames)[number];

/** Subject alternative names of the kinds an API reports; other kinds are skipped. */
export interface SubjectAltNames {
  readonly dns: readonly string[];
  readonly ip: readonly string[];
  readonly email: readonly string[];
  readonly uri: readonly string[];
}

/** The extensions libs/pki acts on; null where the certificate does not carry one. */
export interface CertificateExtensions {
  readonly basicConstraints: { readonly ca: boolean; readonly pathLength: number | null } | null;
  readonly keyUsage: ReadonlySet<KeyUsageName> | null;
  /** OIDs of the extended key usages. */
  readonly extendedKeyUsage: readonly string[] | null;
  readonly subjectKeyId: Uint8Array | null;
  readonly authorityKeyId: Uint8Array | null;
  readonly subjectAltNames: SubjectAltNames;
}

/** One extension as read: whether it is critical and its value (the OCTET STRING's content). */
export interface RawExtension {
  readonly critical: boolean;
  readonly value: DerNode;
}

// More extensions than any real certificate or CRL entry carries; refusing more bounds the work.
const maxExtensions = 64;

/** Reads `Extensions ::= SEQUENCE OF Extension`, refusing duplicates as RFC 5280 requires. */
export function readExtensionList(der: DerReader, node: DerNode | undefined): Map<string, RawExtension> {
  const out = new Map<string, RawExtension>();
  for (const ext of der.sequence(node, 'extensions', 1, maxExtensions)) {
    const parts = der.sequence(ext, 'extension', 2, 3);
    const oid = der.oid(parts[0], 'extension id');
    const critical = parts.length === 3 ? der.boolean(parts[1], 'extension criticality') : false;
    const value = der.expect(parts[parts.length - 1], Tag.OctetString, 'extension value');
    if (out.has(oid)) der.fail(`duplicate extension ${oid}`);
    out.set(oid, { critical, value });
  }
  return out;
}

/** Reads the certificate extensions libs/pki understands from an extension list. */
export function readCertificateExtensions(der: DerReader, list: ReadonlyMap<string, RawExtension>): CertificateExtensions {
  const valueOf = (oid: string): DerNode | null => {
    const ext = list.get(oid);
    return ext === undefined ? null : der.inner(ext.value);
  };
  const bc = valueOf(Oid.basicConstraints);
  const ku = valueOf(Oid.keyUsage);
  const eku = valueOf(Oid.extKeyUsage);
  const ski = valueOf(Oid.subjectKeyIdentifier);
  const aki = valueOf(Oid.authorityKeyIdentifier);
  const san = valueOf(Oid.subjectAltName);
  return {
    basicConstraints: bc === null ? null : readBasicConstraints(der, bc),
    keyUsage: ku === null ? null : readKeyUsage(der, ku),
    extendedKeyUsage: eku === null ? null : der.sequence(eku, 'extKeyUsage', 1).map((n) => der.oid(n, 'extended key usage')),
    subjectKeyId: ski === null ? null : der.octetString(ski, 'subjectKeyIdentifier'),
    authorityKeyId: aki === null ? null : readAuthorityKeyId(der, aki),
    subjectAltNames: san === null ? { dns: [], ip: [], email: [], uri: [] } : readGeneralNames(der, san),
  };
}

function readBasicConstraints(der: DerReader, node: DerNode): CertificateExtensions['basicConstraints'] {
  const fields = der.sequence(node, 'basicConstraints', 0, 2);
  let i = 0;
  const ca = fields[i]?.tag === Tag.Boolean ? der.boolean(fields[i++], 'cA') : false;
  const pathLength = fields[i] === undefined ? null : der.smallInteger(fields[i], 'pathLenConstraint');
  if (i + (pathLength === null ? 0 : 1) !== fields.length) der.fail('bad basicConstraints');
  return { ca, pathLength };
}

function readKeyUsage(der: DerReader, node: DerNode): ReadonlySet<KeyUsageName> {
  const { bytes } = der.bitString(node, 'keyUsage');
  const out = new Set<KeyUsageName>();
  keyUsageNames.forEach((name, bit) => {
    if (((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0) out.add(name);
  });
  return out;
}

function readAuthorityKeyId(der: DerReader, node: DerNode): Uint8Array | null {
  const keyId = der.sequence(node, 'authorityKeyIdentifier', 0, 3).find((f) => f.tag === contextTag(0, false));
  return keyId === undefined ? null : der.content(keyId);
}

const maxGeneralNames = 1024;

function readGeneralNames(der: DerReader, node: DerNode): SubjectAltNames {
  const dns: string[] = [];
  const ip: string[] = [];
  const email: string[] = [];
  const uri: string[] = [];
  for (const name of der.sequence(node, 'subjectAltName', 1, maxGeneralNames)) {
    switch (name.tag) {
      case contextTag(1, false):
        email.push(ascii(der, name, 'rfc822Name'));
        break;
      case contextTag(2, false):
        dns.push(ascii(der, name, 'dNSName'));
        break;
      case contextTag(6, false):
        uri.push(ascii(der, name, 'uniformResourceIdentifier'));
        break;
      case contextTag(7, false):
        ip.push(formatIp(der, der.content(name)));
        break;
      default:
        // otherName, directoryName and the rest are valid but not reported.
        break;
    }
  }
  return { dns, ip, email, uri };
}

function ascii(der: DerReader, node: DerNode, what: string): string {
  return der.text({ ...node, tag: Tag.Ia5String }, what)!;
}

function formatIp(der: DerReader, bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length !== 16) der.fail(`iPAddress of ${bytes.length} bytes`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // RFC 5952: compress the longest run of two or more zero groups (the first such run on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const text = groups.map((g) => g.toString(16));
  if (bestStart < 0) return text.join(':');
  return `${text.slice(0, bestStart).join(':')}::${text.slice(bestStart + bestLength).join(':')}`;
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? derSequence(derOid(oid), derBoolean(true), derOctetString(value)) : derSequence(derOid(oid), derOctetString(value));
}

/** basicConstraints, always critical: CA:TRUE with a path length, or CA:FALSE (an empty SEQUENCE). */
export function encodeBasicConstraints(ca: { readonly pathLength: number } | null): Uint8Array {
  const value = ca === null ? derSequence() : derSequence(derBoolean(true), derSmallInteger(ca.pathLength));
  return extension(Oid.basicConstraints, true, value);
}

/** keyUsage, always critical (RFC 5280 says it SHOULD be). */
export function encodeKeyUsage(usages: readonly KeyUsageName[]): Uint8Array {
  return extension(Oid.keyUsage, true, derNamedBits(usages.map((u) => keyUsageNames.indexOf(u))));
}

/** extKeyUsage, non-critical, from OIDs. */
export function encodeExtendedKeyUsage(oids: readonly string[]): Uint8Array {
  return extension(Oid.extKeyUsage, false, derSequence(...oids.map(derOid)));
}

export function encodeSubjectKeyId(keyId: Uint8Array): Uint8Array {
  return extension(Oid.subjectKeyIdentifier, false, derOctetString(keyId));
}

/**
 * subjectAltName, non-critical (the certificates libs/pki makes always have a subject CN):
 * dNSNames then iPAddresses, in the order given. The caller checks the names; IP addresses
 * are dotted IPv4 or IPv6 text (node:net's `isIP`), written as 4 or 16 octets.
 */
export function encodeSubjectAltName(names: { readonly dns: readonly string[]; readonly ip: readonly string[] }): Uint8Array {
  const general = [
    ...names.dns.map((name) => derAsciiTlv(contextTag(2, false), name)),
    ...names.ip.map((address) => derTlv(contextTag(7, false), ipOctets(address))),
  ];
  return extension(Oid.subjectAltName, false, derSequence(...general));
}

function derAsciiTlv(tag: number, text: string): Uint8Array {
  return derTlv(
    tag,
    Uint8Array.from(text, (c) => c.charCodeAt(0)),
  );
}

/** The octets of a textual IPv4 or IPv6 address (validated by the caller with `isIP`). */
function ipOctets(address: string): Uint8Array {
  if (!address.includes(':')) return Uint8Array.from(address.split('.').map(Number));
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes its two 16-bit groups.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = v4
    ? `${address.slice(0, v4.index)}${((+v4[1]! << 8) | +v4[2]!).toString(16)}:${((+v4[3]! << 8) | +v4[4]!).toString(16)}`
    : address;
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** authorityKeyIdentifier with the keyIdentifier field only. */
export function encodeAuthorityKeyId(keyId: Uint8Array): Uint8Array {
  return extension(Oid.authorityKeyIdentifier, false, derConstructed(Tag.Sequence, [derTlv(contextTag(0, false), keyId)]));
}
