import { randomBytes } from 'node:crypto';
import type { JoinToken } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { checkName, constantTimeEqual, hashSecret, requireAdmin } from './accounts.ts';
import { ApiError } from './api-error.ts';
import { commit } from './commit.ts';
import type { FleetCaService } from './fleet-ca.ts';
import { systemAccountId } from './fleet-ca.ts';
import { newId } from './ids.ts';
import { indexes } from './names.ts';
import { type PageOf, type PageRequest, window } from './paging.ts';
import type { Stored } from '../store/store.ts';

export const defaultJoinTokenTtlSeconds = 3600;
export const maxJoinTokenTtlSeconds = 7 * 24 * 3600;
export const maxJoinTokenUses = 1000;

/** A join token as shown once, at creation: `pjt_<token id>_<secret>`. */
export interface IssuedJoinToken {
  readonly joinToken: JoinToken;
  readonly token: string;
  /** What an edge may pin (PORTCULLIS_FLEET_CA_SHA256) before it trusts the discovery server. */
  readonly fleetCaFingerprintSha256: string;
}

/**
 * Join tokens: what an administrator hands an edge so that it can enroll once (get its node
 * certificate). Like API keys, a token is a 256-bit random secret stored as its SHA-256; it
 * expires after `ttlSeconds` and allows `maxUses` enrollments, counted atomically.
 */
export function joinTokensService(deps: Deps, fleetCa: FleetCaService) {
  const { store } = deps;

  return {
    /** Creates a token (admin only); the fleet CA is created too if it does not exist yet. */
    async create(caller: Caller, input: { name?: string; ttlSeconds?: number; maxUses?: number }): Promise<IssuedJoinToken> {
      requireAdmin(caller);
      const name = input.name ?? '';
      if (name !== '') checkName(name);
      const ttlSeconds = input.ttlSeconds ?? defaultJoinTokenTtlSeconds;
      const maxUses = input.maxUses ?? 1;
      const ok =
        Number.isInteger(ttlSeconds) &&
        ttlSeconds >= 60 &&
        ttlSeconds <= maxJoinTokenTtlSeconds &&
        Number.isInteger(maxUses) &&
        maxUses >= 1 &&
        maxUses <= maxJoinTokenUses;
      if (!ok) throw new ApiError('InvalidParameter.JoinToken', { details: { ttlSeconds, maxUses } });
      const ca = await fleetCa.get(caller.requestId);
      const id = newId('joinToken');
      const secret = randomBytes(32).toString('base64url');
      const now = deps.now();
      const joinToken: JoinToken = {
        id,
        name,
        secretHash: hashSecret(secret),
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
        maxUses,
        uses: 0,
      };
      await commit(store, caller, {
        puts: [{ kind: 'joinToken', id, data: joinToken, indexes: [indexes.joinTokens], uniques: [] }],
        audit: [
          {
            accountId: systemAccountId,
            action: 'EdgeJoinToken.Create',
            target: { kind: 'joinToken', id },
            details: { name, expiresAt: joinToken.expiresAt, maxUses },
          },
        ],
      });
      return { joinToken, token: `pjt_${id}_${secret}`, fleetCaFingerprintSha256: ca.facts.fingerprintSha256 };
    },

    /** Tokens, oldest first, expired and used-up ones included (admin only); never their secrets. */
    async list(caller: Caller, page: PageRequest): Promise<PageOf<JoinToken>> {
      requireAdmin(caller);
      const listed = await store.list('joinToken', indexes.joinTokens, window(page));
      return { totalCount: listed.total, ...page, items: listed.items.map((i) => i.data) };
    },

    /** Deletes a token at once: it enrolls nothing more (admin only). */
    async delete(caller: Caller, id: string): Promise<void> {
      requireAdmin(caller);
      const found = await store.get('joinToken', id);
      if (!found) throw new ApiError('NotFound.JoinToken');
      await commit(store, caller, {
        guards: [{ type: 'unchanged', kind: 'joinToken', id, rev: found.rev }],
        deletes: [{ kind: 'joinToken', id }],
        audit: [{ accountId: systemAccountId, action: 'EdgeJoinToken.Delete', target: { kind: 'joinToken', id } }],
      });
    },
  };
}

/**
 * The stored token that `token` names, if the secret matches and it can still enroll at
 * `now` (not expired, uses left). Throws `Auth.InvalidJoinToken` otherwise, without saying
 * which part was wrong.
 */
export async function usableJoinToken(deps: Deps, token: string): Promise<Stored<JoinToken>> {
  const match = /^pjt_(jt_[0-9a-f]{20})_([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) throw new ApiError('Auth.InvalidJoinToken');
  const [, id, secret] = match as unknown as [string, string, string];
  const found = await deps.store.get('joinToken', id);
  const ok =
    found !== undefined &&
    constantTimeEqual(hashSecret(secret), found.data.secretHash) &&
    Date.parse(found.data.expiresAt) > deps.now().getTime() &&
    found.data.uses < found.data.maxUses;
  if (!ok) throw new ApiError('Auth.InvalidJoinToken');
  return found;
}
