import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Account, ApiKey, Plan } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { ApiError } from './api-error.ts';
import { commit } from './commit.ts';
import { newId } from './ids.ts';
import { indexes } from './names.ts';
import { type PageOf, type PageRequest, window } from './paging.ts';
import type { Put } from '../store/store.ts';

/** The plan an account gets when none is given: 5 custom CAs, as in the original. */
export const defaultPlan: Plan = { customCaQuota: 5 };

/** An API key as shown once, at creation: `pk_<key id>_<secret>`. */
export interface IssuedApiKey {
  readonly key: ApiKey;
  readonly secret: string;
}

/**
 * Accounts and their API keys. Only the administrator creates accounts; an account manages
 * its own keys. Secrets are 256-bit random and stored as SHA-256 hashes, so a leaked
 * database does not leak working keys (a slow hash adds nothing for random secrets).
 */
export function accountsService(deps: Deps, adminToken: string | undefined) {
  const { store } = deps;

  async function issueKey(caller: Caller, accountId: string, name: string, extra: { account?: Account } = {}) {
    const id = newId('apiKey');
    const secret = randomBytes(32).toString('base64url');
    const key: ApiKey = { id, accountId, name, secretHash: hashSecret(secret), createdAt: deps.now().toISOString() };
    const puts: Put[] = [];
    if (extra.account) puts.push({ kind: 'account', id: accountId, data: extra.account, indexes: [indexes.accounts], uniques: [] });
    puts.push({ kind: 'apiKey', id, data: key, indexes: [indexes.apiKeysOf(accountId)], uniques: [] });
    await commit(store, caller, {
      puts,
      audit: [
        ...(extra.account ? [{ accountId, action: 'Account.Create', target: { kind: 'account' as const, id: accountId } }] : []),
        { accountId, action: 'ApiKey.Create', target: { kind: 'apiKey', id }, details: { name } },
      ],
    });
    return { key, secret: `pk_${id}_${secret}` };
  }

  /** The caller's own account, or any account for the administrator. */
  async function getAccount(caller: Caller, accountId: string): Promise<Account> {
    if (caller.kind === 'account' && caller.accountId !== accountId) throw new ApiError('NotFound.Account');
    const found = await store.get('account', accountId);
    if (!found) throw new ApiError('NotFound.Account');
    return found.data;
  }

  return {
    getAccount,

    /** Creates an account with its first API key (admin only). */
    async createAccount(caller: Caller, input: { name: string; plan?: Plan }): Promise<{ account: Account; apiKey: IssuedApiKey }> {
      requireAdmin(caller);
      checkName(input.name);
      if (
        input.plan &&
        !(Number.isInteger(input.plan.customCaQuota) && input.plan.customCaQuota >= 0 && input.plan.customCaQuota <= 1000)
      ) {
        throw new ApiError('InvalidParameter.Plan', { details: { customCaQuota: input.plan.customCaQuota } });
      }
      const account: Account = {
        id: newId('account'),
        name: input.name,
        plan: input.plan ?? defaultPlan,
        createdAt: deps.now().toISOString(),
      };
      const apiKey = await issueKey(caller, account.id, 'initial', { account });
      return { account, apiKey };
    },

    /** Accounts, oldest first (admin only). */
    async listAccounts(caller: Caller, page: PageRequest): Promise<PageOf<Account>> {
      requireAdmin(caller);
      const listed = await store.list('account', indexes.accounts, window(page));
      return { totalCount: listed.total, ...page, items: listed.items.map((i) => i.data) };
    },

    /** A new API key for an account: its own caller, or the administrator. */
    async createApiKey(caller: Caller, accountId: string, name: string): Promise<IssuedApiKey> {
      await getAccount(caller, accountId);
      checkName(name);
      return issueKey(caller, accountId, name);
    },

    async listApiKeys(caller: Caller, accountId: string, page: PageRequest): Promise<PageOf<ApiKey>> {
      await getAccount(caller, accountId);
      const listed = await store.list('apiKey', indexes.apiKeysOf(accountId), window(page));
      return { totalCount: listed.total, ...page, items: listed.items.map((i) => i.data) };
    },

    /** Revokes a key at once; a revoked key stays listed with `revokedAt`. */
    async revokeApiKey(caller: Caller, accountId: string, keyId: string): Promise<ApiKey> {
      await getAccount(caller, accountId);
      const found = await store.get('apiKey', keyId);
      if (!found || found.data.accountId !== accountId) throw new ApiError('NotFound.ApiKey');
      if (found.data.revokedAt) return found.data;
      const revoked: ApiKey = { ...found.data, revokedAt: deps.now().toISOString() };
      await commit(store, caller, {
        guards: [{ type: 'unchanged', kind: 'apiKey', id: keyId, rev: found.rev }],
        puts: [{ kind: 'apiKey', id: keyId, data: revoked, indexes: [indexes.apiKeysOf(accountId)], uniques: [] }],
        audit: [{ accountId, action: 'ApiKey.Revoke', target: { kind: 'apiKey', id: keyId } }],
      });
      return revoked;
    },

    /** Whether `token` is the administrator token; never reads the store (the metrics route checks it during outages). */
    isAdminToken(token: string): boolean {
      return adminToken !== undefined && adminToken !== '' && constantTimeEqual(token, adminToken);
    },

    /**
     * Who presents `token`: the administrator (bootstrap token) or an account (API key).
     * Throws `Auth.MissingKey` when no token was sent (undefined) and `Auth.InvalidKey`
     * otherwise, an empty token included; never says which part was wrong.
     */
    async authenticate(token: string | undefined, requestId: string): Promise<Caller> {
      if (token === undefined) throw new ApiError('Auth.MissingKey');
      if (adminToken && constantTimeEqual(token, adminToken)) return { kind: 'admin', requestId };
      const match = /^pk_(key_[0-9a-f]{20})_([A-Za-z0-9_-]{43})$/.exec(token);
      if (!match) throw new ApiError('Auth.InvalidKey');
      const [, keyId, secret] = match as unknown as [string, string, string];
      const found = await store.get('apiKey', keyId);
      if (!found || found.data.revokedAt || !constantTimeEqual(hashSecret(secret), found.data.secretHash)) {
        throw new ApiError('Auth.InvalidKey');
      }
      return { kind: 'account', accountId: found.data.accountId, keyId, requestId };
    },
  };
}

export type AccountsService = ReturnType<typeof accountsService>;

/**
 * The rule for names people give (accounts, API keys, custom CAs, join tokens, WAF rules):
 * 1–128 characters (code points, as the HTTP schemas count), no control characters (C0, DEL,
 * C1), well-formed text (a lone surrogate would reach storage as U+FFFD). Checked here, not
 * only by the HTTP schemas, so every API (RPC, gRPC) keeps it. Throws `InvalidParameter.Name`.
 */
export function checkName(name: string): void {
  if (!name.isWellFormed() || !/^\P{Cc}{1,128}$/u.test(name)) throw new ApiError('InvalidParameter.Name');
}

/** Throws `Auth.AdminOnly` unless the caller is the administrator. */
export function requireAdmin(caller: Caller): void {
  if (caller.kind !== 'admin') throw new ApiError('Auth.AdminOnly');
}

/** The caller's account id; throws `Auth.AccountOnly` for the administrator. */
export function accountOf(caller: Caller): string {
  if (caller.kind !== 'account') throw new ApiError('Auth.AccountOnly');
  return caller.accountId;
}

/** SHA-256 hex of a random secret (API keys, join tokens): what is stored instead of it. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Compares two secrets in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}
