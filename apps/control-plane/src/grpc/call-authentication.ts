import { randomBytes } from 'node:crypto';
import { Metadata, ServerInterceptingCall, type ServerInterceptor } from '@grpc/grpc-js';
import type { AccountsService } from '../domain/accounts.ts';
import type { Caller } from '../domain/caller.ts';
import { ApiError } from '../domain/api-error.ts';
import type { rateLimiter } from '../http/rate-limit.ts';
import { failureStatus, requestIdKey, type ErrorLog } from './grpc-status.ts';
import { refuseUndecompressable } from './strict-decoding.ts';

/** The caller of each call that passed authentication, for the handlers. */
export interface CallerRegistry {
  /** Who made the call whose request metadata this is; set before the handler runs. */
  callerOf(metadata: Metadata): Caller;
}

/**
 * Authenticates every call from its `authorization: Bearer <API key or admin token>`
 * metadata and applies the per-caller rate limit (`Throttling`), before the request
 * message is read: grpc-js keeps the stream paused until the metadata is passed on, so an
 * unauthenticated caller cannot make the server buffer a large message. Each call gets a
 * request id (`req_<hex>`, as the HTTP API's) that becomes the caller's `requestId` — the
 * audit log records it — and is sent back as `x-request-id` in response headers and
 * trailers. The authorization value is removed from the metadata handlers see.
 */
export function callAuthentication(options: {
  readonly accounts: AccountsService;
  readonly limiter: ReturnType<typeof rateLimiter>;
  readonly log: ErrorLog;
}): { readonly interceptor: ServerInterceptor } & CallerRegistry {
  // Keyed by the metadata object grpc-js hands on to the handler as `call.metadata`.
  const callers = new WeakMap<Metadata, Caller>();

  async function authenticate(metadata: Metadata, requestId: string): Promise<Caller> {
    const caller = await options.accounts.authenticate(bearerToken(metadata), requestId);
    if (!options.limiter.take(caller.kind === 'admin' ? 'admin' : caller.keyId)) throw new ApiError('Throttling');
    return caller;
  }

  // The first (and only) server interceptor: `call` is grpc-js's own call object.
  const interceptor: ServerInterceptor = (_method, call) => {
    const requestId = `req_${randomBytes(8).toString('hex')}`;
    refuseUndecompressable(call, requestId);
    return new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            authenticate(metadata, requestId).then(
              (caller) => {
                metadata.remove('authorization');
                callers.set(metadata, caller);
                pass(metadata);
              },
              (error: unknown) => call.sendStatus(failureStatus(error, requestId, options.log)),
            );
          },
        }),
      sendMetadata: (metadata, next) => {
        metadata.set(requestIdKey, requestId);
        next(metadata);
      },
      sendStatus: (status, next) => {
        const trailers = status.metadata?.clone() ?? new Metadata();
        trailers.set(requestIdKey, requestId);
        next({ ...status, metadata: trailers });
      },
    });
  };

  return {
    interceptor,
    callerOf(metadata) {
      const caller = callers.get(metadata);
      if (!caller) throw new ApiError('Internal', { cause: new Error('a call reached its handler without authentication') });
      return caller;
    },
  };
}

/**
 * The token of `authorization: Bearer <token>`, read as the HTTP API reads its header:
 * absent is `undefined` (`Auth.MissingKey`); another scheme, a malformed or a repeated
 * value is the empty token, which `authenticate` refuses.
 */
function bearerToken(metadata: Metadata): string | undefined {
  const values = metadata.get('authorization');
  if (values.length === 0) return undefined;
  const [value] = values;
  if (values.length > 1 || typeof value !== 'string') return '';
  return /^Bearer\s+(\S+)\s*$/i.exec(value)?.[1] ?? '';
}
