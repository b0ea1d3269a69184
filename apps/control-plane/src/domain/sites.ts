import type { Binding, Revocation, Site } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import type { Delete, Put, Store, Stored } from '../store/store.ts';
import { accountOf } from './accounts.ts';
import { ApiError } from './api-error.ts';
import { commit, withRetry } from './commit.ts';
import { normaliseZone } from './hostnames.ts';
import { newId } from './ids.ts';
import { listAll } from './list-all.ts';
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

/** Checks an origin URL: http(s), a host, no credentials, no fragment; returns it normalised. */
export function normaliseOriginUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new ApiError('InvalidParameter.OriginUrl');
  }
  if (!['http:', 'https:'].includes(url.protocol) || !url.hostname || url.username || url.password || url.hash) {
    throw new ApiError('InvalidParameter.OriginUrl');
  }
  return url.toString().replace(/\/$/, '');
}

/** Sites: a zone name owned by one account, and the origin its traffic goes to. */
export function sitesService(deps: Deps) {
  const { store } = deps;

  function siteIndexes(site: Site) {
    return [indexes.sitesOf(site.accountId), indexes.allSites];
  }

  return {
    /** Creates a site; a zone already used by any site is `Conflict.SiteExists`. */
    async create(caller: Caller, input: { name: string; originUrl: string }): Promise<Site> {
      const accountId = accountOf(caller);
      const now = deps.now().toISOString();
      const site: Site = {
        id: newId('site'),
        accountId,
        name: normaliseZone(input.name),
        originUrl: normaliseOriginUrl(input.originUrl),
        createdAt: now,
        updatedAt: now,
      };
      await commit(
        store,
        caller,
        {
          puts: [{ kind: 'site', id: site.id, data: site, indexes: siteIndexes(site), uniques: [{ name: uniques.siteName, value: site.name }] }],
          audit: [{ accountId, action: 'Site.Create', target: { kind: 'site', id: site.id }, details: { name: site.name } }],
        },
        () => new ApiError('Conflict.SiteExists', { details: { name: site.name } }),
      );
      return site;
    },

    async get(caller: Caller, siteId: string): Promise<Site> {
      return (await requireSite(store, accountOf(caller), siteId)).data;
    },

    async list(caller: Caller, page: PageRequest): Promise<PageOf<Site>> {
      const listed = await store.list('site', indexes.sitesOf(accountOf(caller)), window(page));
      return { totalCount: listed.total, ...page, items: listed.items.map((i) => i.data) };
    },

    /** Changes a site's origin. */
    async update(caller: Caller, siteId: string, input: { originUrl: string }): Promise<Site> {
      const accountId = accountOf(caller);
      const originUrl = normaliseOriginUrl(input.originUrl);
      return withRetry(async () => {
        const found = await requireSite(store, accountId, siteId);
        const site: Site = { ...found.data, originUrl, updatedAt: deps.now().toISOString() };
        await commit(store, caller, {
          guards: [{ type: 'unchanged', kind: 'site', id: siteId, rev: found.rev }],
          puts: [{ kind: 'site', id: siteId, data: site, indexes: siteIndexes(site), uniques: [{ name: uniques.siteName, value: site.name }] }],
          audit: [{ accountId, action: 'Site.Update', target: { kind: 'site', id: siteId }, details: { originUrl } }],
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
      const [serverCerts, clientCerts, customCas, bindings] = await Promise.all([
        listAll(store, 'serverCertificate', indexes.serverCertificatesOf(siteId)),
        listAll(store, 'clientCertificate', indexes.clientCertificatesOf(siteId)),
        listAll(store, 'customCa', indexes.customCasOfSite(siteId)),
        listAll(store, 'binding', indexes.bindingsOf(siteId)),
      ]);
      const caRevocations = await Promise.all(customCas.map((ca) => listAll(store, 'revocation', indexes.revocationsOf(ca.id))));
      const now = deps.now().toISOString();
      const tombstones: Put[] = clientCerts.map(({ data: cert }) => {
        const revocation: Revocation = {
          id: `${cert.caId}:${cert.facts.serialNumber}`,
          accountId,
          caId: cert.caId,
          serialNumber: cert.facts.serialNumber,
          source: 'deleted-certificate',
          reason: 'site deleted',
          revokedAt: now,
        };
        return { kind: 'revocation', id: revocation.id, data: revocation, indexes: [indexes.revocationsOf(cert.caId)], uniques: [] };
      });
      const deletes: Delete[] = [
        { kind: 'site', id: siteId },
        { kind: 'wafRuleset', id: siteId },
        ...serverCerts.map((d) => ({ kind: 'serverCertificate' as const, id: d.id })),
        ...clientCerts.map((d) => ({ kind: 'clientCertificate' as const, id: d.id })),
        ...customCas.flatMap((d) => [{ kind: 'customCa' as const, id: d.id }, { kind: 'customCaCrl' as const, id: d.id }]),
        ...caRevocations.flat().map((d) => ({ kind: 'revocation' as const, id: d.id })),
        ...bindings.map((d: Stored<Binding>) => ({ kind: 'binding' as const, id: d.id })),
      ];
      await commit(store, caller, {
        guards: [{ type: 'unchanged', kind: 'site', id: siteId, rev: site.rev }],
        puts: tombstones,
        deletes,
        audit: [
          {
            accountId,
            action: 'Site.Delete',
            target: { kind: 'site', id: siteId },
            details: { name: site.data.name, clientCertificates: clientCerts.length, customCas: customCas.length },
          },
        ],
      });
    },
  };
}

export type SitesService = ReturnType<typeof sitesService>;
