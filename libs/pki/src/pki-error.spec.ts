import { describe, expect, it } from 'vitest';
import { PkiError, pkiErrorCatalogue } from './pki-error.ts';

describe('PkiError', () => {
  it('carries code, status and a user message, and keeps the cause out of JSON', () => {
    const cause = new Error('openssl internals');
    const error = new PkiError('Key.TooWeak', { detail: 'RSA key of 1024 bits', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('PkiError');
    expect(error.status).toBe(422);
    expect(error.message).toBe('The key is too weak: RSA key of 1024 bits');
    expect(error.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'Key.TooWeak', message: error.message });
  });

  it('has a closed catalogue of dotted codes with 400, 413 or 422 statuses', () => {
    for (const [code, entry] of Object.entries(pkiErrorCatalogue)) {
      expect(code).toMatch(/^[A-Z][A-Za-z0-9]+\.[A-Z][A-Za-z]+$/);
      expect([400, 413, 422]).toContain(entry.status);
      expect(entry.message.length).toBeGreaterThan(10);
    }
    expect(Object.values(pkiErrorCatalogue).filter((e) => e.status === 413).length).toBeGreaterThan(0);
  });
});
