import { expect } from 'vitest';
import { PkiError } from '../pki-error.ts';
import type { PkiErrorCode } from '../pki-error.ts';

/**
 * Asserts that `run` fails with a PkiError of `code` (never another error type) and returns
 * it; works for synchronous functions and for promises. `label` names the case in failures.
 */
export async function expectPkiError(run: (() => unknown) | Promise<unknown>, code: PkiErrorCode, label = ''): Promise<PkiError> {
  let outcome: unknown;
  try {
    await (typeof run === 'function' ? run() : run);
    outcome = 'no error';
  } catch (error) {
    outcome = error;
  }
  expect(outcome, `${label} expected PkiError ${code}`).toBeInstanceOf(PkiError);
  expect((outcome as PkiError).code, label).toBe(code);
  return outcome as PkiError;
}
