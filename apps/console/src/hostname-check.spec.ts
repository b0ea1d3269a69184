import { describe, expect, it } from 'vitest';
import { hostnameProblem } from './hostname-check.ts';

describe('hostnameProblem', () => {
  it('accepts the zone, names under it and wildcards under it, in any case, IDNs as A-labels', () => {
    for (const name of [
      'example.com',
      'api.example.com',
      'API.Example.com',
      '*.example.com',
      'a.b.example.com',
      'xn--bcher-kva.example.com',
    ]) {
      expect(hostnameProblem(name, 'example.com'), name).toBeNull();
    }
  });

  it('refuses what the control plane refuses: non-ASCII, a trailing dot, a numeric last label', () => {
    expect(hostnameProblem('bücher.example.com', 'example.com')).toMatch(/xn-- A-label/);
    expect(hostnameProblem('api.example.com.', 'example.com')).toMatch(/trailing dot/);
    expect(hostnameProblem('a.123', '123')).toMatch(/numeric/);
  });

  it('names what is wrong: syntax, or outside the site', () => {
    for (const name of ['bad..name.example.com', '-a.example.com', 'a_b.example.com', `${'a'.repeat(64)}.example.com`, 'a b.example.com']) {
      expect(hostnameProblem(name, 'example.com'), name).toBe('Not a valid hostname.');
    }
    for (const name of ['example.org', 'notexample.com', 'api.example.com.evil.org']) {
      expect(hostnameProblem(name, 'example.com'), name).toMatch(/^Not in this site/);
    }
    expect(hostnameProblem('  ', 'example.com')).toBe('Enter a hostname.');
  });
});
