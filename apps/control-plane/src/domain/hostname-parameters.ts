import { canonicalHostname, canonicalHostnamePattern, isWithinZone } from '@portcullis/config';
import { ApiError } from './api-error.ts';

/** At most this many hostnames in one Set…Hostnames call, as in the original product. */
export const maxHostnamesPerCall = 50;

/**
 * A hostname a caller gave, in the canonical form of libs/config's one hostname rule (ASCII
 * letters lower-cased, nothing else changed). With `wildcard`, a leading `*.` label is
 * accepted (it matches exactly one label, as a TLS wildcard does). Anything else — a trailing
 * dot, a path, a port, percent-escapes, `_`, whitespace, Unicode (an IDN is given as its
 * `xn--` A-label), an invalid A-label, an IP address — is refused with
 * `InvalidParameter.Hostname` and the reason, never repaired.
 */
export function hostnameParameter(input: string, options: { readonly wildcard: boolean }): string {
  const result = options.wildcard ? canonicalHostnamePattern(input) : canonicalHostname(input);
  if (result.ok) return result.hostname;
  throw new ApiError('InvalidParameter.Hostname', {
    message: `"${excerpt(input)}" is not a valid hostname: it ${result.reason}.`,
    details: { hostname: excerpt(input), reason: result.reason },
  });
}

/**
 * A site's zone: a canonical hostname without wildcard. Throws `InvalidParameter.SiteName`
 * with the reason.
 */
export function zoneParameter(input: string): string {
  const result = canonicalHostname(input);
  if (result.ok) return result.hostname;
  throw new ApiError('InvalidParameter.SiteName', {
    message: `"${excerpt(input)}" is not a DNS zone: it ${result.reason}.`,
    details: { name: excerpt(input), reason: result.reason },
  });
}

/**
 * The hostname list of one Set…Hostnames call, canonical and in the given order. Refuses more
 * than 50 entries, invalid names, names outside the zone and duplicates — each with its own
 * code.
 */
export function hostnameListParameter(inputs: readonly string[], zone: string): string[] {
  if (inputs.length > maxHostnamesPerCall) {
    throw new ApiError('InvalidParameter.TooManyHostnames', { details: { count: inputs.length, max: maxHostnamesPerCall } });
  }
  const seen = new Set<string>();
  return inputs.map((input) => {
    const hostname = hostnameParameter(input, { wildcard: true });
    if (!isWithinZone(hostname, zone)) {
      throw new ApiError('InvalidParameter.HostnameNotInSite', {
        message: `${hostname} is not ${zone} or a name under it.`,
        details: { hostname, site: zone },
      });
    }
    if (seen.has(hostname)) throw new ApiError('InvalidParameter.DuplicateHostname', { details: { hostname } });
    seen.add(hostname);
    return hostname;
  });
}

/** At most 80 characters of caller text for a message, cut between code points. */
function excerpt(text: string): string {
  const points = [...text];
  return points.length > 80 ? `${points.slice(0, 80).join('')}…` : text;
}
