import { PkiError } from '../pki-error.ts';
import type { PkiErrorCode } from '../pki-error.ts';
import { Tag } from './der-tag.ts';

/** One DER element inside the reader's buffer: tag byte and the offsets of header and content. */
export interface DerNode {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

// OIDs longer than this are not used by anything we parse; refusing them bounds the work.
const maxOidBytes = 64;
// Decoded OIDs by their encoding. The same few dozen OIDs recur in every certificate, so a
// lookup beats decoding; the cap keeps hostile input from growing the cache without bound.
const oidCache = new Map<string, string>();
const maxCachedOids = 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A strict, bounded DER reader over one buffer. It never reads outside the buffer or the
 * enclosing element, accepts definite minimal lengths only, and turns every structural
 * problem into a {@link PkiError} with the code given at construction (`Certificate.Malformed`,
 * `Crl.Malformed`, …), so the caller decides what a malformed input means to its user.
 * Nothing recurses on input-controlled depth: callers walk structures by schema.
 */
export class DerReader {
  readonly bytes: Uint8Array;
  readonly code: PkiErrorCode;

  constructor(bytes: Uint8Array, code: PkiErrorCode) {
    this.bytes = bytes;
    this.code = code;
  }

  /** Throws this reader's error with a detail naming what was wrong. */
  fail(detail: string): never {
    throw new PkiError(this.code, { detail });
  }

  /** The whole buffer as exactly one element: trailing bytes are an error. */
  root(): DerNode {
    const node = this.readAt(0, this.bytes.length);
    if (node.end !== this.bytes.length) this.fail(`${this.bytes.length - node.end} trailing bytes after the DER value`);
    return node;
  }

  /** The content of `node` parsed as exactly one element (OCTET STRING or explicit wrappers). */
  inner(node: DerNode): DerNode {
    return this.element(node.contentStart, node.end);
  }

  /** The bytes from `start` to `end` parsed as exactly one element (a BIT STRING's payload). */
  element(start: number, end: number): DerNode {
    const child = this.readAt(start, end);
    if (child.end !== end) this.fail(`trailing bytes inside the element ending at offset ${end}`);
    return child;
  }

  private readAt(offset: number, limit: number): DerNode {
    if (offset + 2 > limit) this.fail(`truncated element at offset ${offset}`);
    const tag = this.bytes[offset]!;
    if ((tag & 0x1f) === 0x1f) this.fail(`unsupported high tag number at offset ${offset}`);
    const first = this.bytes[offset + 1]!;
    let length: number;
    let contentStart: number;
    if (first < 0x80) {
      length = first;
      contentStart = offset + 2;
    } else {
      const count = first & 0x7f;
      if (count === 0) this.fail(`indefinite length at offset ${offset}`);
      if (count > 4) this.fail(`length too large at offset ${offset}`);
      if (offset + 2 + count > limit) this.fail(`truncated length at offset ${offset}`);
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + this.bytes[offset + 2 + i]!;
      if (length < 0x80 || this.bytes[offset + 2] === 0) this.fail(`non-minimal length at offset ${offset}`);
      contentStart = offset + 2 + count;
    }
    const end = contentStart + length;
    if (end > limit) this.fail(`element at offset ${offset} runs past its container`);
    return { tag, start: offset, contentStart, end };
  }

  /**
   * The elements inside a constructed node, in order. Reading stops with an error as soon as
   * there are more than `max`, so a hostile list of millions of tiny elements costs no more
   * than the bound.
   */
  children(node: DerNode, what = 'element', max = Number.MAX_SAFE_INTEGER): DerNode[] {
    if ((node.tag & 0x20) === 0) this.fail(`expected a constructed element at offset ${node.start}`);
    const out: DerNode[] = [];
    for (let at = node.contentStart; at < node.end;) {
      if (out.length === max) this.fail(`${what} has more than ${max} elements`);
      const child = this.readAt(at, node.end);
      out.push(child);
      at = child.end;
    }
    return out;
  }

