import { isIP } from 'node:net';
import { canonicalHostname } from '@portcullis/config';
import { ApiError } from './api-error.ts';

const shape = /^(https?):\/\/([^/?#@]*)(\/[^?#]*)?$/i;

/**
 * A site's origin as a caller gave it, checked strictly: `http://` or `https://`, a host (a
 * hostname, one label allowed, an IPv4 address or a bracketed IPv6 address), an optional port
 * 1–65535 and an optional path. The scheme and host are returned with ASCII letters
 * lower-cased (as hostnames are everywhere); nothing else is changed.
 *
 * Refused with `InvalidParameter.OriginUrl` and the reason, never repaired: whitespace,
 * control and non-ASCII characters, backslashes, credentials, a query or fragment (edges
 * append the request's own path and query), a missing or empty host (`http:///x`, `http:x`),
 * and anything that WHATWG URL parsing — which the edges use — would read as a different URL
 * (a default port, `.`/`..` segments, percent-encoded dots, characters it would escape, a
 * non-canonical IP address).
 */
export function originUrlParameter(input: string): string {
  const refuse = (reason: string, readAs?: string): never => {
    throw new ApiError('InvalidParameter.OriginUrl', {
      message: `The origin URL ${reason}.`,
      details: { reason, ...(readAs !== undefined ? { readAs } : {}) },
    });
  };
  if (input.length === 0) refuse('is empty');
  if (!/^[\x21-\x7e]+$/.test(input)) refuse('holds whitespace, a control character or a non-ASCII character');
  if (input.includes('\\')) refuse('holds a backslash');
  const parts = shape.exec(input);
  if (!parts) {
    return refuse('must be http:// or https:// followed by a host, with no credentials, query or fragment');
  }
  const [, scheme = '', authority = '', path = ''] = parts;
  const portAt = authority.startsWith('[') ? authority.indexOf(']') + 1 : authority.lastIndexOf(':');
  const hasPort = portAt > 0 && authority[portAt] === ':';
  const host = (hasPort ? authority.slice(0, portAt) : authority).toLowerCase();
  const port = hasPort ? authority.slice(portAt + 1) : undefined;
  if (!isOriginHost(host)) refuse(`has the host "${host}", which is not a hostname or an IP address`);
  if (port !== undefined && (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65_535)) refuse('has a port that is not 1–65535');

  const canonical = `${scheme.toLowerCase()}://${host}${port !== undefined ? `:${port}` : ''}${path}`;
  let parsed: URL;
  try {
    parsed = new URL(canonical);
  } catch {
    return refuse('does not parse');
  }
  if (parsed.href !== (path === '' ? `${canonical}/` : canonical)) refuse(`would be read as ${parsed.href}`, parsed.href);
  return canonical;
}

function isOriginHost(host: string): boolean {
  if (host.startsWith('[')) return host.endsWith(']') && isIP(host.slice(1, -1)) === 6;
  return isIP(host) === 4 || canonicalHostname(host, { singleLabel: true }).ok;
}
