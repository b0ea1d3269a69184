import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatIp, formatIpRange, ipRangeMatcher, parseIp, parseIpRange, parseSourceIp, type IpRange } from './ip-address.ts';

describe('parseIp', () => {
  it.each([
    ['0.0.0.0', 0],
    ['192.0.2.1', 0xc0000201],
    ['255.255.255.255', 0xffffffff],
    ['::ffff:192.0.2.1', 0xc0000201],
    ['::FFFF:c000:0201', 0xc0000201],
    ['0:0:0:0:0:ffff:192.0.2.1', 0xc0000201],
  ])('reads %s as IPv4', (text, value) => {
    expect(parseIp(text)).toBe(value);
  });

  const v6 = (...groups: number[]) => String.fromCharCode(...groups);
  it.each([
    ['::', v6(0, 0, 0, 0, 0, 0, 0, 0)],
    ['::1', v6(0, 0, 0, 0, 0, 0, 0, 1)],
    ['1::', v6(1, 0, 0, 0, 0, 0, 0, 0)],
    ['2001:db8::8:800:200c:417a', v6(0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a)],
    ['2001:DB8:0:0:8:800:200C:417A', v6(0x2001, 0xdb8, 0, 0, 8, 0x800, 0x200c, 0x417a)],
    ['::192.0.2.1', v6(0, 0, 0, 0, 0, 0, 0xc000, 0x201)],
    ['1:2:3:4:5:6:7::', v6(1, 2, 3, 4, 5, 6, 7, 0)],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', v6(...new Array<number>(8).fill(0xffff))],
  ])('reads %s as IPv6', (text, value) => {
    expect(parseIp(text)).toBe(value);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.0.0.1',
    '01.2.3.4',
    '1.2.3.4 ',
    ' 1.2.3.4',
    '1.2.3.-4',
    ':',
    ':::',
    '1:::2',
    '1::2::3',
    ':1::',
    '1::2:',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '12345::',
    'g::',
    '::1.2.3',
    '::1.2.3.4:5',
    'fe80::1%eth0',
    '1:2:3:4:5:6:7:8::',
  ])('refuses %j', (text) => {
    expect(parseIp(text)).toBeNull();
  });

  it('agrees with node:net on what is an address (except zones and leading zeros)', () => {
    for (const text of ['1.1.1.1', '::', '::ffff:1.1.1.1', 'a:b:c:d:e:f:1:2', '1::2:3', 'x', '1.1.1', '::g']) {
      expect(parseIp(text) !== null).toBe(isIP(text) !== 0);
    }
  });

  it('drops a zone from a socket address', () => {
    expect(parseSourceIp('fe80::1%eth0')).toBe(parseIp('fe80::1'));
    expect(parseSourceIp('192.0.2.1')).toBe(0xc0000201);
  });
});

describe('formatIp', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['2001:DB8:0:0:8:800:200C:417A', '2001:db8::8:800:200c:417a'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
  ])('prints %s as %s (RFC 5952)', (text, canonical) => {
    expect(formatIp(parseIp(text)!)).toBe(canonical);
  });
});

describe('parseIpRange', () => {
  it('reads addresses and CIDRs, canonically', () => {
    expect(parseIpRange('10.0.0.0/8')).toEqual({ address: 0x0a000000, prefix: 8 });
    expect(parseIpRange('192.0.2.1')).toEqual({ address: 0xc0000201, prefix: 32 });
    expect(formatIpRange(parseIpRange('2001:DB8::/32') as IpRange)).toBe('2001:db8::/32');
    expect(formatIpRange(parseIpRange('10.1.2.3/32') as IpRange)).toBe('10.1.2.3');
    expect(parseIpRange('::ffff:10.0.0.0/104')).toEqual({ address: 0x0a000000, prefix: 8 });
  });

  it.each([
    ['10.0.0.0/33', /prefix/],
    ['10.0.0.0/08', /prefix/],
    ['10.0.0.0/', /prefix/],
    ['::/129', /prefix/],
    ['10.0.0.1/8', /host bits/],
    ['::ffff:10.0.0.0/64', /at least 96/],
    ['10.0.0/8', /not an IPv4 or IPv6 address/],
  ])('refuses %s', (text, message) => {
    expect(parseIpRange(text)).toMatch(message);
  });
});

describe('ipRangeMatcher', () => {
  const ranges = ['10.0.0.0/8', '192.0.2.1', '0.0.0.0/32', '2001:db8::/32', '::1', '2001:db8:1::/48'].map(
    (t) => parseIpRange(t) as IpRange,
  );
  const inList = ipRangeMatcher(ranges);
  it.each([
    ['10.255.0.1', true],
    ['11.0.0.1', false],
    ['192.0.2.1', true],
    ['192.0.2.2', false],
    ['0.0.0.0', true],
    ['2001:db8:ffff::1', true],
    ['2001:db9::', false],
    ['::1', true],
    ['::2', false],
  ])('%s → %s', (text, expected) => {
    expect(inList(parseIp(text))).toBe(expected);
  });

  it('finds nothing for an unparseable address, and everything in /0', () => {
    expect(inList(null)).toBe(false);
    const all = ipRangeMatcher([parseIpRange('0.0.0.0/0') as IpRange, parseIpRange('::/0') as IpRange]);
    expect(all(parseIp('203.0.113.9'))).toBe(true);
    expect(all(parseIp('2001:db8::1'))).toBe(true);
  });
});
