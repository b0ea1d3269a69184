import fc from 'fast-check';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../domain/api-error.ts';
import { schemaError, type SchemaFailure } from './schema-errors.ts';

/** A body with every kind of node the routes use: nested objects, records, lists, unions, literals. */
const schema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 8, errorCode: 'InvalidParameter.SiteName' }),
    validityDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
    pkeyType: Type.Optional(Type.Union([Type.Literal('RSA'), Type.Literal('ECC')])),
    hostnames: Type.Optional(Type.Array(Type.String({ maxLength: 5 }), { maxItems: 3 })),
    request: Type.Optional(
      Type.Object(
        {
          headers: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String({ maxLength: 4 }), Type.Array(Type.String())]))),
          plan: Type.Optional(Type.Object({ customCaQuota: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const validator = Compile(schema);

describe('schemaError (property)', () => {
  it('turns the failures of any value into a 400 catalogue error that repeats no key or string sent', () => {
    const marker = fc.constantFrom('MARK<1>', 'MARK__proto__', 'MARKconstructor');
    const value = fc.oneof(
      fc.anything({ maxDepth: 3, key: fc.oneof(marker, fc.constantFrom('name', 'request', 'headers', 'plan', 'hostnames')) }),
      fc.record({ request: fc.record({ headers: fc.dictionary(marker, fc.anything({ maxDepth: 2 })) }) }),
    );
    fc.assert(
      fc.property(value, (sent) => {
        if (validator.Check(sent)) return;
        const failures = validator.Errors(sent) as unknown as SchemaFailure[];
        const error = schemaError('body', schema, failures);
        expect(error).toBeInstanceOf(ApiError);
        expect(error.status).toBe(400);
        expect(error.code).toMatch(/^InvalidParameter(\.\w+)?$/);
        expect(`${error.message} ${JSON.stringify(error.details)}`).not.toContain('MARK');
      }),
      { numRuns: 1500, seed: 0x5c4e },
    );
  });

  it('gives a field its catalogue code and a message in words', () => {
    const code = (value: unknown) => schemaError('body', schema, validator.Errors(value) as unknown as SchemaFailure[]);
    expect(code({ name: 'ok', pkeyType: 'DSA' }).code).toBe('InvalidParameter.PkeyType');
    expect(code({ name: 'ok', validityDays: 1.5 }).code).toBe('InvalidParameter.ValidityDays');
    expect(code({}).code).toBe('InvalidParameter.SiteName');
    expect(code({ name: 'ok', hostnames: ['a', 'b', 'c', 'd'] }).code).toBe('InvalidParameter.TooManyHostnames');
    expect(code({ name: 'ok', hostnames: ['toolong'] }).code).toBe('InvalidParameter.Hostname');
    expect(code({ name: 'ok', request: { plan: { customCaQuota: -1 } } }).code).toBe('InvalidParameter.Plan');
    expect(code([]).message).toBe('The request body must be a JSON object.');
    expect(code({ name: 'ok', pkeyType: 'DSA' }).message).not.toMatch(/constant|anyOf|schema/);
  });
});
