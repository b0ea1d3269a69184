import { domainToASCII } from 'node:url';
import { decodePunycode } from './punycode.ts';

/**
 * The one hostname rule of Portcullis, shared by the control plane (which refuses what breaks
 * it) and the edges (which refuse resources that break it and treat client-sent names that
 * break it as unknown), so the two can never disagree about what a hostname is.
 *
 * A hostname in canonical form is:
 * - at most 253 characters, of two or more dot-separated labels (a site's zone is a DNS zone
 *   such as `example.com`, and every other name lies under one); no trailing dot;
 * - labels of 1–63 characters `a-z`, `0-9` and `-`, not starting or ending with `-` (LDH,
 *   RFC 952/1123), lower case; no `_`, which DNS allows in other records but not in hostnames;
 * - a label with `--` in its third and fourth characters only as an IDN A-label `xn--…` whose
 *   Punycode decodes to a valid U-label that re-encodes to exactly the same A-label (RFC 5890
 *   section 2.3.2.1 reserves the others); a valid U-label here holds only letters, combining
 *   marks and decimal digits (IDNA2008's LetterDigits, RFC 5892 section 2.1) and `-`, starts
 *   with no mark and is already in the form UTS #46 maps it to;
 * - a last label that is not numeric (all digits, or `0x` and hex digits): URL parsers read
 *   such a name as an IPv4 address, and addresses are not hostnames.
 *
 * Non-ASCII text never passes: IDNs are given in their A-label form.
 */

export const maxHostnameLength = 253;
const maxLabelLength = 63;

/** A check of user text against the rule: the canonical form, or why there is none. */
export type HostnameResult = { readonly ok: true; readonly hostname: string } | { readonly ok: false; readonly reason: string };

const ldhLabel = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const numericLabel = /^(?:[0-9]+|0x[0-9a-f]*)$/;
const letterDigit = /^[\p{Ll}\p{Lo}\p{Lm}\p{Mn}\p{Mc}\p{Nd}-]$/u;
const mark = /^[\p{Mn}\p{Mc}]$/u;

/** Whether `name` is a hostname in canonical form (see the rule above). */
export function isHostname(name: string): boolean {
  return hostnameProblem(name) === undefined;
}

