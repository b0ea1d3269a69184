import { Tag, contextTag } from './der-tag.ts';

/**
 * A minimal DER encoder: each function returns the complete encoding (tag, length, content)
 * of one value, and constructed values are built from already-encoded children. Encodings are
 * built bottom-up and copied once per nesting level, which for certificate-sized structures
 * (a few hundred bytes, a handful of levels) is cheaper than a two-pass size-then-write tree.
 *
 * Inputs are trusted (they come from this library, not from users): the functions assume
 * valid arguments and make no attempt to report malformed ones beyond throwing.
 */

function headerLength(contentLength: number): number {
  if (contentLength < 0x80) return 2;
  if (contentLength < 0x100) return 3;
  if (contentLength < 0x10000) return 4;
  if (contentLength < 0x1000000) return 5;
  return 6;
}

function writeHeader(out: Uint8Array, tag: number, contentLength: number): number {
  out[0] = tag;
  const size = headerLength(contentLength);
  if (size === 2) {
    out[1] = contentLength;
  } else {
    out[1] = 0x80 | (size - 2);
    for (let i = size - 1, v = contentLength; i >= 2; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  }
  return size;
}

/** Tag, length and the given content bytes. */
export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  const out = new Uint8Array(headerLength(content.length) + content.length);
  out.set(content, writeHeader(out, tag, content.length));
  return out;
}

/** A constructed value whose content is the concatenation of already-encoded parts. */
export function derConstructed(tag: number, parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(headerLength(length) + length);
  let offset = writeHeader(out, tag, length);
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function derSequence(...parts: readonly Uint8Array[]): Uint8Array {
  return derConstructed(Tag.Sequence, parts);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** SET OF: DER requires the encoded elements in ascending byte order. */
export function derSetOf(parts: readonly Uint8Array[]): Uint8Array {
  return derConstructed(Tag.Set, [...parts].sort(compareBytes));
}

/** `[n] EXPLICIT`: the inner encoding wrapped in a constructed context tag. */
export function derExplicit(n: number, inner: Uint8Array): Uint8Array {
  return derConstructed(contextTag(n, true), [inner]);
}

const trueEncoding = Uint8Array.of(Tag.Boolean, 1, 0xff);
const falseEncoding = Uint8Array.of(Tag.Boolean, 1, 0x00);
const nullEncoding = Uint8Array.of(Tag.Null, 0);

export function derBoolean(value: boolean): Uint8Array {
  return value ? trueEncoding : falseEncoding;
}

export function derNull(): Uint8Array {
  return nullEncoding;
}

/**
 * A non-negative INTEGER from its big-endian magnitude: leading zero bytes are dropped and a
 * zero byte is prepended when the top bit is set, as DER's minimal two's complement requires.
 */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  if (trimmed.length === 0) return Uint8Array.of(Tag.Integer, 1, 0);
  if ((trimmed[0]! & 0x80) === 0) return derTlv(Tag.Integer, trimmed);
  const content = new Uint8Array(trimmed.length + 1);
  content.set(trimmed, 1);
  return derTlv(Tag.Integer, content);
}

/** A small non-negative INTEGER (versions, counts, path lengths). */
export function derSmallInteger(value: number): Uint8Array {
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  return derUnsignedInteger(Uint8Array.from(bytes));
}

function base128(value: bigint, into: number[]): void {
  const groups = [Number(value & 0x7fn)];
  for (let v = value >> 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
  into.push(...groups);
}

const oidCache = new Map<string, Uint8Array>();

/** An OBJECT IDENTIFIER from its dotted form; encodings are cached because the set is small. */
export function derOid(dotted: string): Uint8Array {
  const cached = oidCache.get(dotted);
  if (cached !== undefined) return cached;
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  const content: number[] = [];
  base128(arcs[0]! * 40n + arcs[1]!, content);
  for (const arc of arcs.slice(2)) base128(arc, content);
  const encoded = derTlv(Tag.Oid, Uint8Array.from(content));
  oidCache.set(dotted, encoded);
  return encoded;
}

export function derOctetString(content: Uint8Array): Uint8Array {
  return derTlv(Tag.OctetString, content);
}

/** A BIT STRING of whole bytes, or of a named-bit list whose trailing bits are unused. */
export function derBitString(content: Uint8Array, unusedBits = 0): Uint8Array {
  const body = new Uint8Array(content.length + 1);
  body[0] = unusedBits;
  body.set(content, 1);
  return derTlv(Tag.BitString, body);
}

/**
 * A named-bit-list BIT STRING (keyUsage) from the set bit positions: DER drops trailing zero
 * bits, so the length and unused-bit count depend on the highest bit set.
 */
export function derNamedBits(positions: readonly number[]): Uint8Array {
  if (positions.length === 0) return derBitString(new Uint8Array(0));
  const highest = Math.max(...positions);
  const bytes = new Uint8Array((highest >> 3) + 1);
  for (const p of positions) bytes[p >> 3]! |= 0x80 >> (p & 7);
  return derBitString(bytes, 7 - (highest & 7));
}

const utf8 = new TextEncoder();

export function derUtf8String(value: string): Uint8Array {
  return derTlv(Tag.Utf8String, utf8.encode(value));
}

/** An ASCII-only string type (PrintableString, IA5String); the caller checks the alphabet. */
export function derAsciiString(tag: number, value: string): Uint8Array {
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) bytes[i] = value.charCodeAt(i);
  return derTlv(tag, bytes);
}

/** BMPString: UTF-16 big-endian code units. */
export function derBmpString(value: string): Uint8Array {
  const bytes = new Uint8Array(value.length * 2);
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    bytes[2 * i] = unit >> 8;
    bytes[2 * i + 1] = unit & 0xff;
  }
  return derTlv(Tag.BmpString, bytes);
}

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * An X.509 Time: UTCTime for 1950–2049 and GeneralizedTime otherwise (RFC 5280 4.1.2.5),
 * in whole seconds, UTC. Sub-second parts are dropped, so callers that report dates should
 * round them the same way first.
 */
export function derTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  const rest =
    twoDigits(date.getUTCMonth() + 1) +
    twoDigits(date.getUTCDate()) +
    twoDigits(date.getUTCHours()) +
    twoDigits(date.getUTCMinutes()) +
    twoDigits(date.getUTCSeconds()) +
    'Z';
  if (year >= 1950 && year < 2050) return derAsciiString(Tag.UtcTime, twoDigits(year % 100) + rest);
  return derAsciiString(Tag.GeneralizedTime, String(year).padStart(4, '0') + rest);
}
