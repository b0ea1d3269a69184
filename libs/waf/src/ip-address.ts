/**
 * An IP address as the engine compares it. An IPv4 address is an unsigned 32-bit `number`; an
 * IPv6 address is a `string` of exactly 8 UTF-16 code units, one per 16-bit group. Strings,
 * not bigints, because building, comparing and hashing them is several times cheaper, and an
 * edge parses a source address on most requests. The two JavaScript types keep the families
 * apart, so `===` or a `Set` lookup never confuses `0.0.0.1` with `::1`.
 */
export type IpAddress = number | string;

/** An address with a prefix length; a single address has the family's full length. */
export interface IpRange {
  readonly address: IpAddress;
  readonly prefix: number;
}

/**
 * Parses an IPv4 dotted quad (no leading zeros: `010.0.0.1` is ambiguous between octal and
 * decimal in other tools, so it is refused) or IPv6 text (RFC 4291, with `::` and an IPv4 tail).
 * IPv4-mapped IPv6 (`::ffff:192.0.2.1`) gives the IPv4 address, because dual-stack sockets
 * report IPv4 clients that way. Returns null for anything else, including zones.
 */
export function parseIp(text: string): IpAddress | null {
  const v4 = parseIpv4(text, 0, text.length);
  if (v4 !== null) return v4;
  return text.includes(':') ? parseIpv6(text) : null;
}

