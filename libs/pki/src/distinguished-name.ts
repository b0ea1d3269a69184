import type { DerNode, DerReader } from './asn1/der-reader.ts';
import { Tag } from './asn1/der-tag.ts';
import { derAsciiString, derOid, derSequence, derSetOf, derUtf8String } from './asn1/der-writer.ts';
import { Oid, attributeShortNames } from './oids.ts';
import { PkiError } from './pki-error.ts';

/** One attribute of a name: its type, its text (null when the value is not a string) and its encoding. */
export interface NameAttribute {
  readonly oid: string;
  readonly text: string | null;
  readonly valueDer: Uint8Array;
}

/** A parsed X.501 Name: the exact encoding (for issuer chaining) and its RDNs in DER order. */
export interface DistinguishedName {
  readonly der: Uint8Array;
  readonly rdns: readonly (readonly NameAttribute[])[];
}

// Far more RDNs than any real name has; refusing more bounds the work on hostile input.
const maxRdns = 64;

/** Reads a Name (SEQUENCE OF SET OF AttributeTypeAndValue). */
export function readName(der: DerReader, node: DerNode | undefined, what: string): DistinguishedName {
  const rdnNodes = der.sequence(node, what, 0, maxRdns);
  const rdns = rdnNodes.map((rdnNode) => {
    const attributes = der.children(der.expect(rdnNode, Tag.Set, `${what} RDN`), `${what} RDN`, 16);
    if (attributes.length === 0) der.fail(`bad RDN in ${what}`);
    return attributes.map((atv): NameAttribute => {
      const [type, value] = der.sequence(atv, `${what} attribute`, 2, 2);
      return { oid: der.oid(type, `${what} attribute type`), text: der.text(value!, `${what} attribute value`), valueDer: der.raw(value!) };
    });
  });
  return { der: der.raw(node!), rdns };
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

/**
 * Escapes an attribute value for RFC 4514 / RFC 2253: the special characters, a leading `#`
 * or space, a trailing space, and control characters (as `\XX`, like OpenSSL). Non-ASCII
 * characters are kept as they are (RFC 4514 allows it, and an API shows them readably);
 * OpenSSL's default `-nameopt RFC2253` escapes their UTF-8 bytes instead.
 */
function escapeDnValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    const code = value.charCodeAt(i);
    if (',+"\\<>;'.includes(c) || (i === 0 && (c === '#' || c === ' ')) || (i === value.length - 1 && c === ' ')) {
      out += `\\${c}`;
    } else if (code < 0x20 || code === 0x7f) {
      out += `\\${code.toString(16).toUpperCase().padStart(2, '0')}`;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * The RFC 2253 string of a name: RDNs in reverse order joined by `,`, multi-valued RDNs by
 * `+` (their members reversed too, as OpenSSL prints them, so strings compare equal with
 * `openssl -nameopt RFC2253`), short names for the common attribute types and dotted OIDs
 * otherwise; a non-string value is printed as `#` and the hex of its DER encoding.
 */
export function formatName(name: DistinguishedName): string {
  return name.rdns
    .map((rdn) =>
      rdn
        .map(
          (a) =>
            `${attributeShortNames.get(a.oid) ?? a.oid}=${a.text === null ? `#${hex(a.valueDer).toUpperCase()}` : escapeDnValue(a.text)}`,
        )
        .reverse()
        .join('+'),
    )
    .reverse()
    .join(',');
}

/**
 * A key under which two names compare equal when X.509 name matching says they do, in the
 * common cases: string values compared case-insensitively with runs of spaces collapsed
 * (RFC 5280 7.1), whatever string type encodes them; other values compared byte for byte.
 */
export function nameMatchKey(name: DistinguishedName): string {
  return name.rdns
    .map((rdn) =>
      rdn
        .map((a) => `${a.oid}=${a.text === null ? `#${hex(a.valueDer)}` : escapeDnValue(a.text.trim().replace(/\s+/g, ' ').toLowerCase())}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** The value of the most specific (last in DER order) commonName, as Go's crypto/x509 reports it. */
export function commonNameOf(name: DistinguishedName): string | null {
  let cn: string | null = null;
  for (const rdn of name.rdns) for (const a of rdn) if (a.oid === Oid.commonName && a.text !== null) cn = a.text;
  return cn;
}

/** The subject attributes libs/pki writes into the certificates it makes. */
export interface SubjectInput {
  readonly commonName: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  /** Two-letter ISO 3166 code. */
  readonly country?: string;
}

// RFC 5280 appendix A upper bounds.
const maxCommonName = 64;
const maxOrganization = 64;

/**
 * Checks a text attribute of a name we are about to write: non-empty, within the RFC 5280
 * bound, no control characters, no surrounding spaces. Throws `code` with `what` in the detail.
 */
function checkNameText(value: string, max: number, what: string, code: 'Subject.InvalidCommonName' | 'Subject.InvalidAttribute'): void {
  if (value.length === 0) throw new PkiError(code, { detail: `${what} is empty` });
  if ([...value].length > max) throw new PkiError(code, { detail: `${what} is longer than ${max} characters` });
  if (/\p{Cc}/u.test(value)) throw new PkiError(code, { detail: `${what} contains control characters` });
  if (value.trim() !== value) throw new PkiError(code, { detail: `${what} has leading or trailing spaces` });
}

/** Checks a common name for a certificate subject (see {@link checkNameText}). */
export function checkCommonName(commonName: string): void {
  checkNameText(commonName, maxCommonName, 'the common name', 'Subject.InvalidCommonName');
}

function attribute(oid: string, value: Uint8Array): Uint8Array {
  return derSetOf([derSequence(derOid(oid), value)]);
}

/**
 * The DER Name for a subject, in the conventional order C, O, OU, CN. Values are UTF8String
 * (RFC 5280 4.1.2.6) except the country, which X.520 makes a PrintableString.
 */
export function encodeSubject(subject: SubjectInput): Uint8Array {
  checkCommonName(subject.commonName);
  const rdns: Uint8Array[] = [];
  if (subject.country !== undefined) {
    if (!/^[A-Z]{2}$/.test(subject.country))
      throw new PkiError('Subject.InvalidAttribute', { detail: 'the country must be two capital letters' });
    rdns.push(attribute(Oid.countryName, derAsciiString(Tag.PrintableString, subject.country)));
  }
  if (subject.organization !== undefined) {
    checkNameText(subject.organization, maxOrganization, 'the organization', 'Subject.InvalidAttribute');
    rdns.push(attribute(Oid.organizationName, derUtf8String(subject.organization)));
  }
  if (subject.organizationalUnit !== undefined) {
    checkNameText(subject.organizationalUnit, maxOrganization, 'the organizational unit', 'Subject.InvalidAttribute');
    rdns.push(attribute(Oid.organizationalUnitName, derUtf8String(subject.organizationalUnit)));
  }
  rdns.push(attribute(Oid.commonName, derUtf8String(subject.commonName)));
  return derSequence(...rdns);
}
