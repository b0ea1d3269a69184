import { status } from '@grpc/grpc-js';
import { PkiError } from '@portcullis/pki';
import { describe, expect, it, vi } from 'vitest';
import { ApiError, apiErrors, type ApiErrorCode } from '../domain/api-error.ts';
import { StoreUnavailableError } from '../store/store-unavailable-error.ts';
import { errorCodeKey, failureStatus, grpcCodeOf, grpcStatusOf, requestIdKey } from './grpc-status.ts';

describe('grpcCodeOf', () => {
  it.each([
    ['InvalidParameter', status.INVALID_ARGUMENT],
    ['InvalidParameter.Hostname', status.INVALID_ARGUMENT],
    ['Payload.UnsupportedMediaType', status.INVALID_ARGUMENT],
    ['Auth.MissingKey', status.UNAUTHENTICATED],
    ['Auth.InvalidKey', status.UNAUTHENTICATED],
    ['Auth.AdminOnly', status.PERMISSION_DENIED],
    ['Auth.AccountOnly', status.PERMISSION_DENIED],
    ['NotFound.Site', status.NOT_FOUND],
    ['Conflict.SiteExists', status.ALREADY_EXISTS],
    ['Conflict.CaCertificateExists', status.ALREADY_EXISTS],
    ['Conflict.ConcurrentChange', status.ABORTED],
    ['Conflict.CrlNotNewer', status.FAILED_PRECONDITION],
    ['Conflict.Status', status.FAILED_PRECONDITION],
    ['QuotaExceeded.CaCertificate', status.FAILED_PRECONDITION],
    ['QuotaExceeded.WafRule', status.FAILED_PRECONDITION],
    ['Payload.TooLarge', status.RESOURCE_EXHAUSTED],
    ['Throttling', status.RESOURCE_EXHAUSTED],
    ['Internal', status.INTERNAL],
    ['Store.Unavailable', status.UNAVAILABLE],
  ] as const)('maps %s to %s', (code, expected) => {
    expect(grpcCodeOf(new ApiError(code))).toBe(expected);
  });

  it('maps library errors by their status: 400 and 413 and 422', () => {
    expect(grpcCodeOf(new ApiError(new PkiError('Csr.Malformed')))).toBe(status.INVALID_ARGUMENT);
    expect(grpcCodeOf(new ApiError(new PkiError('Crl.TooLarge')))).toBe(status.RESOURCE_EXHAUSTED);
    expect(grpcCodeOf(new ApiError(new PkiError('CaCertificate.NotCa')))).toBe(status.FAILED_PRECONDITION);
  });

  it('gives every catalogue code a failing status, and INTERNAL only to 5xx other than 503', () => {
    for (const code of Object.keys(apiErrors) as ApiErrorCode[]) {
      const mapped = grpcCodeOf(new ApiError(code));
      expect(mapped, code).not.toBe(status.OK);
      expect(mapped === status.INTERNAL, code).toBe(apiErrors[code][0] >= 500 && apiErrors[code][0] !== 503);
    }
  });
});

describe('failureStatus', () => {
  it('carries the code, the safe message and the request id', () => {
    const result = grpcStatusOf(new ApiError('NotFound.Site'), 'req_0123456789abcdef');
    expect(result.code).toBe(status.NOT_FOUND);
    expect(result.details).toBe(apiErrors['NotFound.Site'][1]);
    expect(result.metadata.get(errorCodeKey)).toEqual(['NotFound.Site']);
    expect(result.metadata.get(requestIdKey)).toEqual(['req_0123456789abcdef']);
  });

  it('passes PkiError codes and messages through', () => {
    const log = { error: vi.fn() };
    const result = failureStatus(new PkiError('CaCertificate.NotCa', { detail: 'CA:FALSE' }), 'req_1', log);
    expect(result.code).toBe(status.FAILED_PRECONDITION);
    expect(result.metadata.get(errorCodeKey)).toEqual(['CaCertificate.NotCa']);
    expect(result.details).toContain('basicConstraints CA:TRUE');
    expect(log.error).not.toHaveBeenCalled();
  });

  it('hides anything unknown behind Internal and logs the cause', () => {
    const log = { error: vi.fn() };
    const cause = new Error('connect ECONNREFUSED redis://:hunter2@10.0.0.5');
    const result = failureStatus(cause, 'req_2', log);
    expect(result.code).toBe(status.INTERNAL);
    expect(result.metadata.get(errorCodeKey)).toEqual(['Internal']);
    expect(result.details).toBe(apiErrors.Internal[1]);
    expect(result.details).not.toContain('hunter2');
    expect(log.error).toHaveBeenCalledWith({ err: cause, requestId: 'req_2' }, expect.any(String));
  });

  it('ends a call the store could not serve with UNAVAILABLE and Store.Unavailable', () => {
    const log = { error: vi.fn() };
    const result = failureStatus(new StoreUnavailableError('Redis did not answer: Command timed out'), 'req_3', log);
    expect(result.code).toBe(status.UNAVAILABLE);
    expect(result.metadata.get(errorCodeKey)).toEqual(['Store.Unavailable']);
    expect(result.details).toBe(apiErrors['Store.Unavailable'][1]);
  });
});
