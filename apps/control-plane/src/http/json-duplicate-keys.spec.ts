import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasDuplicateKey } from './json-duplicate-keys.ts';

describe('hasDuplicateKey', () => {
  it('finds a key named twice in one object, at any depth, as decoded', () => {
    expect(hasDuplicateKey('{"confirm":false,"confirm":true}')).toBe(true);
    expect(hasDuplicateKey('{"a":"\\u0061","\\u0061":1}')).toBe(true);
    expect(hasDuplicateKey('[{"x":[1,{"b":1,"b":2}]}]')).toBe(true);
    expect(hasDuplicateKey('{"a":{"a":1},"b":[{"a":1},{"a":2}]}')).toBe(false);
    expect(hasDuplicateKey('{"k\\"":1,"k":2}')).toBe(false);
    expect(hasDuplicateKey('{"v":"{\\"a\\":1,\\"a\\":2}"}')).toBe(false);
    expect(hasDuplicateKey(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBe(false);
  });

  it('agrees with JSON.parse on every JSON text made from an object', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expect(hasDuplicateKey(JSON.stringify(value))).toBe(false);
      }),
      { numRuns: 1000, seed: 0xd0b1 },
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 5 }), (object) => {
        const [key] = Object.keys(object);
        const text = JSON.stringify(object).replace(/}$/, `,${JSON.stringify(key)}:0}`);
        expect(hasDuplicateKey(text)).toBe(true);
      }),
      { numRuns: 500, seed: 0xd0b2 },
    );
  });
});
