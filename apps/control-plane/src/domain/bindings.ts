import type { Binding } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import type { Guard } from '../store/store.ts';
import { accountOf } from './accounts.ts';
import { ApiError } from './api-error.ts';
import { commit, withRetry } from './commit.ts';
import { hostnameListParameter } from './hostname-parameters.ts';
import { indexes } from './names.ts';
import { requireSite } from './sites.ts';

/** The hostnames bound to one CA on one site; `caId` undefined means the account CA. */
export interface HostnameBinding {
  readonly siteId: string;
  readonly caId: string | undefined;
  readonly hostnames: readonly string[];
}

/**
 * Which hostnames of a site accept client certificates from which CA. Binding makes the
 * edges request and verify client certificates on those hostnames; a hostname may be bound
 * to several CAs and then accepts certificates from any of them.
 */
export function bindingsService(deps: Deps) {
  const { store } = deps;

  /** The CA's id in the store and the guard that keeps it present until the write lands. */
  async function resolveCa(accountId: string, siteId: string, caId: string | undefined): Promise<{ id: string; guards: Guard[] }> {
    if (caId === undefined || caId === accountId) return { id: accountId, guards: [] };
    const ca = await store.get('customCa', caId);
    if (!ca || ca.data.accountId !== accountId || ca.data.siteId !== siteId) throw new ApiError('NotFound.CaCertificate');
    return { id: caId, guards: [{ type: 'unchanged', kind: 'customCa', id: caId, rev: ca.rev }] };
  }

  return {
    /**
     * Replaces the hostname list of a CA on a site (at most 50, each the zone or under it,
     * no duplicates; canonical: lower case, anything else refused). An empty list unbinds. The whole list is one document,
     * so concurrent calls never interleave: the last commit wins entirely.
     */
    async set(caller: Caller, siteId: string, caId: string | undefined, hostnames: readonly string[]): Promise<HostnameBinding> {
      const accountId = accountOf(caller);
      return withRetry(async () => {
        const site = await requireSite(store, accountId, siteId);
        const normalised = hostnameListParameter(hostnames, site.data.name);
        const ca = await resolveCa(accountId, siteId, caId);
        const id = `${siteId}:${ca.id}`;
        const binding: Binding = { id, accountId, siteId, caId: ca.id, hostnames: normalised, updatedAt: deps.now().toISOString() };
        await commit(store, caller, {
          guards: [{ type: 'unchanged', kind: 'site', id: siteId, rev: site.rev }, ...ca.guards],
          ...(normalised.length > 0
            ? { puts: [{ kind: 'binding', id, data: binding, indexes: [indexes.bindingsOf(siteId)], uniques: [] }] }
            : { deletes: [{ kind: 'binding', id }] }),
          audit: [
            {
              accountId,
              action: 'Binding.Set',
              target: { kind: 'binding', id },
              details: { caId: ca.id, hostnames: normalised.join(',').slice(0, 2000) },
            },
          ],
        });
        return { siteId, caId, hostnames: normalised };
      });
    },

    async get(caller: Caller, siteId: string, caId: string | undefined): Promise<HostnameBinding> {
      const accountId = accountOf(caller);
      await requireSite(store, accountId, siteId);
      const ca = await resolveCa(accountId, siteId, caId);
      const found = await store.get('binding', `${siteId}:${ca.id}`);
      return { siteId, caId, hostnames: found?.data.hostnames ?? [] };
    },
  };
}
