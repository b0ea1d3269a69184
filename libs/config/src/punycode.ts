// RFC 3492 Punycode parameters for IDNA (section 5).
const base = 36;
const tMin = 1;
const tMax = 26;
const skew = 38;
const damp = 700;
const initialBias = 72;
const initialN = 0x80;
const maxCodePoint = 0x10ffff;

/**
 * Decodes the part of an A-label after `xn--` (RFC 3492 section 6.2) into its code points, or
 * returns undefined when it is not a valid encoding: a non-basic character, a digit that is not
 * `a-z`/`0-9` (upper case is not accepted: callers decode canonical, lower-case labels), a
 * truncated integer, overflow, or a code point that is a surrogate or beyond U+10FFFF. node:url's `domainToUnicode` cannot serve here: it hands an undecodable
 * label back unchanged instead of saying it is invalid.
 */
export function decodePunycode(encoded: string): string | undefined {
  const delimiter = encoded.lastIndexOf('-');
  const output: number[] = [];
  for (let j = 0; j < Math.max(delimiter, 0); j++) {
    const code = encoded.charCodeAt(j);
    if (code >= 0x80) return undefined;
    output.push(code);
  }
  let n = initialN;
  let bias = initialBias;
  let i = 0;
  for (let at = delimiter > 0 ? delimiter + 1 : 0; at < encoded.length;) {
    const oldI = i;
    for (let w = 1, k = base; ; k += base) {
      if (at >= encoded.length) return undefined;
      const digit = digitOf(encoded.charCodeAt(at++));
      if (digit === undefined) return undefined;
      i += digit * w;
      const t = k <= bias ? tMin : k >= bias + tMax ? tMax : k - bias;
      if (digit < t) break;
      w *= base - t;
      // Far beyond any label: stops the arithmetic before it loses precision.
      if (i > maxCodePoint * (output.length + 1) || w > maxCodePoint * (output.length + 1)) return undefined;
    }
    const length = output.length + 1;
    bias = adapt(i - oldI, length, oldI === 0);
    n += Math.floor(i / length);
    i %= length;
    if (n > maxCodePoint || (n >= 0xd800 && n <= 0xdfff)) return undefined;
    output.splice(i, 0, n);
    i++;
  }
  return String.fromCodePoint(...output);
}

/** `a`–`z` are 0–25 and `0`–`9` are 26–35; anything else is not a digit of a canonical label. */
function digitOf(code: number): number | undefined {
  if (code >= 0x61 && code <= 0x7a) return code - 0x61;
  if (code >= 0x30 && code <= 0x39) return code - 0x30 + 26;
  return undefined;
}

function adapt(delta: number, length: number, first: boolean): number {
  let d = first ? Math.floor(delta / damp) : Math.floor(delta / 2);
  d += Math.floor(d / length);
  let k = 0;
  while (d > ((base - tMin) * tMax) / 2) {
    d = Math.floor(d / (base - tMin));
    k += base;
  }
  return k + Math.floor(((base - tMin + 1) * d) / (d + skew));
}
