import type { handleUnaryCall } from '@grpc/grpc-js';
import type { Caller } from '../domain/caller.ts';
import type { StoreHealth } from '../store/store-health.ts';
import { StoreUnavailableError } from '../store/store-unavailable-error.ts';
import type { CallerRegistry } from './call-authentication.ts';
import { failureStatus, type ErrorLog } from './grpc-status.ts';
import { checkDecoded } from './strict-decoding.ts';

/** One admin operation: what a handler does once the caller is known. */
export type AdminOperation<Request, Response> = (caller: Caller, request: Request) => Promise<Response>;

/** Turns an admin operation into a grpc-js unary handler. */
export type UnaryHandler = <Request, Response>(operation: AdminOperation<Request, Response>) => handleUnaryCall<Request, Response>;

/**
 * Handlers that run their operation with the caller authentication established, answer
 * with its result, and end the call with the mapped status (catalogue code in the
 * trailers) on any failure, thrown or rejected. A request message that did not decode
 * (`strictDefinition`) fails as INVALID_ARGUMENT before the operation runs. While
 * `storeHealth` says the store is unhealthy, every call fails as UNAVAILABLE
 * `Store.Unavailable` at once, as the HTTP API's guard does, instead of waiting on the store.
 */
export function unaryHandler(callers: CallerRegistry, log: ErrorLog, storeHealth?: Pick<StoreHealth, 'state'>): UnaryHandler {
  return (operation) => (call, callback) => {
    let requestId = '';
    const run = async () => {
      const health = storeHealth?.state;
      if (health && !health.healthy) throw new StoreUnavailableError(`the store is unavailable: ${health.reason}`);
      const caller = callers.callerOf(call.metadata);
      requestId = caller.requestId;
      checkDecoded(call.request);
      return operation(caller, call.request);
    };
    run().then(
      (response) => callback(null, response),
      (error: unknown) => callback(failureStatus(error, requestId, log)),
    );
  };
}
