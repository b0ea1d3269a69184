import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalHostname,
  canonicalHostnamePattern,
  isHostname,
  isHostnamePattern,
  isWithinZone,
  normaliseHost,
  parentOf,
  wildcardParent,
} from './hostnames.ts';
import { decodePunycode } from './punycode.ts';

const refusal = (input: string) => {
  const result = canonicalHostname(input);
  return result.ok ? `accepted as ${result.hostname}` : result.reason;
};

describe('isHostname', () => {
  it.each(['api.example.com', 'example.com', 'a.b.c.example', 'x1-2.example', 'xn--bcher-kva.example', 'shop.xn--p1ai', 'a.b2'])(
    'accepts %s',
    (name) => expect(isHostname(name)).toBe(true),
  );

  it.each([
    '',
    'localhost',
    'API.example.com',
    'a..b',
    '.a.example',
    'a.example.',
    '-a.example',
    'a-.example',
    'a b.example',
    '_acme.example.com',
    'a_b.example.com',
    'bücher.example',
    `${'a'.repeat(64)}.example`,
    `${'a.'.repeat(127)}a`,
    '192.168.0.1',
    'a.0x7f',
    'a.123',
    'ab--cd.example',
    'xn--a.example.com',
    'xn--zz-zzzzzzz.example.com',
    'xn--abc-.example',
    'xn--.example',
    'xn--9.example',
    'xn--zzzzzzzzzzzzzzzzzzzzzzzzzzz.example',
  ])('refuses %j', (name) => expect(isHostname(name)).toBe(false));
});

describe('A-labels', () => {
  it('decodes RFC 3492 Punycode', () => {
    expect(decodePunycode('bcher-kva')).toBe('bücher');
    expect(decodePunycode('strae-oqa')).toBe('straße');
    expect(decodePunycode('egbpdaj6bu4bxfgehfvwxn')).toBe('ليهمابتكلموشعربي؟');
    expect(decodePunycode('ls8h')).toBe('💩');
  });

  it('refuses encodings that do not decode', () => {
    for (const bad of ['-', '9', 'zzzzzzzzzzzzzzzzzzzzzzzzzzz', 'bcher-kv', 'ü-kva', 'BCHER-KVA'])
      expect(decodePunycode(bad), bad).toBeUndefined();
  });

  it('accepts an A-label only when its U-label is valid and encodes back to it', () => {
    // xn--a decodes to U+0080, a control; xn--zz-zzzzzzz to symbols (U+2A1C…), which IDNA2008 disallows.
    expect(decodePunycode('a')).toBe('\u0080');
    expect(refusal('xn--a.example.com')).toMatch(/not a valid IDN A-label/);
    expect(refusal('xn--zz-zzzzzzz.example.com')).toMatch(/not a valid IDN A-label/);
    // Plain ASCII encodes with a trailing "-", which no label has; an emoji is not a letter.
    expect(refusal('xn--abc-.example')).toMatch(/starts or ends/);
    expect(refusal('xn--ls8h.example')).toMatch(/not a valid IDN A-label/);
    // Upper case in the input is folded like any other ASCII letter.
    expect(canonicalHostname('XN--BCHER-KVA.Example')).toEqual({ ok: true, hostname: 'xn--bcher-kva.example' });
  });
});

describe('canonicalHostname', () => {
  it('lower-cases and changes nothing else', () => {
    expect(canonicalHostname('A.Example.COM')).toEqual({ ok: true, hostname: 'a.example.com' });
    expect(canonicalHostname('api.example.com')).toEqual({ ok: true, hostname: 'api.example.com' });
  });

  it.each([
    ['api.example.com/x', /"\/"/],
    ['api%2eexample.com', /"%"/],
    ['api.example.com.', /ends with a dot/],
    [' api.example.com', /whitespace/],
    ['api.example.com\n', /whitespace/],
    ['a.exa\tmple.com', /whitespace/],
    ['bücher.example', /non-ASCII/],
    ['\u212Aelvin.example', /non-ASCII/],
    ['ＡＰＩ.example.com', /non-ASCII/],
    ['a\u3002example.com', /non-ASCII/],
    ['api.example.com:443', /":"/],
    ['user@api.example.com', /"@"/],
    ['*.example.com', /"\*"/],
    ['a*.example.com', /"\*"/],
    ['_acme.example.com', /"_"/],
    ['example', /single label/],
    ['a..example.com', /empty label/],
    ['-a.example.com', /starts or ends/],
    [`${'a'.repeat(64)}.example.com`, /longer than 63/],
    [`${'a.'.repeat(127)}com`, /longer than 253/],
    ['192.168.0.1', /numeric/],
    ['[::1]', /"\["/],
    ['ab--cd.example.com', /reserved/],
    ['', /empty/],
  ])('refuses %j', (input, reason) => {
    expect(refusal(input)).toMatch(reason);
  });

  it('takes a single label only when asked to (an origin host a resolver completes)', () => {
    expect(canonicalHostname('Origin', { singleLabel: true })).toEqual({ ok: true, hostname: 'origin' });
    expect(canonicalHostname('origin').ok).toBe(false);
    expect(canonicalHostname('123', { singleLabel: true }).ok).toBe(false);
    expect(canonicalHostname('_origin', { singleLabel: true }).ok).toBe(false);
  });

  it('takes a one-label wildcard only as a pattern', () => {
    expect(canonicalHostnamePattern('*.Example.com')).toEqual({ ok: true, hostname: '*.example.com' });
    expect(canonicalHostnamePattern('api.example.com')).toEqual({ ok: true, hostname: 'api.example.com' });
    for (const bad of ['*', '*.', '*.com', '*.*.example.com', 'a.*.example.com', '**.example.com', `*.${'a.'.repeat(125)}com`]) {
      expect(canonicalHostnamePattern(bad).ok, bad).toBe(false);
    }
  });
});

