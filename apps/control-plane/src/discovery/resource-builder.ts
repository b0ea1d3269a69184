import {
  encodeResource,
  resourceName,
  resourceTypeOrder,
  resourceTypes,
  type EncodedResource,
  type ResourceType,
} from '@portcullis/config';
import type { edgeV1 } from '@portcullis/proto';
import type { KeyManager } from '../crypto/key-manager.ts';
import type { WafRule } from '../domain/entities.ts';
import { listAll } from '../domain/list-all.ts';
import { indexes } from '../domain/names.ts';
import { serverKeyContext } from '../domain/server-certificates.ts';
import { loadSiteTrust } from '../domain/site-trust.ts';
import type { ChangeRecord, Store } from '../store/store.ts';

/** Every resource of every type, by name. */
export type ResourceSets = { readonly [T in ResourceType]: Map<string, EncodedResource> };

/**
 * Builds the edge resources (docs/edge-protocol.md) from the store's documents. Stateless:
 * the same documents give the same bytes, hence the same versions, on every replica and after
 * restarts — every repeated field is sorted, except WAF rules, whose order is their meaning.
 *
 * Which resources exist:
 * - `site/<site id>` and `trust/<site id>` for every site (a site without bindings has an
 *   empty trust bundle, so an edge can tell "no mTLS" from "not received yet");
 * - `credential/<server certificate id>` for every server certificate;
 * - `revocations/<ca id>` for every account (its CA's id is the account id, whether or not
 *   the CA was created yet) and every custom CA, with an empty list when nothing is revoked:
 *   a superset of the CAs any trust bundle names, so an edge can tell "nothing revoked" from
 *   "revocation set not received" (and refuses the CA's hostnames until it has the set);
 * - `waf/<site id>` for every site, with an empty list when the site has no rules, so an edge
 *   can tell "no rules" from "rules not received".
 *
 * Reads are not a snapshot: a resource built while the store changes may reflect a later
 * state than the change that asked for it. The cache rebuilds whatever later changes touch,
 * so it converges on the state of its revision.
 */
export interface ResourceBuilder {
  /** Every resource, built from the documents in the store now. */
  buildAll(): Promise<ResourceSets>;
  /** The names of every resource that may exist now, sorted (`build` says which do). */
  names(): Promise<string[]>;
  /** The resource called `name` as the store holds it now; undefined when it must not exist. */
  build(name: string): Promise<EncodedResource | undefined>;
  /**
   * The names of every resource the changes of `record` may have added, changed or removed
   * (a superset: rebuilding an unaffected name gives the same version). Reads the store for
   * documents that were put; deleted documents are known by their ids alone (see below).
   */
  affectedNames(record: ChangeRecord): Promise<Set<string>>;
}

/** At most this many store reads in flight while building everything. */
const buildConcurrency = 16;

