/** One `-----BEGIN label-----` … `-----END label-----` block, decoded. */
export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

/** The blocks of a PEM text in order, or why the text is not PEM. */
export type PemDecodeResult =
  { readonly ok: true; readonly blocks: readonly PemBlock[] } | { readonly ok: false; readonly problem: string };

const beginLine = /^-----BEGIN ([A-Z0-9 ]{1,64})-----$/;
const endLine = /^-----END ([A-Z0-9 ]{1,64})-----$/;
const base64Line = /^[A-Za-z0-9+/=]*$/;
const base64Body = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes every PEM block of `text` (RFC 7468, lax: CRLF, indentation and explanatory text
 * between blocks are accepted, as tools such as `openssl pkcs12` emit them). Inside a block
 * only base64 is accepted: RFC 1421 headers (encrypted legacy PEM) and stray characters are
 * problems, because `Buffer.from(…, 'base64')` would otherwise skip them silently. The caller
 * bounds the size of `text` before calling.
 */
export function decodePem(text: string): PemDecodeResult {
  const blocks: PemBlock[] = [];
  let label: string | null = null;
  let body: string[] = [];
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (label === null) {
      const begin = beginLine.exec(line);
      if (begin !== null) {
        label = begin[1]!;
        body = [];
      } else if (line.startsWith('-----')) {
        return { ok: false, problem: 'a PEM boundary line without a matching BEGIN' };
      }
      continue;
    }
    const end = endLine.exec(line);
    if (end !== null) {
      if (end[1] !== label) return { ok: false, problem: `BEGIN ${label} closed by END ${end[1]}` };
      const b64 = body.join('');
      if (b64.length === 0 || !base64Body.test(b64)) return { ok: false, problem: `the ${label} block is not valid base64` };
      blocks.push({ label, der: new Uint8Array(Buffer.from(b64, 'base64')) });
      label = null;
      continue;
    }
    if (line.includes(':')) return { ok: false, problem: `the ${label} block has headers (encrypted legacy PEM is not supported)` };
    if (!base64Line.test(line)) return { ok: false, problem: `the ${label} block contains characters outside base64` };
    body.push(line);
  }
  if (label !== null) return { ok: false, problem: `BEGIN ${label} has no END line` };
  if (blocks.length === 0) return { ok: false, problem: 'no PEM block found' };
  return { ok: true, blocks };
}

/** PEM text for `der`: 64-character base64 lines and a final newline. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += `${b64.slice(i, i + 64)}\n`;
  return `${out}-----END ${label}-----\n`;
}
