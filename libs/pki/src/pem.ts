/** One `-----BEGIN label-----` … `-----END label-----` block, decoded. */
export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/** The blocks of a PEM text in order, or why the text is not PEM. */
export type PemDecodeResult =
  { readonly ok: true; readonly blocks: readonly PemBlock[] } | { readonly ok: false; readonly problem: string };

const maxLabelChars = 64;
const dashes = '-----';

/**
 * Decodes every PEM block of `text` (RFC 7468, lax: CRLF, indentation and explanatory text
 * between blocks are accepted, as tools such as `openssl pkcs12` emit them). Inside a block
 * only base64 is accepted: RFC 1421 headers (encrypted legacy PEM) and stray characters are
 * problems, because `Buffer.from(…, 'base64')` would otherwise skip them silently. Padding
 * (`=`) may only end a block, and a block's base64 must be a whole number of quanta.
 *
 * The text is scanned once, character by character, without regular expressions: time is
 * linear in its length and stack use constant, so a 30 MB CRL or hostile text cannot stall
 * or overflow anything. The caller still bounds the size of `text` before calling.
 */
export function decodePem(text: string): PemDecodeResult {
  const blocks: PemBlock[] = [];
  let label: string | null = null;
  let bodyStart = 0;
  let bodyChars = 0;
  let padding = 0;
  for (let start = 0; start <= text.length;) {
    const lineStart = start;
    const newline = text.indexOf('\n', start);
    const stop = newline === -1 ? text.length : newline;
    const line = trimmed(text, start, stop);
    start = stop + 1;
    if (label === null) {
      const begin = boundaryLabel(line, 'BEGIN');
      if (begin !== null) {
        label = begin;
        bodyStart = start;
        bodyChars = 0;
        padding = 0;
      } else if (line.startsWith(dashes)) {
        return { ok: false, problem: 'a PEM boundary line without a matching BEGIN' };
      }
      continue;
    }
    if (line.startsWith(dashes)) {
      const end = boundaryLabel(line, 'END');
      if (end === null) return { ok: false, problem: `the ${label} block has a malformed boundary line` };
      if (end !== label) return { ok: false, problem: `BEGIN ${label} closed by END ${end}` };
      if (bodyChars === 0 || bodyChars % 4 !== 0) return { ok: false, problem: `the ${label} block is not valid base64` };
      // Every character between the boundaries is now known to be base64 or blank, and Node's
      // decoder skips blanks: decoding the span itself saves copying a 30 MB body line by line.
      blocks.push({ label, der: new Uint8Array(Buffer.from(text.slice(bodyStart, lineStart), 'base64')) });
      label = null;
      continue;
    }
    if (line.includes(':')) return { ok: false, problem: `the ${label} block has headers (encrypted legacy PEM is not supported)` };
    const checked = checkBase64Line(line, padding);
    if (checked === 'stray') return { ok: false, problem: `the ${label} block contains characters outside base64` };
    if (checked === 'misplaced') return { ok: false, problem: `the ${label} block is not valid base64` };
    padding = checked;
    bodyChars += line.length;
  }
  if (label !== null) return { ok: false, problem: `BEGIN ${label} has no END line` };
  if (blocks.length === 0) return { ok: false, problem: 'no PEM block found' };
  return { ok: true, blocks };
}

/** `text[start, stop)` without surrounding spaces, tabs and carriage returns. */
function trimmed(text: string, start: number, stop: number): string {
  let a = start;
  let b = stop;
  while (a < b && isBlank(text.charCodeAt(a))) a++;
  while (b > a && isBlank(text.charCodeAt(b - 1))) b--;
  return text.slice(a, b);
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d || code === 0x0b || code === 0x0c;
}

/** The label of a `-----BEGIN label-----` (or END) line: 1–64 of A–Z, 0–9 and space; else null. */
function boundaryLabel(line: string, keyword: 'BEGIN' | 'END'): string | null {
  const head = `${dashes}${keyword} `;
  if (!line.startsWith(head) || !line.endsWith(dashes)) return null;
  const label = line.slice(head.length, line.length - dashes.length);
  if (label.length === 0 || label.length > maxLabelChars) return null;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x20)) return null;
  }
  return label;
}

/**
 * Checks one body line given the count of `=` seen so far in the block: the new count, or
 * `stray` for a character outside base64, or `misplaced` for padding anywhere but at the end
 * of the data (data after `=`, or more than two). That the padding completes a 4-character
 * quantum is checked at the END line, from the block's character count.
 */
function checkBase64Line(line: string, padding: number): number | 'stray' | 'misplaced' {
  let count = padding;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x3d) {
      if (++count > 2) return 'misplaced';
      continue;
    }
    const base64 = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!base64) return 'stray';
    if (count > 0) return 'misplaced';
  }
  return count;
}

/** PEM text for `der`: 64-character base64 lines and a final newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`;
  return `${out}-----END ${label}-----\n`;
}
