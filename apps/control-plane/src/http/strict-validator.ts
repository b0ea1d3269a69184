import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { decimalInteger } from './decimal-integer.ts';
import { schemaError, type SchemaFailure } from './schema-errors.ts';

/**
 * The route schemas' validator compiler. Bodies are checked as sent (ajv's coercion turned
 * `"validityDays": true` into 1 and `"confirm": 1` into a confirmation). Query strings and
 * path parameters arrive as text, and only exact spellings are converted: an integer is
 * decimal digits (`15`, never `1.5`, `0x10`, `1e1`, ` 15` or `true`, which TypeBox's own
 * conversion accepted), a boolean is `true` or `false`. Anything else stays text and fails
 * the schema, so the caller gets the field's error instead of a different number. A failure
 * is answered with the field's catalogue code (`schemaError`).
 */
export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  return (value: unknown) => {
    const converted = httpPart === 'body' ? value : convertText(schema, value);
    if (validator.Check(converted)) return { value: converted };
    const failures = validator.Errors(converted) as unknown as SchemaFailure[];
    return { error: schemaError(httpPart ?? 'request', schema, failures) };
  };
};

function convertText(schema: TSchema, value: unknown): unknown {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties;
  if (!properties || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const converted: Record<string, unknown> = Object.create(null);
  for (const [name, text] of Object.entries(value)) {
    const property = Object.hasOwn(properties, name) ? properties[name] : undefined;
    converted[name] = property ? convertScalar(property, text) : text;
  }
  return converted;
}

function convertScalar(schema: TSchema, text: unknown): unknown {
  if (typeof text !== 'string') return text;
  const type = (schema as { type?: unknown }).type;
  if (type === 'integer' || type === 'number') return decimalInteger(text) ?? text;
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}
