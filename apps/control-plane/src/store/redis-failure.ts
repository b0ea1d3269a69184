import { StoreUnavailableError } from './store-unavailable-error.ts';

/**
 * Redis replies that mean "not now" rather than "wrong": the server is loading its data,
 * busy in a script, a read-only replica after a failover, out of memory, or without a
 * primary.
 */
const unavailableReplies = /^(LOADING|BUSY|READONLY|OOM|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * What a failed Redis call becomes for the store's caller. Errors the client raises itself
 * (connection closed or refused, command timed out, retries per request used up, stream
 * not writable) and "not now" replies become `StoreUnavailableError`; any other reply
 * error (a bug: a wrong type, a script error) is returned unchanged and surfaces as a 500.
 */
export function redisFailure(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === 'ReplyError' && !unavailableReplies.test(error.message)) return error;
  return new StoreUnavailableError(`Redis did not answer: ${error.message}`, { cause: error });
}

/** `call`, with its failure translated by `redisFailure`. */
export async function redisCall<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw redisFailure(error);
  }
}
