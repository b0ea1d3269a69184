import type { Binding, Site } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import type { Delete, Put, Store, Stored } from '../store/store.ts';
import { accountOf } from './accounts.ts';
import { ApiError } from './api-error.ts';
import { commit, withRetry } from './commit.ts';
import { zoneParameter } from './hostname-parameters.ts';
import { newId } from './ids.ts';
import { listAll } from './list-all.ts';
import { originUrlParameter } from './origin-url.ts';
import { deletedCertificateRevocation } from './revocations.ts';
import { indexes, uniques } from './names.ts';
import { type PageOf, type PageRequest, window } from './paging.ts';

/**
 * The site `siteId` if it belongs to `accountId`. Another account's site is reported as
 * missing (`NotFound.Site`), so ids do not reveal what other tenants hold.
 */
export async function requireSite(store: Store, accountId: string, siteId: string): Promise<Stored<Site>> {
  const found = await store.get('site', siteId);
  if (!found || found.data.accountId !== accountId) throw new ApiError('NotFound.Site');
  return found;
}

/** Sites: a zone name owned by one account, and the origin its traffic goes to. */
export function sitesService(deps: Deps) {
  const { store } = deps;

  function siteIndexes(site: Site) {
    return [indexes.sitesOf(site.accountId), indexes.allSites];
  }

  /**
   * Refuses a zone that lies within, or contains, a zone of another account: an edge routes
   * each hostname to one site, so one tenant must not take names under another's zone.
   * Returns the number of sites it looked at, for the guard that keeps the check current.
   */
  async function refuseForeignOverlap(accountId: string, zone: string): Promise<number> {
    const total = await store.count(indexes.allSites);
    const overlapping = (other: Site) =>
      other.accountId !== accountId && (other.name.endsWith(`.${zone}`) || zone.endsWith(`.${other.name}`));
    const found = (await listAll(store, 'site', indexes.allSites)).find((other) => overlapping(other.data));
    if (found) {
      throw new ApiError('Conflict.SiteExists', {
        message: `${zone} overlaps ${found.data.name}, a zone of another account.`,
        details: { name: zone, overlaps: found.data.name },
      });
    }
    return total;
  }

  return {
    /**
     * Creates a site; a zone already used by any site, or overlapping a zone of another
     * account, is `Conflict.SiteExists`.
     */
    async create(caller: Caller, input: { name: string; originUrl: string; forwardClientCert?: boolean }): Promise<Site> {
      const accountId = accountOf(caller);
      const now = deps.now().toISOString();
      const site: Site = {
        id: newId('site'),
        accountId,
        name: zoneParameter(input.name),
        originUrl: originUrlParameter(input.originUrl),
        forwardClientCert: input.forwardClientCert ?? false,
        createdAt: now,
        updatedAt: now,
      };
      await withRetry(async () => {
        const seen = await refuseForeignOverlap(accountId, site.name);
        await commit(
          store,
          caller,
          {
            // No site was added since the overlap check read them all.
            guards: [{ type: 'indexBelow', index: indexes.allSites, limit: seen + 1 }],
            puts: [
              {
                kind: 'site',
                id: site.id,
                data: site,
                indexes: siteIndexes(site),
                uniques: [{ name: uniques.siteName, value: site.name }],
              },
            ],
            audit: [{ accountId, action: 'Site.Create', target: { kind: 'site', id: site.id }, details: { name: site.name } }],
          },
          (guard) =>
            guard === -1
              ? new ApiError('Conflict.SiteExists', { details: { name: site.name } })
              : new ApiError('Conflict.ConcurrentChange'),
        );
      });
      return site;
    },

    async get(caller: Caller, siteId: string): Promise<Site> {
      return (await requireSite(store, accountOf(caller), siteId)).data;
    },

    async list(caller: Caller, page: PageRequest): Promise<PageOf<Site>> {
      const listed = await store.list('site', indexes.sitesOf(accountOf(caller)), window(page));
      return { totalCount: listed.total, ...page, items: listed.items.map((i) => i.data) };
    },

    /** Changes a site's origin and/or whether edges forward the client certificate (RFC 9440). */
    async update(caller: Caller, siteId: string, input: { originUrl?: string; forwardClientCert?: boolean }): Promise<Site> {
      const accountId = accountOf(caller);
      const originUrl = input.originUrl === undefined ? undefined : originUrlParameter(input.originUrl);
      return withRetry(async () => {
        const found = await requireSite(store, accountId, siteId);
        const site: Site = {
          ...found.data,
          ...(originUrl !== undefined ? { originUrl } : {}),
          ...(input.forwardClientCert !== undefined ? { forwardClientCert: input.forwardClientCert } : {}),
          updatedAt: deps.now().toISOString(),
        };
        await commit(store, caller, {
          guards: [{ type: 'unchanged', kind: 'site', id: siteId, rev: found.rev }],
          puts: [
            { kind: 'site', id: siteId, data: site, indexes: siteIndexes(site), uniques: [{ name: uniques.siteName, value: site.name }] },
          ],
          audit: [
            {
              accountId,
              action: 'Site.Update',
              target: { kind: 'site', id: siteId },
              details: { originUrl: site.originUrl, forwardClientCert: site.forwardClientCert ?? false },
            },
          ],
        });
        return site;
      });
    },

    /**
     * Deletes a site and everything under it in one commit: server certificates, custom CAs
     * (with their CRLs and revocations), bindings and WAF rules. Its client certificates are
     * deleted too, and their serials stay revoked, since they would still chain to the
     * account CA if the hostnames were bound again elsewhere.
     */
    async delete(caller: Caller, siteId: string): Promise<void> {
      const accountId = accountOf(caller);
      const site = await requireSite(store, accountId, siteId);

      /** What is under the site now, with the revocations of the given custom CAs too. */
      async function contents(knownCaIds: readonly string[]) {
        const [serverCerts, clientCerts, customCas, bindings] = await Promise.all([
          listAll(store, 'serverCertificate', indexes.serverCertificatesOf(siteId)),
          listAll(store, 'clientCertificate', indexes.clientCertificatesOf(siteId)),
          listAll(store, 'customCa', indexes.customCasOfSite(siteId)),
          listAll(store, 'binding', indexes.bindingsOf(siteId)),
        ]);
        const caIds = [...new Set([...knownCaIds, ...customCas.map((ca) => ca.id)])];
        const caRevocations = await Promise.all(caIds.map((id) => listAll(store, 'revocation', indexes.revocationsOf(id))));
        return { serverCerts, clientCerts, customCas, bindings, caIds, caRevocations: caRevocations.flat() };
      }

      /** The tombstones and deletes that remove `found`. */
      function removal(found: Awaited<ReturnType<typeof contents>>): { puts: Put[]; deletes: Delete[] } {
        const now = deps.now();
        const puts: Put[] = found.clientCerts.map(({ data: cert }) => deletedCertificateRevocation(cert, 'site deleted', now));
        const deletes: Delete[] = [
          ...found.serverCerts.map((d) => ({ kind: 'serverCertificate' as const, id: d.id })),
          ...found.clientCerts.map((d) => ({ kind: 'clientCertificate' as const, id: d.id })),
          ...found.customCas.flatMap((d) => [
            { kind: 'customCa' as const, id: d.id },
            { kind: 'customCaCrl' as const, id: d.id },
          ]),
          ...found.caRevocations.map((d) => ({ kind: 'revocation' as const, id: d.id })),
          ...found.bindings.map((d: Stored<Binding>) => ({ kind: 'binding' as const, id: d.id })),
        ];
        return { puts, deletes };
      }

      const found = await contents([]);
      const { puts, deletes } = removal(found);
      await commit(store, caller, {
        guards: [{ type: 'unchanged', kind: 'site', id: siteId, rev: site.rev }],
        puts,
        deletes: [{ kind: 'site', id: siteId }, { kind: 'wafRuleset', id: siteId }, ...deletes],
        audit: [
          {
            accountId,
            action: 'Site.Delete',
            target: { kind: 'site', id: siteId },
            details: { name: site.data.name, clientCertificates: found.clientCerts.length, customCas: found.customCas.length },
          },
        ],
      });
      // Writes under a site are guarded by the site (or by one of its custom CAs), so none can
      // land after the commit above; what landed between the reads and that commit is swept
      // now, so no certificate of the deleted site is left unrevoked and no CA holds a slot.
      const late = await contents(found.caIds);
      const sweep = removal(late);
      if (sweep.puts.length + sweep.deletes.length > 0) await commit(store, caller, { ...sweep, audit: [] });
    },
  };
}