/** An exact hostname, or a one-label wildcard `*.<hostname>` (the forms bindings and credentials use), both canonical. */
export function isHostnamePattern(pattern: string): boolean {
  return patternProblem(pattern) === undefined;
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

/**
 * Whether every name `pattern` can match is `zone` itself or a name under it. An exact name is
 * within when it is the zone or ends in `.<zone>`; a wildcard `*.<parent>` matches one label
 * under its parent, so it is within when its parent is (`*.example.com` is within
 * `example.com`, `*.com` is not). False whenever either is not in canonical form, so a caller
 * never lets a malformed name through by asking.
 */
export function isWithinZone(pattern: string, zone: string): boolean {
  if (!isHostnamePattern(pattern) || !isHostname(zone)) return false;
  const name = wildcardParent(pattern) ?? pattern;
  return name === zone || name.endsWith(`.${zone}`);
}

/**
 * The canonical form of a hostname a user typed: ASCII letters lower-cased (hostnames compare
 * case-insensitively), nothing else changed. Everything that is not already a hostname is
 * refused with the reason, never repaired: no trimming, no trailing-dot removal, no
 * percent-decoding, no Unicode mapping, no cutting at `/` or `:`.
 *
 * `singleLabel` also accepts a name of one label (`origin`): right for a name a resolver
 * completes from its search list, such as an origin server's host, and never for a name an
 * edge serves.
 */
export function canonicalHostname(input: string, options: { readonly singleLabel?: boolean } = {}): HostnameResult {
  const lower = asciiLowerCase(input);
  if (typeof lower !== 'string') return lower;
  const problem = hostnameProblem(lower, options.singleLabel ? 1 : 2);
  return problem === undefined ? { ok: true, hostname: lower } : { ok: false, reason: problem };
}

/** As `canonicalHostname`, also accepting a one-label wildcard `*.<hostname>`. */
export function canonicalHostnamePattern(input: string): HostnameResult {
  const lower = asciiLowerCase(input);
  if (typeof lower !== 'string') return lower;
  const problem = patternProblem(lower);
  return problem === undefined ? { ok: true, hostname: lower } : { ok: false, reason: problem };
}

/**
 * A client-sent name (SNI or Host header) in canonical form: lower-cased, a port and one
 * trailing dot removed (HTTP allows both in Host). Returns undefined for anything that is not
 * a hostname (IP literals included, since no site is served by address), so callers treat it
 * as unknown. Field values reach here without the optional whitespace around them (HTTP
 * parsers strip it); whitespace inside is refused.
 */
export function normaliseHost(value: string): string | undefined {
  // Room for a trailing dot and a port after the longest hostname.
  if (value.length > maxHostnameLength + 7 || !/^[\x21-\x7e]+$/.test(value) || value.startsWith('[')) return undefined;
  let name = value.toLowerCase();
  const colon = name.lastIndexOf(':');
  if (colon >= 0) {
    if (!/^\d{1,5}$/.test(name.slice(colon + 1))) return undefined;
    name = name.slice(0, colon);
  }
  if (name.endsWith('.')) name = name.slice(0, -1);
  return isHostname(name) ? name : undefined;
}

/**
 * The input with A–Z lower-cased, or a refusal when it holds anything but printable ASCII:
 * `String.prototype.toLowerCase` would also fold some non-ASCII letters into ASCII ones (the
 * Kelvin sign U+212A becomes `k`), which is a rewrite, not a canonical form.
 */
function asciiLowerCase(input: string): string | { ok: false; reason: string } {
  if (input.length === 0) return { ok: false, reason: 'is empty' };
  if (input.length > maxHostnameLength) return { ok: false, reason: `is longer than ${maxHostnameLength} characters` };
  if (!/^[\x21-\x7e]+$/.test(input)) {
    return {
      ok: false,
      reason: 'holds whitespace, a control character or a non-ASCII character (give an IDN as its xn-- A-label)',
    };
  }
  return input.toLowerCase();
}

function patternProblem(pattern: string): string | undefined {
  if (!pattern.startsWith('*.')) return hostnameProblem(pattern);
  if (pattern.length > maxHostnameLength) return `is longer than ${maxHostnameLength} characters`;
  return hostnameProblem(pattern.slice(2));
}

/** Why `name` is not a canonical hostname of at least `minLabels` labels, or undefined when it is one. */
function hostnameProblem(name: string, minLabels = 2): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > maxHostnameLength) return `is longer than ${maxHostnameLength} characters`;
  const stray = /[^a-z0-9.-]/.exec(name)?.[0];
  if (stray === '*') return 'has "*" where only a leading "*." wildcard label may stand';
  if (stray !== undefined) {
    return /^[\x21-\x7e]$/.test(stray)
      ? `holds "${stray}"; a hostname has only letters, digits, "-" and "."`
      : 'holds a character that is not lower-case ASCII';
  }
  if (name.endsWith('.')) return 'ends with a dot; give the name without it';
  const labels = name.split('.');
  if (labels.length < minLabels) return 'has a single label; a hostname here has at least two, as example.com';
  for (const label of labels) {
    const problem = labelProblem(label);
    if (problem !== undefined) return problem;
  }
  if (numericLabel.test(labels[labels.length - 1]!)) return 'ends in a numeric label, which reads as an IP address';
  return undefined;
}

function labelProblem(label: string): string | undefined {
  if (label.length === 0) return 'has an empty label';
  if (label.length > maxLabelLength) return `has a label longer than ${maxLabelLength} characters`;
  if (!ldhLabel.test(label)) return 'has a label that starts or ends with "-"';
  if (label.slice(2, 4) !== '--') return undefined;
  if (!label.startsWith('xn--')) return `has the label "${label}": "--" in the third and fourth characters is reserved for xn-- IDN labels`;
  return isALabel(label) ? undefined : `has the label "${label}", which is not a valid IDN A-label`;
}

/** `xn--…` decodes to a valid U-label whose IDNA encoding is exactly this label again. */
function isALabel(label: string): boolean {
  const decoded = decodePunycode(label.slice(4));
  if (decoded === undefined || decoded.length === 0) return false;
  const codePoints = [...decoded];
  if (mark.test(codePoints[0]!) || !codePoints.every((c) => letterDigit.test(c))) return false;
  if (decoded.startsWith('-') || decoded.endsWith('-') || decoded.slice(2, 4) === '--') return false;
  // UTS #46 maps (case, compatibility forms, NFC) and encodes; a U-label not already in mapped
  // form, or one that is plain ASCII, comes back as something else.
  return domainToASCII(decoded) === label;
}
