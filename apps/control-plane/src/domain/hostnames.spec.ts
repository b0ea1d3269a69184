import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.ts';
import { isWithinZone, normaliseHostname, normaliseHostnameList, normaliseZone } from './hostnames.ts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof ApiError ? error.code : 'not an ApiError';
  }
  return undefined;
}

describe('normaliseHostname', () => {
  it.each([
    ['A.Example.COM', 'a.example.com'],
    ['  api.example.com.  ', 'api.example.com'],
    ['bücher.example.com', 'xn--bcher-kva.example.com'],
    ['*.example.com', '*.example.com'],
    ['*.Bücher.example', '*.xn--bcher-kva.example'],
  ])('%s → %s', (input, expected) => {
    expect(normaliseHostname(input)).toBe(expected);
  });

  it.each([
    '',
    ' ',
    '*',
    '*.',
    'a*.example.com',
    'a.*.example.com',
    'example',
    '-a.example.com',
    'a-.example.com',
    'a_b.example.com',
    'a..example.com',
    `${'a'.repeat(64)}.example.com`,
    `${'a.'.repeat(127)}com`,
    '192.168.0.1',
    '[::1]',
    "a.example.com'; DROP TABLE sites;--",
    '$(rm -rf /).example.com',
    "redis.call('FLUSHALL')",
    'a.exa\nmple.com',
  ])('refuses %j', (input) => {
    expect(codeOf(() => normaliseHostname(input))).toBe('InvalidParameter.Hostname');
  });
});

describe('zones', () => {
  it('accepts a zone and refuses a wildcard zone', () => {
    expect(normaliseZone('Example.COM')).toBe('example.com');
    expect(codeOf(() => normaliseZone('*.example.com'))).toBe('InvalidParameter.SiteName');
    expect(codeOf(() => normaliseZone('not a zone'))).toBe('InvalidParameter.SiteName');
  });

  it('knows which names are within a zone', () => {
    expect(isWithinZone('example.com', 'example.com')).toBe(true);
    expect(isWithinZone('a.b.example.com', 'example.com')).toBe(true);
    expect(isWithinZone('*.example.com', 'example.com')).toBe(true);
    expect(isWithinZone('badexample.com', 'example.com')).toBe(false);
    expect(isWithinZone('example.com.evil.net', 'example.com')).toBe(false);
  });
});

describe('normaliseHostnameList', () => {
  it('normalises in order', () => {
    expect(normaliseHostnameList(['B.example.com', 'example.com', '*.api.example.com'], 'example.com')).toEqual([
      'b.example.com',
      'example.com',
      '*.api.example.com',
    ]);
  });

  it('takes 50 and refuses 51', () => {
    const names = Array.from({ length: 51 }, (_, i) => `h${i}.example.com`);
    expect(normaliseHostnameList(names.slice(0, 50), 'example.com')).toHaveLength(50);
    expect(codeOf(() => normaliseHostnameList(names, 'example.com'))).toBe('InvalidParameter.TooManyHostnames');
  });

  it('refuses foreign names and duplicates after normalisation', () => {
    expect(codeOf(() => normaliseHostnameList(['a.example.org'], 'example.com'))).toBe('InvalidParameter.HostnameNotInSite');
    expect(codeOf(() => normaliseHostnameList(['*.example.org'], 'example.com'))).toBe('InvalidParameter.HostnameNotInSite');
    expect(codeOf(() => normaliseHostnameList(['*.com'], 'example.com'))).toBe('InvalidParameter.Hostname');
    expect(codeOf(() => normaliseHostnameList(['A.example.com', 'a.example.com.'], 'example.com'))).toBe(
      'InvalidParameter.DuplicateHostname',
    );
  });
});