describe('patterns and zones', () => {
  it('knows one-label wildcards', () => {
    expect(isHostnamePattern('*.example.com')).toBe(true);
    expect(isHostnamePattern('*.*.example.com')).toBe(false);
    expect(isHostnamePattern('a.*.example.com')).toBe(false);
    expect(isHostnamePattern('*._acme.example.com')).toBe(false);
    expect(wildcardParent('*.example.com')).toBe('example.com');
    expect(wildcardParent('example.com')).toBeUndefined();
    expect(parentOf('a.b.example')).toBe('b.example');
    expect(parentOf('localhost')).toBeUndefined();
  });

  it('matches a zone and the names under it, not names that merely end alike', () => {
    expect(isWithinZone('example.com', 'example.com')).toBe(true);
    expect(isWithinZone('a.b.example.com', 'example.com')).toBe(true);
    expect(isWithinZone('*.example.com', 'example.com')).toBe(true);
    expect(isWithinZone('*.a.example.com', 'example.com')).toBe(true);
    expect(isWithinZone('badexample.com', 'example.com')).toBe(false);
    expect(isWithinZone('example.com.evil.net', 'example.com')).toBe(false);
    expect(isWithinZone('com', 'example.com')).toBe(false);
    // *.example.com also matches b.example.com, outside a.example.com.
    expect(isWithinZone('*.example.com', 'a.example.com')).toBe(false);
    // Not canonical, so never within anything.
    expect(isWithinZone('API.example.com', 'example.com')).toBe(false);
    expect(isWithinZone('_x.example.com', 'example.com')).toBe(false);
    expect(isWithinZone('a.example.com', 'Example.com')).toBe(false);
  });
});

describe('normaliseHost (client-sent names)', () => {
  it('takes a port and a trailing dot off, lower-cases, and refuses anything else', () => {
    expect(normaliseHost('API.Example.com:8443')).toBe('api.example.com');
    expect(normaliseHost('api.example.com.')).toBe('api.example.com');
    expect(normaliseHost(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}.:65535`)).toBeDefined();
    for (const bad of [
      '[::1]:443',
      'a.example:port',
      'a/b',
      '_acme.example.com',
      ' a.example.com',
      'a.example.com ',
      '\u212A.example',
      '1.2.3.4',
    ]) {
      expect(normaliseHost(bad), bad).toBeUndefined();
    }
  });
});

/** Strings built from the characters that matter to the rule, and a few that must never pass. */
const hostnameish = fc.string({
  unit: fc.constantFrom(
    ...'abcxyzAZ019-.',
    '-',
    '.',
    '.',
    'xn--',
    '*',
    '_',
    '/',
    '%',
    ' ',
    '\t',
    '\n',
    ':',
    '@',
    'ü',
    '\u212A',
    '\u3002',
    '\uFF0E',
  ),
  maxLength: 40,
});
const label = fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,8}[a-z0-9])?$/).filter((l) => l.slice(2, 4) !== '--');
const hostname = fc.array(label, { minLength: 2, maxLength: 5 }).map((labels) => labels.join('.'));

describe('hostname properties', () => {
  it('canonical form is idempotent and is a hostname', () => {
    fc.assert(
      fc.property(fc.oneof(hostnameish, fc.string(), hostname), (input) => {
        const once = canonicalHostname(input);
        if (!once.ok) return;
        expect(isHostname(once.hostname)).toBe(true);
        expect(canonicalHostname(once.hostname)).toEqual(once);
        expect(once.hostname).toBe(input.toLowerCase());
      }),
      { numRuns: 2000 },
    );
  });

  it('nothing with "/", "%", "_", "*", whitespace, controls or non-ASCII is a hostname or a canonical form', () => {
    fc.assert(
      fc.property(
        hostnameish,
        fc.constantFrom('/', '%', '_', '*', ' ', '\t', '\n', '\u0000', '\u007f', 'ü', '\u212A', '\uD800'),
        (text, bad) => {
          const input = `${text}${bad}${text}`;
          expect(isHostname(input)).toBe(false);
          expect(canonicalHostname(input).ok).toBe(false);
          expect(canonicalHostname(`${input}.example.com`).ok).toBe(false);
          expect(normaliseHost(input)).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('every generated LDH name is a hostname, and within a zone exactly when it ends in .zone', () => {
    fc.assert(
      fc.property(hostname, hostname, fc.boolean(), (name, zone, wildcard) => {
        expect(isHostname(name)).toBe(true);
        const pattern = wildcard ? `*.${name}` : name;
        expect(isWithinZone(pattern, zone)).toBe(name === zone || name.endsWith(`.${zone}`));
        expect(isWithinZone(`${name}.${zone}`, zone)).toBe(true);
        expect(isWithinZone(`*.${name}.${zone}`, zone)).toBe(true);
        expect(isWithinZone(zone, `${name}.${zone}`)).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('the edge and the control plane agree: a client name normalises to X exactly when X is canonical', () => {
    fc.assert(
      fc.property(fc.oneof(hostnameish, hostname), (input) => {
        const canonical = canonicalHostname(input);
        const client = normaliseHost(input);
        if (canonical.ok) expect(client).toBe(canonical.hostname);
        if (client !== undefined) expect(isHostname(client)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
