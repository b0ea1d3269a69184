import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import type { ApiError } from '../domain/api-error.ts';
import { toApiError } from '../http/error-reply.ts';

/** Trailing metadata key carrying the catalogue code (`InvalidParameter.Hostname`, …). */
export const errorCodeKey = 'portcullis-error-code';
/** Response metadata key carrying the request id, as the HTTP API's `x-request-id` header. */
export const requestIdKey = 'x-request-id';

/** Where failures inside the control plane are reported (a pino logger fits). */
export interface ErrorLog {
  error(details: object, message: string): void;
}

/**
 * The gRPC status code for an API error, from its HTTP status. 409 is split by meaning:
 * a duplicate (`Conflict.*Exists`) is ALREADY_EXISTS, a lost race is ABORTED (retry the
 * whole read-modify-write), anything else — a used-up quota included, which needs the
 * caller to delete something rather than wait — is FAILED_PRECONDITION, like 422.
 */
export function grpcCodeOf(error: Pick<ApiError, 'code' | 'status'>): status {
  switch (error.status) {
    case 400:
    case 415:
    case 417:
      return status.INVALID_ARGUMENT;
    case 401:
      return status.UNAUTHENTICATED;
    case 403:
      return status.PERMISSION_DENIED;
    case 404:
      return status.NOT_FOUND;
    case 409:
      if (error.code === 'Conflict.ConcurrentChange') return status.ABORTED;
      return /^Conflict\.\w+Exists$/.test(error.code) ? status.ALREADY_EXISTS : status.FAILED_PRECONDITION;
    case 422:
      return status.FAILED_PRECONDITION;
    case 408:
      return status.DEADLINE_EXCEEDED;
    case 413:
    case 414:
    case 429:
    case 431:
      return status.RESOURCE_EXHAUSTED;
    case 503:
      return status.UNAVAILABLE;
    default:
      return status.INTERNAL;
  }
}

/**
 * The status a call ends with for `error`: its gRPC code, its message (safe to show: the
 * catalogue's or the library's, never a cause or stack), and trailing metadata with the
 * stable code and the request id.
 */
export function grpcStatusOf(error: ApiError, requestId: string): StatusObject {
  const metadata = new Metadata();
  metadata.set(errorCodeKey, error.code);
  metadata.set(requestIdKey, requestId);
  return { code: grpcCodeOf(error), details: error.message, metadata };
}

/**
 * The status a call ends with when anything is thrown: known failures keep their codes,
 * library errors (PkiError, WafError) pass through as in the HTTP API, anything else is
 * `Internal`, whose cause goes to `log` only.
 */
export function failureStatus(error: unknown, requestId: string, log: ErrorLog): StatusObject {
  const apiError = toApiError(error);
  // An outage of the store is reported once by the health monitor, not once per refused call.
  if (apiError.status >= 500 && apiError.code !== 'Store.Unavailable')
    log.error({ err: apiError.cause ?? error, requestId }, 'gRPC admin call failed');
  return grpcStatusOf(apiError, requestId);
}
