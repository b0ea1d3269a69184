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
 * Known failures keep their codes; framework errors about the request itself (bad JSON,
 * schema violations, oversize bodies) become 4xx; anything else is `Internal` (500), whose
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
  if (fastifyError?.validation) {
    const first = fastifyError.validation[0];
    // TypeBox names a missing field in `requiredProperties`, an unknown one by its path with a
    // `false` schema (`additionalProperties: false`).
    const params = first?.params as { requiredProperties?: string[] } | undefined;
    const unknownField = first?.keyword === 'boolean' && first.schemaPath.endsWith('/additionalProperties');
    const field = (first?.instancePath || params?.requiredProperties?.[0] || '').replace(/^\//, '');
    const problem = unknownField ? 'is not a known field' : params?.requiredProperties ? 'is required' : (first?.message ?? 'is invalid');
    return new ApiError('InvalidParameter', {
      message: `${fastifyError.validationContext ?? 'request'}${field ? `.${field.replaceAll('/', '.')}` : ''} ${problem}`,
      details: { location: fastifyError.validationContext, field },
    });
  }
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
    return new ApiError('InvalidParameter', { message: fastifyError.message ?? 'Bad request.' });
  }
  return new ApiError('Internal', { cause: error });
}
