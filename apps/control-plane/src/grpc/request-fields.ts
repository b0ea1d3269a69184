import type { adminV1 } from '@portcullis/proto';
import { ApiError } from '../domain/api-error.ts';
import { pageRequest, type PageRequest } from '../domain/paging.ts';

/**
 * Readers for request fields, with the bounds the HTTP API's JSON schemas put on the same
 * fields. Proto3 has no "absent" for scalars: the empty string and zero mean "not given".
 * Errors are `InvalidParameter` (or the field's own code) naming the proto field.
 */

/** Entity ids are at most this long (the HTTP API's path parameter bound). */
const maxIdLength = 64;

/** A required id such as `site_id`. */
export function requiredId(value: string, field: string): string {
  if (value === '') throw new ApiError('InvalidParameter', { message: `${field} is required.`, details: { field } });
  return checkLength(value, field, maxIdLength);
}

/** An id that may be left empty (e.g. the CA of a binding: empty is the account CA). */
export function optionalId(value: string, field: string): string | undefined {
  return value === '' ? undefined : checkLength(value, field, maxIdLength);
}

/** Text that must be given, at most `max` characters. */
export function requiredText(value: string, field: string, max: number): string {
  if (value === '') throw new ApiError('InvalidParameter', { message: `${field} is required.`, details: { field } });
  return checkLength(value, field, max);
}

/** Text that may be left empty, at most `max` characters. */
export function optionalText(value: string, field: string, max: number): string | undefined {
  return value === '' ? undefined : checkLength(value, field, max);
}

/** A list whose every item is at most `max` characters (emptiness is the caller's rule). */
export function textList(values: readonly string[], field: string, max: number): readonly string[] {
  values.forEach((value, i) => checkLength(value, `${field}[${i}]`, max));
  return values;
}

/** A name of an account or API key: 1–128 characters, no control characters. */
export function entityName(value: string): string {
  if (value.length < 1 || value.length > 128 || /[\u0000-\u001f]/.test(value)) throw new ApiError('InvalidParameter.Name');
  return value;
}

/** Paging: an absent message or zero fields take the defaults (page 1, 20 items). */
export function paging(page: adminV1.PageRequest | undefined): PageRequest {
  return pageRequest(page?.pageNumber || undefined, page?.pageSize || undefined);
}

function checkLength(value: string, field: string, max: number): string {
  if (value.length > max) {
    throw new ApiError('InvalidParameter', { message: `${field} must be at most ${max} characters.`, details: { field, max } });
  }
  return value;
}