  /** Calls `visit` for each element inside a constructed node without collecting them. */
  forEachChild(node: DerNode, visit: (child: DerNode) => void): void {
    if ((node.tag & 0x20) === 0) this.fail(`expected a constructed element at offset ${node.start}`);
    for (let at = node.contentStart; at < node.end;) {
      const child = this.readAt(at, node.end);
      visit(child);
      at = child.end;
    }
  }

  /** `node` itself, after checking its tag. */
  expect(node: DerNode | undefined, tag: number, what: string): DerNode {
    if (node === undefined) this.fail(`missing ${what}`);
    if (node.tag !== tag) this.fail(`expected ${what} at offset ${node.start}`);
    return node;
  }

  /** The children of a SEQUENCE, with a bound on how many there may be. */
  sequence(node: DerNode | undefined, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): DerNode[] {
    const items = this.children(this.expect(node, Tag.Sequence, what), what, max);
    if (items.length < min) this.fail(`${what} has ${items.length} elements`);
    return items;
  }

  content(node: DerNode): Uint8Array {
    return this.bytes.subarray(node.contentStart, node.end);
  }

  /** The complete encoding of `node`, header included. */
  raw(node: DerNode): Uint8Array {
    return this.bytes.subarray(node.start, node.end);
  }

  /** An INTEGER's two's complement content bytes, checked to be minimally encoded. */
  integer(node: DerNode | undefined, what: string): Uint8Array {
    const content = this.content(this.expect(node, Tag.Integer, what));
    if (content.length === 0) this.fail(`empty ${what}`);
    if (content.length > 1) {
      const a = content[0]!;
      const b = content[1]! & 0x80;
      if ((a === 0 && b === 0) || (a === 0xff && b !== 0)) this.fail(`non-minimal ${what}`);
    }
    return content;
  }

  /** A non-negative INTEGER small enough for a number (versions, path lengths, counts). */
  smallInteger(node: DerNode | undefined, what: string, tag: number = Tag.Integer): number {
    const content = tag === Tag.Integer ? this.integer(node, what) : this.content(this.expect(node, tag, what));
    if (content.length === 0 || content.length > 4 || (content[0]! & 0x80) !== 0) this.fail(`${what} out of range`);
    let value = 0;
    for (const b of content) value = value * 256 + b;
    return value;
  }

  boolean(node: DerNode | undefined, what: string): boolean {
    const content = this.content(this.expect(node, Tag.Boolean, what));
    if (content.length !== 1) this.fail(`bad ${what}`);
    // DER says 0xFF for TRUE; some encoders write 0x01, which means the same thing.
    return content[0] !== 0;
  }

  null(node: DerNode | undefined, what: string): void {
    const checked = this.expect(node, Tag.Null, what);
    if (checked.end !== checked.contentStart) this.fail(`non-empty ${what}`);
  }

  oid(node: DerNode | undefined, what: string): string {
    const content = this.content(this.expect(node, Tag.Oid, what));
    if (content.length === 0 || content.length > maxOidBytes) this.fail(`bad ${what}`);
    if (content[content.length - 1]! & 0x80) this.fail(`truncated ${what}`);
    const key = String.fromCharCode(...content);
    const cached = oidCache.get(key);
    if (cached !== undefined) return cached;
    const arcs: (number | bigint)[] = [];
    let value = 0;
    let big: bigint | null = null;
    let fresh = true;
    for (const byte of content) {
      if (fresh && byte === 0x80) this.fail(`non-minimal ${what}`);
      // Numbers are exact below 2^53; arcs that could pass that (UUID OIDs) continue as BigInt.
      if (big === null && value >= 2 ** 45) big = BigInt(value);
      if (big === null) value = value * 128 + (byte & 0x7f);
      else big = (big << 7n) | BigInt(byte & 0x7f);
      fresh = (byte & 0x80) === 0;
      if (fresh) {
        arcs.push(big ?? value);
        value = 0;
        big = null;
      }
    }
    const first = arcs[0]!;
    const head = first < 40 ? [0, first] : first < 80 ? [1, Number(first) - 40] : [2, typeof first === 'bigint' ? first - 80n : first - 80];
    const dotted = [...head, ...arcs.slice(1)].join('.');
    if (oidCache.size < maxCachedOids) oidCache.set(key, dotted);
    return dotted;
  }