/** `parseIp` for a socket's address: a zone suffix (`fe80::1%eth0`) is dropped first. */
export function parseSourceIp(text: string): IpAddress | null {
  const zone = text.indexOf('%');
  return parseIp(zone < 0 ? text : text.slice(0, zone));
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6 (lower case, longest `::`). */
export function formatIp(address: IpAddress): string {
  if (typeof address === 'number') {
    return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(address.charCodeAt(i));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * Parses an address or CIDR range as written in a rule (`192.0.2.1`, `10.0.0.0/8`,
 * `2001:db8::/32`). Returns the range, or a message saying what is wrong: a prefix out of range,
 * host bits set (almost always a typo for the network), a zone. An IPv4-mapped IPv6 range
 * (`::ffff:0:0/104`) becomes the IPv4 range it covers, as source addresses do.
 */
export function parseIpRange(text: string): IpRange | string {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const address = parseIp(addressText);
  if (address === null) return `"${addressText}" is not an IPv4 or IPv6 address`;
  const writtenAsV6 = addressText.includes(':');
  const familyBits = writtenAsV6 ? 128 : 32;
  if (slash < 0) return { address, prefix: typeof address === 'number' ? 32 : 128 };
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > familyBits) {
    return `prefix "/${prefixText}" must be a number from 0 to ${familyBits}`;
  }
  let prefix = Number(prefixText);
  if (writtenAsV6 && typeof address === 'number') {
    if (prefix < 96) return `an IPv4-mapped range needs a prefix of at least 96, not /${prefix}`;
    prefix -= 96;
  }
  if (maskAddress(address, prefix) !== address) {
    return `host bits are set in ${text}; the network is ${formatIp(maskAddress(address, prefix))}/${prefix}`;
  }
  return { address, prefix };
}

/** Canonical text of a range: the address, plus `/prefix` unless it is a single address. */
export function formatIpRange(range: IpRange): string {
  const full = typeof range.address === 'number' ? 32 : 128;
  return range.prefix === full ? formatIp(range.address) : `${formatIp(range.address)}/${range.prefix}`;
}

/**
 * A membership test for a list of addresses and ranges. Ranges are grouped by prefix length,
 * one `Set` of networks per length, so a lookup costs one mask and one hash probe per distinct
 * length (at most 33 for IPv4, 129 for IPv6), whatever the size of the list. `null` (an
 * unparseable source address) is in no list.
 */
export function ipRangeMatcher(ranges: readonly IpRange[]): (address: IpAddress | null) => boolean {
  const v4 = new Map<number, Set<number>>();
  const v6 = new Map<number, Set<string>>();
  for (const { address, prefix } of ranges) {
    if (typeof address === 'number') {
      let nets = v4.get(prefix);
      if (!nets) v4.set(prefix, (nets = new Set()));
      nets.add(address);
    } else {
      let nets = v6.get(prefix);
      if (!nets) v6.set(prefix, (nets = new Set()));
      nets.add(v6NetworkKey(address, prefix));
    }
  }
  const v4Groups = [...v4].map(([prefix, nets]) => ({ mask: v4Mask(prefix), nets }));
  const v6Groups = [...v6].map(([prefix, nets]) => ({ prefix, nets }));
  return (address) => {
    if (typeof address === 'number') {
      for (const { mask, nets } of v4Groups) if (nets.has((address & mask) >>> 0)) return true;
      return false;
    }
    if (address === null) return false;
    for (const { prefix, nets } of v6Groups) if (nets.has(v6NetworkKey(address, prefix))) return true;
    return false;
  };
}

function v4Mask(prefix: number): number {
  // `x << 32` is `x` in JavaScript, so /0 needs its own case.
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The groups of `address` that its first `prefix` bits cover, host bits cleared: a set key per prefix length. */
function v6NetworkKey(address: string, prefix: number): string {
  const whole = prefix >> 4;
  const partBits = prefix & 15;
  if (partBits === 0) return address.slice(0, whole);
  return address.slice(0, whole) + String.fromCharCode(address.charCodeAt(whole) & ((0xffff << (16 - partBits)) & 0xffff));
}

function maskAddress(address: IpAddress, prefix: number): IpAddress {
  if (typeof address === 'number') return (address & v4Mask(prefix)) >>> 0;
  return v6NetworkKey(address, prefix).padEnd(8, '\0');
}

function parseIpv4(text: string, start: number, end: number): number | null {
  let value = 0;
  let octets = 0;
  let i = start;
  while (octets < 4) {
    const octetStart = i;
    let octet = 0;
    while (i < end && i - octetStart < 3) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
    }
    const digits = i - octetStart;
    if (digits === 0 || octet > 255 || (digits > 1 && text.charCodeAt(octetStart) === 48)) return null;
    value = value * 256 + octet;
    octets++;
    if (octets < 4) {
      if (text.charCodeAt(i) !== 46) return null;
      i++;
    }
  }
  return i === end ? value : null;
}

function parseIpv6(text: string): IpAddress | null {
  const groups: number[] = [];
  let gapAt = -1;
  let i = 0;
  const end = text.length;
  if (text.startsWith('::')) {
    gapAt = 0;
    i = 2;
  } else if (text.startsWith(':')) {
    return null;
  }
  while (i < end) {
    let j = i;
    let group = 0;
    while (j < end && j - i < 5) {
      const digit = hexDigit(text.charCodeAt(j));
      if (digit < 0) break;
      group = group * 16 + digit;
      j++;
    }
    if (j < end && text.charCodeAt(j) === 46) {
      const v4 = parseIpv4(text, i, end);
      if (v4 === null) return null;
      groups.push(v4 >>> 16, v4 & 0xffff);
      i = end;
      break;
    }
    if (j === i || j - i > 4) return null;
    groups.push(group);
    if (j === end) {
      i = end;
      break;
    }
    if (text.charCodeAt(j) !== 58) return null;
    if (text.charCodeAt(j + 1) === 58) {
      if (gapAt >= 0) return null;
      gapAt = groups.length;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === end) return null;
    }
  }
  if (gapAt < 0 ? groups.length !== 8 : groups.length > 7) return null;
  if (gapAt >= 0) groups.splice(gapAt, 0, ...zeroGroups.slice(0, 8 - groups.length));
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    return ((groups[6]! << 16) | groups[7]!) >>> 0;
  }
  return String.fromCharCode(...groups);
}

const zeroGroups: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0];

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
