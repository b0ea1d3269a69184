import { WafError } from './waf-error.ts';

/**
 * String literal syntax, shared by the parser and the printer.
 *
 * Quoted strings `"…"` know exactly these escapes: `\"`, `\\`, `\n`, `\r`, `\t` and `\xHH`
 * (two hex digits, the character U+0000–U+00FF). Any other backslash sequence is an error
 * rather than passed through, so a regex written `"\d+"` is refused at parse time instead of
 * silently meaning something else; write regexes as raw strings.
 *
 * Raw strings, as Cloudflare's: `r"…"` holds every character up to the next `"` unchanged, and
 * `r#"…"#` (with up to 255 `#`) up to the next `"` followed by as many `#`, so any text,
 * including quotes, fits: `r"^/v\d+/"`, `r#"say "hi""#`.
 */

/** A string literal read from source: its value and the offset just after it. */
export interface ReadString {
  readonly value: string;
  readonly end: number;
}

const maxRawHashes = 255;

/** True if a string literal (quoted or raw) starts at `offset`. */
export function startsStringLiteral(source: string, offset: number): boolean {
  const c = source[offset];
  if (c === '"') return true;
  if (c !== 'r') return false;
  let i = offset + 1;
  while (source[i] === '#') i++;
  return source[i] === '"';
}

/**
 * Reads the string literal starting at `offset` (where `startsStringLiteral` is true).
 * Throws `Waf.BadLiteral` for an unterminated string (at its start) or a bad escape (at the
 * backslash).
 */
export function readStringLiteral(source: string, offset: number): ReadString {
  return source[offset] === 'r' ? readRaw(source, offset) : readQuoted(source, offset);
}

function readQuoted(source: string, offset: number): ReadString {
  let value = '';
  let i = offset + 1;
  let chunkStart = i;
  for (;;) {
    const q = source.indexOf('"', i);
    const b = source.indexOf('\\', i);
    if (q < 0) {
      throw new WafError('Waf.BadLiteral', 'unterminated string: no closing `"`', { source, offset });
    }
    if (b < 0 || q < b) return { value: value + source.slice(chunkStart, q), end: q + 1 };
    value += source.slice(chunkStart, b);
    const next = source[b + 1];
    switch (next) {
      case '"':
      case '\\':
        value += next;
        i = b + 2;
        break;
      case 'n':
        value += '\n';
        i = b + 2;
        break;
      case 'r':
        value += '\r';
        i = b + 2;
        break;
      case 't':
        value += '\t';
        i = b + 2;
        break;
      case 'x': {
        const hex = source.slice(b + 2, b + 4);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
          throw new WafError('Waf.BadLiteral', '`\\x` must be followed by two hex digits', {
            source,
            offset: b,
            length: 2,
          });
        }
        value += String.fromCharCode(parseInt(hex, 16));
        i = b + 4;
        break;
      }
      default:
        throw new WafError(
          'Waf.BadLiteral',
          `unknown escape \`\\${next ?? ''}\`; quoted strings know \\" \\\\ \\n \\r \\t \\xHH ` +
            '(write regexes as raw strings: r"^/v\\d+")',
          { source, offset: b, length: 2 },
        );
    }
    chunkStart = i;
  }
}

function readRaw(source: string, offset: number): ReadString {
  let i = offset + 1;
  while (source[i] === '#') i++;
  const hashes = i - offset - 1;
  if (hashes > maxRawHashes) {
    throw new WafError('Waf.BadLiteral', `a raw string takes at most ${maxRawHashes} \`#\``, { source, offset });
  }
  const terminator = `"${'#'.repeat(hashes)}`;
  const close = source.indexOf(terminator, i + 1);
  if (close < 0) {
    throw new WafError('Waf.BadLiteral', `unterminated raw string: no closing \`${terminator}\``, {
      source,
      offset,
    });
  }
  return { value: source.slice(i + 1, close), end: close + terminator.length };
}

/** Prints `value` as a quoted string literal that reads back to exactly `value`. */
export function printQuoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Prints `value` as a raw string literal with as few `#` as its content allows. */
export function printRaw(value: string): string {
  let hashes = 0;
  for (let q = value.indexOf('"'); q >= 0; q = value.indexOf('"', q + 1)) {
    let run = 0;
    while (value[q + 1 + run] === '#') run++;
    hashes = Math.max(hashes, run + 1);
  }
  const fence = '#'.repeat(hashes);
  return `r${fence}"${value}"${fence}`;
}