  bitString(node: DerNode | undefined, what: string): { readonly unusedBits: number; readonly bytes: Uint8Array } {
    const content = this.content(this.expect(node, Tag.BitString, what));
    if (content.length === 0) this.fail(`empty ${what}`);
    const unusedBits = content[0]!;
    if (unusedBits > 7 || (content.length === 1 && unusedBits !== 0)) this.fail(`bad ${what}`);
    return { unusedBits, bytes: content.subarray(1) };
  }

  octetString(node: DerNode | undefined, what: string): Uint8Array {
    return this.content(this.expect(node, Tag.OctetString, what));
  }

  /**
   * A UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) in the
   * RFC 5280 profile: whole seconds, `Z`, a real calendar date. Read digit by digit, because
   * CRLs hold one per entry and this is their hottest path.
   */
  time(node: DerNode | undefined, what: string): Date {
    if (node === undefined) this.fail(`missing ${what}`);
    const length = node.end - node.contentStart;
    const utc = node.tag === Tag.UtcTime;
    if (!utc && node.tag !== Tag.GeneralizedTime) this.fail(`expected ${what} at offset ${node.start}`);
    if (length !== (utc ? 13 : 15) || this.bytes[node.end - 1] !== 0x5a) this.fail(`bad ${what}`);
    let at = node.contentStart;
    const digits = (count: number): number => {
      let value = 0;
      for (let k = 0; k < count; k++, at++) {
        const d = this.bytes[at]! - 0x30;
        if (d < 0 || d > 9) this.fail(`bad ${what}`);
        value = value * 10 + d;
      }
      return value;
    };
    let year = digits(utc ? 2 : 4);
    if (utc) year += year >= 50 ? 1900 : 2000;
    const month = digits(2);
    const day = digits(2);
    const hour = digits(2);
    const minute = digits(2);
    const second = digits(2);
    const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    if (
      month < 1 ||
      month > 12 ||
      hour > 23 ||
      minute > 59 ||
      second > 59 ||
      date.getUTCDate() !== day ||
      date.getUTCMonth() !== month - 1
    ) {
      this.fail(`bad ${what}`);
    }
    return date;
  }

  /**
   * The text of a character string (DirectoryString and friends), or null for a value that is
   * not a string type, which callers print as hex. T61String is read as Latin-1, as OpenSSL does.
   */
  text(node: DerNode, what: string): string | null {
    const content = this.content(node);
    switch (node.tag) {
      case Tag.Utf8String:
        try {
          return utf8.decode(content);
        } catch (cause) {
          throw new PkiError(this.code, { detail: `invalid UTF-8 in ${what}`, cause });
        }
      case Tag.PrintableString:
      case Tag.Ia5String:
      case Tag.VisibleString:
      case Tag.NumericString:
        for (const b of content) if (b > 0x7f) this.fail(`non-ASCII byte in ${what}`);
        return latin1(content);
      case Tag.T61String:
        return latin1(content);
      case Tag.BmpString: {
        if (content.length % 2 !== 0) this.fail(`odd-length ${what}`);
        let out = '';
        for (let i = 0; i < content.length; i += 2) out += String.fromCharCode((content[i]! << 8) | content[i + 1]!);
        return out;
      }
      case Tag.UniversalString: {
        if (content.length % 4 !== 0) this.fail(`bad ${what}`);
        let out = '';
        for (let i = 0; i < content.length; i += 4) {
          const cp = ((content[i]! << 24) | (content[i + 1]! << 16) | (content[i + 2]! << 8) | content[i + 3]!) >>> 0;
          if (cp > 0x10ffff) this.fail(`bad ${what}`);
          out += String.fromCodePoint(cp);
        }
        return out;
      }
      default:
        return null;
    }
  }
}

function latin1(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}
