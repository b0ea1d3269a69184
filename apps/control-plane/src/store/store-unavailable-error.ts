/**
 * The store could not be reached or did not answer in time (a lost connection, a command
 * timeout, a server still loading its data). The operation may or may not have taken
 * effect; the caller should retry later. Every store implementation throws this, and only
 * this, for infrastructure failures of that kind, so the API can answer 503
 * `Store.Unavailable` instead of 500. The message is safe to log (no URLs, no passwords);
 * the driver's error is the `cause`.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
  }
}
