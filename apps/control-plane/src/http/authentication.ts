import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import type { AccountsService } from '../domain/accounts.ts';
import type { Caller } from '../domain/caller.ts';
import { ApiError } from '../domain/api-error.ts';
import type { rateLimiter } from './rate-limit.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; set by the authentication hook before any handler runs. */
    caller: Caller;
  }
}

/**
 * Authenticates every request of the enclosing scope from `Authorization: Bearer <key>`
 * and applies the per-caller rate limit (`Throttling`, 429).
 */
export const authentication = fp<{ accounts: AccountsService; limiter: ReturnType<typeof rateLimiter> }>(
  async (app, { accounts, limiter }) => {
    // Starts empty on every request; the hook below sets it before any handler runs.
    app.decorateRequest('caller', null as never);
    app.addHook('onRequest', async (request: FastifyRequest) => {
      request.caller = await accounts.authenticate(bearerToken(request), request.id);
      const who = request.caller.kind === 'admin' ? 'admin' : request.caller.keyId;
      if (!limiter.take(who)) throw new ApiError('Throttling');
    });
  },
  { name: 'portcullis-authentication' },
);

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}
