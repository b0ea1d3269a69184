/**
 * Hostnames as the edge compares them: lower-case ASCII, no trailing dot, no port. Resources
 * from the control plane are already in this form (the edge checks it); names that come from
 * clients (SNI, the Host header) are normalised here once and then compared as strings.
 */

const labelPattern = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
const maxHostnameLength = 253;

/** A DNS name in canonical form: 1–63-character labels of `[a-z0-9_-]`, at most 253 characters. */
export function isHostname(name: string): boolean {
  if (name.length === 0 || name.length > maxHostnameLength) return false;
  for (const label of name.split('.')) if (!labelPattern.test(label)) return false;
  return true;
}

/** An exact hostname, or a one-label wildcard `*.<hostname>` (the forms bindings and credentials use). */
export function isHostnamePattern(pattern: string): boolean {
  return pattern.startsWith('*.') ? isHostname(pattern.slice(2)) : isHostname(pattern);
}

/** The name a one-label wildcard covers names under (`*.a.example` → `a.example`), or undefined for an exact name. */
export function wildcardParent(pattern: string): string | undefined {
  return pattern.startsWith('*.') ? pattern.slice(2) : undefined;
}

/** The name one label up (`a.b.example` → `b.example`), or undefined for a single label. */
export function parentOf(hostname: string): string | undefined {
  const dot = hostname.indexOf('.');
  return dot < 0 ? undefined : hostname.slice(dot + 1);
}

/** Whether `hostname` is `zone` itself or a name under it. */
export function isWithinZone(hostname: string, zone: string): boolean {
  return (
    hostname === zone || (hostname.length > zone.length && hostname.endsWith(zone) && hostname[hostname.length - zone.length - 1] === '.')
  );
}

/**
 * A client-sent name (SNI or Host header) in canonical form: lower-cased, port and trailing dot
 * removed. Returns undefined for anything that is not a hostname (IP literals included, since
 * no site is served by address), so callers treat it as unknown.
 */
export function normaliseHost(value: string): string | undefined {
  let name = value.trim().toLowerCase();
  if (name.startsWith('[')) return undefined;
  const colon = name.lastIndexOf(':');
  if (colon >= 0) {
    if (!/^\d{1,5}$/.test(name.slice(colon + 1))) return undefined;
    name = name.slice(0, colon);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  return isHostname(name) ? name : undefined;
}
