/** The request the edge sends an origin, already rewritten by the edge's decision. */
export interface OriginRequestHead {
  /** An HTTP method token (`GET`, `POST`, …). */
  readonly method: string;
  /** The origin-form target (`/path?query`); the origin URL's own path, if any, is put before it. */
  readonly path: string;
  /**
   * Flat `[name, value, name, value, …]`, written in this order. Framing and connection fields
   * (`Content-Length`, `Transfer-Encoding`, `Connection`, `Keep-Alive`) are dropped: the client
   * writes its own from the body it is given. A missing `Host` becomes the origin's host.
   */
  readonly headers: readonly string[];
}

/** Names the client writes itself (compared lower-case). */
const ownFields = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);
/** Methods whose requests carry content by definition: without a body they say `Content-Length: 0`, as node:http does. */
const contentMethods = new Set(['POST', 'PUT', 'PATCH']);

const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A request target may not hold controls or spaces (it would end the request line early). */
const badTarget = /[\x00-\x20\x7f]/;
/** A field value may hold HTAB, visible ASCII and obs-text; CR, LF, NUL and other controls would split or end the head. */
const badValue = /[\x00-\x08\x0a-\x1f\x7f]/;

/**
 * The request line and header block for `head`, as one latin1 string, or the reason it cannot be
 * written safely (a name that is not a token, a CR/LF/NUL in a value or the target). `bodyLength`
 * is the body's byte count, `null` for a chunked body, `undefined` for no body.
 */
export function serialiseRequestHead(
  origin: URL,
  head: OriginRequestHead,
  bodyLength: number | null | undefined,
): string | { invalid: string } {
  const { method, headers } = head;
  if (!token.test(method)) return { invalid: 'method is not a token' };
  const prefix = origin.pathname === '/' ? '' : origin.pathname.replace(/\/$/, '');
  const target = prefix + head.path;
  if (badTarget.test(target) || target.length === 0) return { invalid: 'request target holds a control or space' };
  let text = `${method} ${target} HTTP/1.1\r\n`;
  let host = false;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    if (!token.test(name)) return { invalid: 'header name is not a token' };
    if (badValue.test(value)) return { invalid: `header ${name} holds a control character` };
    const lower = name.length === 4 || (name.length >= 10 && name.length <= 17) ? name.toLowerCase() : '';
    if (ownFields.has(lower)) continue;
    if (lower === 'host') host = true;
    text += `${name}: ${value}\r\n`;
  }
  if (!host) text += `host: ${origin.host}\r\n`;
  if (bodyLength === null) text += 'transfer-encoding: chunked\r\n';
  else if (bodyLength !== undefined) text += `content-length: ${bodyLength}\r\n`;
  else if (contentMethods.has(method)) text += 'content-length: 0\r\n';
  return text + '\r\n';
}
