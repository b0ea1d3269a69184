import type { TSchema } from 'typebox';
import { ApiError, apiErrors, type ApiErrorCode } from '../domain/api-error.ts';
import { fieldErrorCode } from './field-error-codes.ts';

/** One failure as TypeBox reports it (the subset this module reads). */
export interface SchemaFailure {
  readonly keyword: string;
  readonly schemaPath: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
}

/**
 * A schema annotation naming the code for mistakes in one field where the field's name
 * alone is ambiguous (a site's `name` is a zone, `InvalidParameter.SiteName`; an account's
 * is `InvalidParameter.Name`): `Type.String({ errorCode: 'InvalidParameter.SiteName' })`.
 */
export interface ErrorCodeAnnotation {
  readonly errorCode?: ApiErrorCode;
}

/**
 * The `ApiError` for a request part (`body`, `querystring`, `params`) that failed its
 * schema, from the first failure: the field's own catalogue code where it has one (the
 * same code RPC and gRPC give for the same mistake), else `InvalidParameter`, with a
 * message that names the field by its documented name and what it must be. Nothing the
 * caller sent is repeated: an unknown field is reported without its name.
 */
export function schemaError(part: string, schema: TSchema, failures: readonly SchemaFailure[]): ApiError {
  const failure = failures[0];
  if (!failure) return new ApiError('InvalidParameter', { details: { location: part } });
  const path = failure.instancePath.split('/').slice(1).map(unescapePointer);
  if (failure.keyword === 'boolean' && failure.schemaPath.endsWith('/additionalProperties')) {
    const where = [part, ...documentedFields(schema, path.slice(0, -1))].join('.');
    return new ApiError('InvalidParameter', { message: `${where} has a field this operation does not take.`, details: { location: part } });
  }
  const required = (failure.params['requiredProperties'] as string[] | undefined)?.[0];
  if (required !== undefined) path.push(required);
  if (path.length === 0 && failure.keyword === 'type') {
    return new ApiError('InvalidParameter', { message: `The ${partName(part)} must be a JSON object.`, details: { location: part } });
  }
  const fields = documentedFields(schema, path);
  const field = fields.join('.');
  const details = { location: part, field };
  const code = annotatedCode(schema, failure.schemaPath, required) ?? fieldErrorCode(fields);
  if (code === 'InvalidParameter.Hostname' && failure.keyword === 'maxItems') {
    return new ApiError('InvalidParameter.TooManyHostnames', { details });
  }
  const problem = problemOf(failure);
  if (code) return new ApiError(code, { message: `${part}.${field} ${problem}: ${apiErrors[code][1]}`, details });
  return new ApiError('InvalidParameter', { message: `${[part, ...fields].join('.')} ${problem}.`, details });
}

function partName(part: string): string {
  return part === 'body' ? 'request body' : part === 'querystring' ? 'query string' : 'path';
}

/**
 * The documented field names along `path`, walking the schema: positions are dropped
 * (`hostnames/3` is the field `hostnames`) and a key the caller chose (a header name in a
 * record) becomes `*`, so no part of the message comes from the request.
 */
function documentedFields(root: TSchema, path: readonly string[]): string[] {
  const fields: string[] = [];
  let node: unknown = root;
  for (const segment of path) {
    const current = (typeof node === 'object' && node !== null ? node : {}) as {
      properties?: Record<string, unknown>;
      items?: unknown;
      additionalProperties?: unknown;
      patternProperties?: Record<string, unknown>;
      anyOf?: unknown[];
    };
    if (/^\d+$/.test(segment)) {
      node = current.items;
      continue;
    }
    // A body of several accepted shapes (a union): the shape that has the field.
    const shapes = [current, ...((current.anyOf ?? []) as (typeof current)[])];
    const shape = shapes.find((s) => s.properties && Object.hasOwn(s.properties, segment));
    if (shape?.properties) {
      fields.push(segment);
      node = shape.properties[segment];
      continue;
    }
    fields.push('*');
    node =
      typeof current.additionalProperties === 'object' ? current.additionalProperties : Object.values(current.patternProperties ?? {})[0];
  }
  return fields;
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

/** The `errorCode` on the schema that failed, or on an enclosing one (a union's member fails inside it). */
function annotatedCode(root: TSchema, schemaPath: string, required: string | undefined): ApiErrorCode | undefined {
  const segments = schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean).map(unescapePointer);
  if (required !== undefined) segments.push('properties', required);
  const nodes: unknown[] = [root];
  for (const segment of segments) {
    const parent = nodes.at(-1);
    if (parent === null || typeof parent !== 'object' || !Object.hasOwn(parent, segment)) break;
    nodes.push((parent as Record<string, unknown>)[segment]);
  }
  for (let i = nodes.length - 1; i > 0; i--) {
    const node = nodes[i] as ErrorCodeAnnotation | null;
    if (node && typeof node === 'object' && typeof node.errorCode === 'string') return node.errorCode;
  }
  return undefined;
}

const typeNames: Readonly<Record<string, string>> = {
  integer: 'a whole number (decimal digits)',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

/** What is wrong, in words (TypeBox's own messages say "must be equal to constant"). */
function problemOf(failure: SchemaFailure): string {
  const limit = failure.params['limit'];
  switch (failure.keyword) {
    case 'required':
      return 'is required';
    case 'type': {
      const type = failure.params['type'];
      return `must be ${typeof type === 'string' && Object.hasOwn(typeNames, type) ? typeNames[type] : 'of another type'}`;
    }
    case 'minLength':
      return `must have at least ${String(limit)} characters`;
    case 'maxLength':
      return `must have at most ${String(limit)} characters`;
    case 'minimum':
    case 'exclusiveMinimum':
      return `is too small (the least allowed is ${String(limit)})`;
    case 'maximum':
    case 'exclusiveMaximum':
      return `is too large (the most allowed is ${String(limit)})`;
    case 'minItems':
      return `must have at least ${String(limit)} items`;
    case 'maxItems':
      return `must have at most ${String(limit)} items`;
    case 'minProperties':
      return 'must name at least one field';
    case 'pattern':
      return 'contains characters that are not allowed';
    case 'const':
    case 'anyOf':
    case 'enum':
      return 'is not one of the allowed values';
    case 'format':
      return `is not a valid ${String(failure.params['format'] ?? 'value')}`;
    default:
      return 'is not valid';
  }
}
