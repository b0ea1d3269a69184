import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../domain/api-error.ts';
import { RpcParams } from './rpc-params.ts';

/** Names the API reads, and names that would be inherited from Object.prototype. */
const prototypeNames = ['constructor', '__proto__', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__'];
const parameterNames = ['SiteId', 'Id', 'PageNumber', 'PageSize', 'ValidityDays', 'Hostnames', 'Hostnames.1', 'Hostnames.2', 'Name'];
const names = fc.oneof(fc.constantFrom(...prototypeNames, ...parameterNames), fc.string({ maxLength: 12 }));

/** What a query string parser, a form parser or a JSON parser can hand over. */
const values = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('1.5', '0x10', '1e3', ' 7', 'true', '-0', '１０', '9'.repeat(16), '[', '["a"]', '[1]', '{}', 'null'),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 2 }),
);
const records = fc.oneof(fc.dictionary(names, values, { maxKeys: 8 }), fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));

/** Runs `read` and sorts its outcome: a value, or the catalogue's 400 naming the parameter. */
function outcomeOf<T>(read: () => T): { value: T } | { error: ApiError } {
  try {
    return { value: read() };
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    const apiError = error as ApiError;
    expect(apiError.status).toBe(400);
    expect(apiError.code).toMatch(/^InvalidParameter(\.\w+)?$/);
    return { error: apiError };
  }
}

describe('RpcParams (property)', () => {
  it('gives any query and body either a typed value or the catalogue error, never another exception', () => {
    fc.assert(
      fc.property(records, records, names, (query, body, name) => {
        const params = new RpcParams(query, body);
        const text = outcomeOf(() => params.string(name, 'optional'));
        if ('value' in text && text.value !== undefined) {
          expect(typeof text.value).toBe('string');
          expect(text.value.length).toBeLessThanOrEqual(1_000_000);
        }
        const integer = outcomeOf(() => params.integer(name));
        if ('value' in integer && integer.value !== undefined) expect(Number.isSafeInteger(integer.value)).toBe(true);
        const list = outcomeOf(() => params.stringList(name));
        if ('value' in list) expect(list.value.every((item) => typeof item === 'string')).toBe(true);
        outcomeOf(() => params.boolean(name));
      }),
      { numRuns: 2000, seed: 0x7e57 },
    );
  });

  it('never reads an inherited value: prototype names are absent unless the caller sent them', () => {
    fc.assert(
      fc.property(fc.constantFrom(...prototypeNames), (name) => {
        const params = new RpcParams({}, {});
        expect(params.string(name, 'optional')).toBeUndefined();
        expect(params.integer(name)).toBeUndefined();
        expect(() => params.stringList(name)).toThrow(ApiError);
        // Sent by the caller, the name is a parameter like any other.
        expect(new RpcParams({ [name]: 'sent' }, undefined).string(name)).toBe('sent');
      }),
      { numRuns: 50 },
    );
  });

  it('reads integers from decimal digits only, exactly, and refuses every other spelling', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 15) + 1, max: 10 ** 15 - 1 }), (n) => {
        expect(new RpcParams({ PageSize: String(n) }, undefined).integer('PageSize')).toBe(n);
        expect(new RpcParams(undefined, { PageSize: n }).integer('PageSize')).toBe(n);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ noInteger: true, noNaN: true }).map(String),
          fc.integer({ min: 0, max: 10 ** 6 }).map((n) => `0x${n.toString(16)}`),
          fc.integer({ min: 1, max: 99 }).map((n) => `${n}e1`),
          fc.integer({ min: 0, max: 99 }).map((n) => ` ${n}`),
          fc.constantFrom('true', 'false', '+5', '１０', '1٠', '10\u0000', 'Infinity', 'NaN', '9'.repeat(16)),
        ),
        (text) => {
          const outcome = outcomeOf(() => new RpcParams({ ValidityDays: text }, undefined).integer('ValidityDays'));
          expect('error' in outcome && outcome.error.code).toBe('InvalidParameter.ValidityDays');
          if ('error' in outcome) expect(outcome.error.message).not.toContain(text.trim() || '\u0000');
        },
      ),
      { numRuns: 500 },
    );
  });
});
