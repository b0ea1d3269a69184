import { describe, expect, it } from 'vitest';
import type { ApiError } from '../domain/api-error.ts';
import { entityName, optionalId, optionalText, paging, requiredId, requiredText, textList } from './request-fields.ts';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as ApiError).code;
  }
  return 'ok';
}

describe('request fields', () => {
  it('reads paging with zero or absence as the defaults and the HTTP bounds', () => {
    expect(paging(undefined)).toEqual({ pageNumber: 1, pageSize: 20 });
    expect(paging({ pageNumber: 0, pageSize: 0 })).toEqual({ pageNumber: 1, pageSize: 20 });
    expect(paging({ pageNumber: 500, pageSize: 100 })).toEqual({ pageNumber: 500, pageSize: 100 });
    expect(codeOf(() => paging({ pageNumber: 501, pageSize: 0 }))).toBe('InvalidParameter.Paging');
    expect(codeOf(() => paging({ pageNumber: 0, pageSize: 101 }))).toBe('InvalidParameter.Paging');
  });

  it('requires ids and bounds their length; an optional id may be empty', () => {
    expect(requiredId('site_1', 'site_id')).toBe('site_1');
    expect(codeOf(() => requiredId('', 'site_id'))).toBe('InvalidParameter');
    expect(codeOf(() => requiredId('x'.repeat(65), 'site_id'))).toBe('InvalidParameter');
    expect(optionalId('', 'id')).toBeUndefined();
    expect(codeOf(() => optionalId('x'.repeat(65), 'id'))).toBe('InvalidParameter');
  });

  it('names the proto field in its messages', () => {
    expect(() => requiredText('', 'origin_url', 10)).toThrow('origin_url is required.');
    expect(() => optionalText('x'.repeat(11), 'common_name', 10)).toThrow('common_name must be at most 10 characters.');
    expect(() => textList(['a', 'x'.repeat(11)], 'hostnames', 10)).toThrow('hostnames[1] must be at most 10 characters.');
    expect(optionalText('', 'csr', 10)).toBeUndefined();
  });

  it('checks names as the HTTP schema does: 1–128 characters, no control characters', () => {
    expect(entityName('Example Ltd')).toBe('Example Ltd');
    for (const bad of ['', 'x'.repeat(129), 'a\nb', '\u0000']) expect(codeOf(() => entityName(bad))).toBe('InvalidParameter.Name');
  });
});
