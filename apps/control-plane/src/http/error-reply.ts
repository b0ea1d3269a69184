import type { FastifyError } from 'fastify';
import { ApiError, type LibraryError } from '../domain/api-error.ts';
import { KeyManagerError } from '../crypto/key-manager.ts';
import { StoreUnavailableError } from '../store/store-unavailable-error.ts';

/** The JSON body of every error answer. */
export interface ErrorBody {
  code: string;
  message: string;
  requestId: string;
  details?: Record<string, unknown>;
}

const libraryErrorNames = new Set(['PkiError', 'WafError']);

/**
 * Turns anything thrown while handling a request into the `ApiError` the caller sees.
 * Known failures keep their codes (schema violations arrive as `ApiError`s from the
 * validator compiler, `schemaError`); framework errors about the request itself (bad JSON,
 * oversize bodies) become 4xx; anything else is `Internal` (500), whose
 * cause stays in the logs only.
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof Error && libraryErrorNames.has(error.name) && 'code' in error && 'status' in error) {
    return new ApiError(error as LibraryError);
  }
  if (error instanceof KeyManagerError) return new ApiError('Internal', { cause: error });
  if (error instanceof StoreUnavailableError) return new ApiError('Store.Unavailable', { cause: error });
  const fastifyError = error as Partial<FastifyError> | undefined;
  switch (fastifyError?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('Payload.TooLarge');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('Payload.UnsupportedMediaType');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('InvalidParameter', { message: 'The request body is not valid JSON.' });
  }
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    // fastify's own messages can quote the request (a media type, a header): never sent on.
    return new ApiError('InvalidParameter', { cause: error });
  }
  return new ApiError('Internal', { cause: error });
}
