import { domainToASCII } from 'node:url';
import { isIP } from 'node:net';
import { ApiError } from './api-error.ts';

/** At most this many hostnames in one Set…Hostnames call, as in the original product. */
export const maxHostnamesPerCall = 50;

const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Normalises one hostname for storage and comparison: trimmed, lower case, no trailing dot,
 * IDN labels in punycode (`bücher.example` → `xn--bcher-kva.example`).
 *
 * Wildcards: a single leading `*.` label is accepted (`*.example.com`) and matches exactly
 * one label at the edge, as a TLS wildcard does; `*` anywhere else, a bare `*`, and partial
 * labels (`a*.example.com`) are refused. IP addresses are refused: bindings name hostnames.
 * Throws `InvalidParameter.Hostname` with the input in `details`.
 */
export function normaliseHostname(input: string): string {
  const trimmed = input.trim().replace(/\.$/, '');
  const wildcard = trimmed.startsWith('*.');
  const rest = wildcard ? trimmed.slice(2) : trimmed;
  // domainToASCII would silently drop tabs and newlines (URL host parsing does); refuse them.
  const ascii = rest.length > 0 && !/[*\s\u0000-\u001f\u007f]/.test(rest) ? domainToASCII(rest) : '';
  const name = wildcard ? `*.${ascii}` : ascii;
  if (
    ascii === '' ||
    name.length > 253 ||
    isIP(rest) !== 0 ||
    !ascii.includes('.') ||
    !ascii.split('.').every((part) => label.test(part))
  ) {
    throw new ApiError('InvalidParameter.Hostname', {
      message: `"${truncate(input)}" is not a valid hostname.`,
      details: { hostname: truncate(input) },
    });
  }
  return name;
}

/**
 * Normalises a site's zone: a hostname without wildcard. Throws `InvalidParameter.SiteName`.
 */
export function normaliseZone(input: string): string {
  try {
    const zone = normaliseHostname(input);
    if (!zone.startsWith('*.')) return zone;
  } catch {
    // reported below with the site-name code
  }
  throw new ApiError('InvalidParameter.SiteName', { details: { name: truncate(input) } });
}

/** True when `hostname` (normalised) is `zone` or a name under it; a wildcard's base counts. */
export function isWithinZone(hostname: string, zone: string): boolean {
  const base = hostname.startsWith('*.') ? hostname.slice(2) : hostname;
  return base === zone || base.endsWith(`.${zone}`);
}

/**
 * Validates the hostname list of one Set…Hostnames call against a site's zone and returns
 * it normalised, in the given order. Refuses more than 50 entries, invalid names, names
 * outside the zone, and duplicates after normalisation — each with its own code.
 */
export function normaliseHostnameList(inputs: readonly string[], zone: string): string[] {
  if (inputs.length > maxHostnamesPerCall) {
    throw new ApiError('InvalidParameter.TooManyHostnames', { details: { count: inputs.length, max: maxHostnamesPerCall } });
  }
  const seen = new Set<string>();
  return inputs.map((input) => {
    const hostname = normaliseHostname(input);
    if (!isWithinZone(hostname, zone)) {
      throw new ApiError('InvalidParameter.HostnameNotInSite', {
        message: `${hostname} is not ${zone} or a name under it.`,
        details: { hostname, site: zone },
      });
    }
    if (seen.has(hostname)) {
      throw new ApiError('InvalidParameter.DuplicateHostname', { details: { hostname } });
    }
    seen.add(hostname);
    return hostname;
  });
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
