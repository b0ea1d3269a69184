import type { adminV1 } from '@portcullis/proto';
import { ApiError, type ApiErrorCode } from '../domain/api-error.ts';
import { pageRequest, type PageRequest } from '../domain/paging.ts';
import { fieldErrorCode } from '../http/field-error-codes.ts';

/**
 * Readers for request fields, with the bounds the HTTP API's JSON schemas put on the same
 * fields. Proto3 has no "absent" for scalars: the empty string and zero mean "not given".
 * Errors are `InvalidParameter` (or the field's own code) naming the proto field.
 */

/** Entity ids are at most this long (the HTTP API's path parameter bound). */
const maxIdLength = 64;

/** A required id such as `site_id`. */
export function requiredId(value: string, field: string): string {
  if (value === '') throw required(field);
  return checkLength(value, field, maxIdLength);
}

/** An id that may be left empty (e.g. the CA of a binding: empty is the account CA). */
export function optionalId(value: string, field: string): string | undefined {
  return value === '' ? undefined : checkLength(value, field, maxIdLength);
}

/** Text that must be given, at most `max` characters. */
export function requiredText(value: string, field: string, max: number, code?: ApiErrorCode): string {
  if (value === '') throw required(field, code);
  return checkLength(value, field, max, code);
}

/** Text that may be left empty, at most `max` characters. */
export function optionalText(value: string, field: string, max: number, code?: ApiErrorCode): string | undefined {
  return value === '' ? undefined : checkLength(value, field, max, code);
}

/** A list whose every item is at most `max` characters (emptiness is the caller's rule). */
export function textList(values: readonly string[], field: string, max: number, code?: ApiErrorCode): readonly string[] {
  values.forEach((value, i) => checkLength(value, `${field}[${i}]`, max, code));
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

function checkLength(value: string, field: string, max: number, code?: ApiErrorCode): string {
  if (value.length > max) {
    throw new ApiError(codeFor(field, code), { message: `${field} must be at most ${max} characters.`, details: { field, max } });
  }
  return value;
}

function required(field: string, code?: ApiErrorCode): ApiError {
  return new ApiError(codeFor(field, code), { message: `${field} is required.`, details: { field } });
}

/** `hostnames[3]` is the field `hostnames`; `action.body` is `body` inside `action`. */
function codeFor(field: string, code: ApiErrorCode | undefined): ApiErrorCode {
  return code ?? fieldErrorCode(field.replace(/\[\d+\]/g, '').split('.')) ?? 'InvalidParameter';
}