export function resourceBuilder(deps: { readonly store: Store; readonly keyManager: KeyManager }): ResourceBuilder {
  const { store } = deps;

  async function buildSite(siteId: string): Promise<EncodedResource | undefined> {
    const site = await store.get('site', siteId);
    if (!site) return undefined;
    return encodeResource('site', resourceName('site', siteId), {
      id: siteId,
      zone: site.data.name,
      originUrl: site.data.originUrl,
      forwardClientCert: site.data.forwardClientCert ?? false,
    });
  }

  async function buildTrust(siteId: string): Promise<EncodedResource | undefined> {
    if (!(await store.get('site', siteId))) return undefined;
    const trust = await loadSiteTrust(store, siteId);
    const bindings: edgeV1.HostnameBinding[] = [];
    for (const [hostname, caIds] of trust.bindings) {
      // A binding may name the account CA before its first use created it: such a CA cannot
      // be trusted yet, and a hostname left with no CA asks for no certificate.
      const present = [...new Set(caIds)].filter((id) => trust.certificates.has(id)).sort();
      if (present.length > 0) bindings.push({ hostname, caIds: present });
    }
    bindings.sort((a, b) => compare(a.hostname, b.hostname));
    const used = new Set(bindings.flatMap((b) => b.caIds));
    const cas = [...trust.certificates]
      .filter(([id]) => used.has(id))
      .map(([id, certificatePem]) => ({ id, certificatePem }))
      .sort((a, b) => compare(a.id, b.id));
    return encodeResource('trust', resourceName('trust', siteId), { siteId, cas, bindings });
  }

  async function buildCredential(id: string): Promise<EncodedResource | undefined> {
    const found = await store.get('serverCertificate', id);
    if (!found) return undefined;
    const certificate = found.data;
    const key = await deps.keyManager.open(certificate.privateKey, serverKeyContext(id));
    return encodeResource('credential', resourceName('credential', id), {
      id,
      siteId: certificate.siteId,
      hostnames: [...certificate.hostnames].sort(compare),
      certificateChainPem: certificate.certificatePem,
      privateKeyPem: key.toString('utf8'),
    });
  }

  async function buildRevocations(caId: string): Promise<EncodedResource | undefined> {
    const serials = new Set<string>();
    const account = await store.get('account', caId);
    if (account) {
      // The account CA: its certificates in status revoked, across the account's sites.
      for (const site of await listAll(store, 'site', indexes.sitesOf(caId))) {
        for (const { data: certificate } of await listAll(store, 'clientCertificate', indexes.clientCertificatesOf(site.id))) {
          if (certificate.caId === caId && certificate.status === 'revoked') serials.add(certificate.facts.serialNumber);
        }
      }
    } else {
      if (!(await store.get('customCa', caId))) return undefined;
      const crl = await store.get('customCaCrl', caId);
      for (const serial of crl?.data.revokedSerials ?? []) serials.add(serial);
    }
    for (const { data: revocation } of await listAll(store, 'revocation', indexes.revocationsOf(caId)))
      serials.add(revocation.serialNumber);
    return encodeResource('revocations', resourceName('revocations', caId), { caId, serials: [...serials].sort(compare) });
  }

  async function buildWaf(siteId: string): Promise<EncodedResource | undefined> {
    const [site, ruleset] = await Promise.all([store.get('site', siteId), store.get('wafRuleset', siteId)]);
    if (!site) return undefined;
    return encodeResource('waf', resourceName('waf', siteId), { siteId, rules: (ruleset?.data.rules ?? []).map(wafRuleMessage) });
  }

  const builders: { readonly [T in ResourceType]: (id: string) => Promise<EncodedResource | undefined> } = {
    site: buildSite,
    trust: buildTrust,
    credential: buildCredential,
    revocations: buildRevocations,
    waf: buildWaf,
  };

  async function build(name: string): Promise<EncodedResource | undefined> {
    const parsed = parseName(name);
    return parsed ? builders[parsed.type](parsed.id) : undefined;
  }

  /** Every name that may exist now: what `buildAll` builds. */
  async function candidateNames(): Promise<string[]> {
    const names: string[] = [];
    const sites = await listAll(store, 'site', indexes.allSites);
    for (const { data: account } of await listAll(store, 'account', indexes.accounts)) names.push(resourceName('revocations', account.id));
    await eachLimited(sites, async ({ id }) => {
      names.push(resourceName('site', id), resourceName('trust', id), resourceName('waf', id));
      const [credentials, customCas] = await Promise.all([
        listAll(store, 'serverCertificate', indexes.serverCertificatesOf(id)),
        listAll(store, 'customCa', indexes.customCasOfSite(id)),
      ]);
      for (const c of credentials) names.push(resourceName('credential', c.id));
      for (const ca of customCas) names.push(resourceName('revocations', ca.id));
    });
    return names.sort(compare);
  }

  return {
    build,
    names: candidateNames,

    async buildAll() {
      return buildEach(await candidateNames(), build);
    },

    async affectedNames(record) {
      const names = new Set<string>();
      const add = (type: ResourceType, id: string) => names.add(resourceName(type, id));
      for (const { kind, id, op } of record.changes) {
        switch (kind) {
          case 'site':
            add('site', id);
            add('trust', id);
            add('waf', id);
            // Credentials do not depend on the site's document; a deleted site's certificates
            // are deleted in the same commit, which lists them.
            break;
          case 'serverCertificate':
            add('credential', id);
            break;
          case 'accountCa':
            // First use of the account CA: bindings that named it before now trust it.
            for (const site of await listAll(store, 'site', indexes.sitesOf(id))) add('trust', site.id);
            break;
          case 'clientCertificate': {
            // Certificates are issued by the account CA (id = account id). A deleted one leaves a
            // revocation record in the same commit; the record's account covers the rest.
            const found = op === 'put' ? await store.get('clientCertificate', id) : undefined;
            const caId = found?.data.caId ?? record.accountId;
            if (caId) add('revocations', caId);
            break;
          }
          case 'customCa': {
            add('revocations', id);
            // Deleting a custom CA deletes its binding (`<site id>:<ca id>`) in the same commit,
            // which names the trust bundle it leaves.
            const found = op === 'put' ? await store.get('customCa', id) : undefined;
            if (found) add('trust', found.data.siteId);
            break;
          }
          case 'customCaCrl':
            add('revocations', id);
            break;
          case 'revocation':
            add('revocations', id.slice(0, id.indexOf(':')));
            break;
          case 'binding':
            add('trust', id.slice(0, id.indexOf(':')));
            break;
          case 'wafRuleset':
            add('waf', id);
            break;
          case 'account':
            add('revocations', id);
            break;
          // API keys, audit entries, the fleet CA and join tokens reach no edge.
          case 'apiKey':
          case 'audit':
          case 'fleetCa':
          case 'joinToken':
            break;
        }
      }
      return names;
    },
  };
}

/** The type and id of a resource name, or undefined for a name no type has. */
export function parseName(name: string): { type: ResourceType; id: string } | undefined {
  const type = resourceTypeOrder.find((t) => name.startsWith(resourceTypes[t].prefix));
  return type && { type, id: name.slice(resourceTypes[type].prefix.length) };
}

function wafRuleMessage(rule: WafRule): edgeV1.WafRule {
  const block = rule.action.type === 'block' ? rule.action : undefined;
  return {
    id: rule.id,
    expression: rule.expression,
    action: rule.action.type,
    status: block?.status ?? 0,
    body: block?.body ?? '',
    contentType: block?.contentType ?? '',
    enabled: rule.enabled,
    description: rule.name,
  };
}

/** Code-unit order, the same in every locale (localeCompare is not). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Builds `names` with `build` (a few at a time) into resource sets; a name built as undefined
 * is left out.
 */
export async function buildEach(
  names: readonly string[],
  build: (name: string) => Promise<EncodedResource | undefined>,
): Promise<ResourceSets> {
  const sets = Object.fromEntries(resourceTypeOrder.map((type) => [type, new Map<string, EncodedResource>()])) as unknown as ResourceSets;
  const built = new Map<string, EncodedResource>();
  await eachLimited(names, async (name) => {
    const resource = await build(name);
    if (resource) built.set(name, resource);
  });
  // Insertion in name order, whatever order the builds finished in.
  for (const name of names) {
    const resource = built.get(name);
    if (resource) sets[parseName(name)!.type].set(name, resource);
  }
  return sets;
}

async function eachLimited<T>(items: readonly T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(buildConcurrency, items.length) }, worker));
}
