import { describe, expect, it } from 'vitest';
import { isHostname, isHostnamePattern, isWithinZone, normaliseHost, parentOf, wildcardParent } from './hostnames.ts';

describe('hostnames', () => {
  it('accepts canonical DNS names only', () => {
    expect(isHostname('api.example.com')).toBe(true);
    expect(isHostname('_acme.example.com')).toBe(true);
    for (const bad of [
      '',
      'API.example.com',
      'a..b',
      '-a.example',
      'a-.example',
      'a b',
      `${'a'.repeat(64)}.example`,
      'a.'.repeat(127) + 'a',
    ]) {
      expect(isHostname(bad), bad).toBe(false);
    }
  });

  it('knows one-label wildcards', () => {
    expect(isHostnamePattern('*.example.com')).toBe(true);
    expect(isHostnamePattern('*.*.example.com')).toBe(false);
    expect(isHostnamePattern('a.*.example.com')).toBe(false);
    expect(wildcardParent('*.example.com')).toBe('example.com');
    expect(wildcardParent('example.com')).toBeUndefined();
    expect(parentOf('a.b.example')).toBe('b.example');
    expect(parentOf('localhost')).toBeUndefined();
  });

  it('matches a zone and the names under it, not names that merely end alike', () => {
    expect(isWithinZone('example.com', 'example.com')).toBe(true);
    expect(isWithinZone('a.b.example.com', 'example.com')).toBe(true);
    expect(isWithinZone('badexample.com', 'example.com')).toBe(false);
    expect(isWithinZone('com', 'example.com')).toBe(false);
  });

  it('normalises client-sent names', () => {
    expect(normaliseHost('API.Example.com:8443')).toBe('api.example.com');
    expect(normaliseHost('api.example.com.')).toBe('api.example.com');
    expect(normaliseHost('[::1]:443')).toBeUndefined();
    expect(normaliseHost('a.example:port')).toBeUndefined();
    expect(normaliseHost('a/b')).toBeUndefined();
  });
});
