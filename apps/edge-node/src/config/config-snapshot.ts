import type tls from 'node:tls';
import { isWithinZone, parentOf, resourceName, type ResourceType } from '@portcullis/config';
import { createTrustStore } from '@portcullis/pki';
import type { CompiledRuleset } from '@portcullis/waf';
import type { CompiledCredential, CompiledResources, CompiledTrust, HostnameTrust } from './compiled-resources.ts';
import { createServerContext } from '../tls/secure-contexts.ts';

/** The compiled resources of every type, by resource name: what a snapshot is built from. */
export type CompiledState = { readonly [T in ResourceType]: ReadonlyMap<string, CompiledResources[T]> };

/** A site as requests see it. */
export interface SiteConfig {
  readonly id: string;
  readonly zone: string;
  readonly origin: URL;
  /** Send the origin the client certificate as RFC 9440 `Client-Cert`. */
  readonly forwardClientCert: boolean;
  /** The site's rules, empty when it has none: a site is never served without its ruleset. */
  readonly waf: CompiledRuleset;
}

/**
 * A site the snapshot holds but cannot serve whole, because a resource it depends on is not
 * held (never received, refused by the compiler, or removed). See `buildSnapshot`.
 */
export interface IncompleteSite {
  readonly siteId: string;
  /** Undefined when the site's own `site/<id>` is the missing one. */
  readonly zone: string | undefined;
  /** The names of the missing resources, sorted: `trust/<id>`, `waf/<id>`, `revocations/<ca id>`. */
  readonly missing: readonly string[];
  /**
   * `all`: every hostname of the site refuses (its trust bundle or its WAF ruleset is
   * missing); `mtls`: only its hostnames with mTLS bindings refuse (only revocation sets are
   * missing, which nothing but a client certificate check reads; or the site document is
   * missing and its trust bundle's bindings are all the edge knows of its names).
   */
  readonly refuses: 'all' | 'mtls';
}

/** Whether a hostname is served now, and why not. */
export type Servability =
  | { readonly servable: true; readonly site: SiteConfig }
  | { readonly servable: false; readonly reason: 'no-site' | 'site-incomplete'; readonly detail: string };

/** How the edge terminates TLS for one server name. */
export interface TlsChoice {
  readonly site: SiteConfig;
  /** The cached context: the credential and, on mTLS hostnames, exactly the bound CAs. */
  readonly context: tls.SecureContext;
  /**
   * The CAs bound to the name and their trust store; undefined when the name has no bindings,
   * and then no client certificate is requested. The object is shared by every name and
   * snapshot with the same CAs, so a connection can tell by identity whether its name's CAs
   * changed since its handshake.
   */
  readonly trust: HostnameTrust | undefined;
}

/**
 * One immutable configuration: what every handshake and request reads. The edge swaps whole
 * snapshots; a request reads one snapshot from start to end, so it never sees half a change.
 */
export interface ConfigSnapshot {
  /** Increases by one with every snapshot a store publishes. */
  readonly generation: number;
  /**
   * The site serving `hostname` (canonical form): the one with the longest matching zone;
   * undefined when none does or when `servability` refuses the name (never a fallback to a
   * site of a shorter zone).
   */
  route(hostname: string): SiteConfig | undefined;
  /**
   * How to terminate TLS for `serverName`; undefined (refuse the handshake) when no credential
   * serves it or when `servability` refuses the name.
   */
  tlsFor(serverName: string): TlsChoice | undefined;
  /** Whether `hostname` is served, else why not: what `route` and `tlsFor` obey. */
  servability(hostname: string): Servability;
  /** The sites held that cannot be served whole, by site id. Empty when every site is complete. */
  readonly incompleteSites: readonly IncompleteSite[];
  /**
   * Whether the CA `caId` revoked `serial` (libs/pki's hex form). One map and one set lookup.
   * A CA whose revocation set the edge does not hold revokes everything: "nothing revoked" is
   * never assumed (no served mTLS name has such a CA: its site would be incomplete).
   */
  isRevoked(caId: string, serial: string): boolean;
}

interface SiteTls {
  readonly exact: ReadonlyMap<string, TlsChoice>;
  readonly wildcard: ReadonlyMap<string, TlsChoice>;
}

/** Contexts and trust stores by material, carried from one snapshot to the next. */
interface BuiltMaterial {
  readonly contexts: Map<string, tls.SecureContext>;
  readonly trusts: Map<string, HostnameTrust>;
}

/** A site by zone: what serving it needs, or what it misses. */
interface SiteEntry {
  /** Undefined when every hostname refuses. */
  readonly site: SiteConfig | undefined;
  readonly tls: SiteTls;
  readonly trust: CompiledTrust | undefined;
  readonly incomplete: IncompleteSite | undefined;
}

const material = new WeakMap<ConfigSnapshot, BuiltMaterial>();

/**
 * Builds a snapshot. Every SecureContext and trust store a handshake may need is built here
 * (reused from `previous` when its material is unchanged), so handshakes only look up.
 * References are resolved leniently, since each type arrives on its own stream: a credential,
 * bundle or ruleset of a site the edge does not hold is ignored, and so are names outside the
 * site's zone. Of two credentials for one name the one that expires last serves (then the
 * lower id).
 *
 * Completeness (docs/edge-protocol.md): the control plane sends every site a `trust/<id>` and
 * a `waf/<id>`, and every CA a trust bundle names a `revocations/<ca id>`, empty when there is
 * nothing in them; so a missing one means "not received" (or refused, or removed), never
 * "nothing". A site is complete when all of them are held. An incomplete site fails closed:
 * without its trust bundle or ruleset every hostname of it refuses (the edge cannot tell
 * which names need a certificate, and the rules it lacks could block any name); with only
 * revocation sets missing, its hostnames with mTLS bindings refuse and the others are served.
 * A refused name still belongs to its site: it never falls back to a site of a shorter zone.
 * Nor does a name bound in a trust bundle whose site the edge does not hold (the site's first
 * version refused, not received yet, or removed while the bundle's removal is on its way):
 * another site must not serve, without a certificate, a name that asks for one.
 * Throws only what `tls.createSecureContext` throws for material that compiled alone, which
 * does not happen for validated resources.
 */
export function buildSnapshot(state: CompiledState, previous: ConfigSnapshot | undefined): ConfigSnapshot {
  const reuse = previous ? material.get(previous) : undefined;
  const built: BuiltMaterial = { contexts: new Map(), trusts: new Map() };
  const wafBySite = new Map([...state.waf.values()].map((waf) => [waf.siteId, waf.ruleset]));
  const trustBySite = new Map([...state.trust.values()].map((trust) => [trust.siteId, trust]));
  const credentialsBySite = new Map<string, CompiledCredential[]>();
  for (const credential of state.credential.values()) {
    credentialsBySite.set(credential.siteId, [...(credentialsBySite.get(credential.siteId) ?? []), credential]);
  }
  const revocations = new Map([...state.revocations.values()].map((set) => [set.caId, set.serials]));
  const sitesByZone = new Map<string, SiteEntry>();
  const incompleteSites: IncompleteSite[] = [];
  for (const compiled of state.site.values()) {
    const trust = trustBySite.get(compiled.id);
    const waf = wafBySite.get(compiled.id);
    const missing = [
      ...(trust ? [] : [resourceName('trust', compiled.id)]),
      ...(waf ? [] : [resourceName('waf', compiled.id)]),
      ...[...(trust?.cas.keys() ?? [])].filter((caId) => !revocations.has(caId)).map((caId) => resourceName('revocations', caId)),
    ].sort();
    const incomplete: IncompleteSite | undefined =
      missing.length === 0 ? undefined : { siteId: compiled.id, zone: compiled.zone, missing, refuses: trust && waf ? 'mtls' : 'all' };
    if (incomplete) incompleteSites.push(incomplete);
    const site: SiteConfig | undefined =
      trust && waf
        ? { id: compiled.id, zone: compiled.zone, origin: compiled.origin, forwardClientCert: compiled.forwardClientCert, waf }
        : undefined;
    const tls = site ? siteTls(site, credentialsBySite.get(site.id) ?? [], trust, reuse, built) : noTls;
    sitesByZone.set(compiled.zone, { site, tls, trust, incomplete });
  }
  const orphans = [...state.trust.values()]
    .filter((trust) => !state.site.has(resourceName('site', trust.siteId)))
    .map((trust) => ({
      trust,
      incomplete: { siteId: trust.siteId, zone: undefined, missing: [resourceName('site', trust.siteId)], refuses: 'mtls' } as const,
    }));
  incompleteSites.push(...orphans.map((orphan) => orphan.incomplete));
  incompleteSites.sort((a, b) => (a.siteId < b.siteId ? -1 : a.siteId > b.siteId ? 1 : 0));

  const routeEntry = (hostname: string) => {
    for (let name: string | undefined = hostname; name !== undefined; name = parentOf(name)) {
      const entry = sitesByZone.get(name);
      if (entry) return entry;
    }
    return undefined;
  };
  /** Why `entry` does not serve `hostname`: the incomplete site in the way; undefined when it serves it. */
  const refusal = (entry: SiteEntry, hostname: string): IncompleteSite | undefined => {
    if (!entry.site) return entry.incomplete;
    if (entry.incomplete && hasBindings(entry.site.zone, entry.trust, hostname)) return entry.incomplete;
    return orphans.find((orphan) => hasBindings(undefined, orphan.trust, hostname))?.incomplete;
  };
  const servedBy = (entry: SiteEntry | undefined, hostname: string): SiteConfig | undefined =>
    entry && !refusal(entry, hostname) ? entry.site : undefined;
  const snapshot: ConfigSnapshot = {
    generation: (previous?.generation ?? 0) + 1,
    route: (hostname) => servedBy(routeEntry(hostname), hostname),
    tlsFor(serverName) {
      const entry = routeEntry(serverName);
      if (!servedBy(entry, serverName)) return undefined;
      const parent = parentOf(serverName);
      return entry!.tls.exact.get(serverName) ?? (parent === undefined ? undefined : entry!.tls.wildcard.get(parent));
    },
    servability(hostname) {
      const entry = routeEntry(hostname);
      if (!entry) return { servable: false, reason: 'no-site', detail: `no site serves ${hostname}` };
      const refused = refusal(entry, hostname);
      if (!refused) return { servable: true, site: entry.site! };
      const { siteId, missing } = refused;
      return { servable: false, reason: 'site-incomplete', detail: `site ${siteId} is incomplete: missing ${missing.join(', ')}` };
    },
    incompleteSites: Object.freeze(incompleteSites),
    isRevoked(caId, serial) {
      const set = revocations.get(caId);
      return set === undefined || set.has(serial);
    },
  };
  material.set(snapshot, built);
  return Object.freeze(snapshot);
}

const noTls: SiteTls = { exact: new Map(), wildcard: new Map() };

/**
 * Whether `hostname` has mTLS bindings in `trust` (exact, or a wildcard covering it) on the
 * site of `zone` (undefined: of a zone the edge does not know, so every binding counts).
 */
function hasBindings(zone: string | undefined, trust: CompiledTrust | undefined, hostname: string): boolean {
  if (trust?.exact.has(hostname)) return true;
  const parent = parentOf(hostname);
  return parent !== undefined && (zone === undefined || isWithinZone(parent, zone)) && (trust?.wildcard.has(parent) ?? false);
}

/**
 * The TLS choices of one site. A server name resolves to its exact entry, else to the entry
 * of its parent's one-label wildcard; so entries are made for every exact name that a
 * credential or binding mentions, and for every wildcard parent. An exact name takes the CAs
 * of its exact binding and of a covering wildcard binding together.
 */
function siteTls(
  site: SiteConfig,
  credentials: readonly CompiledCredential[],
  trust: CompiledTrust | undefined,
  reuse: BuiltMaterial | undefined,
  built: BuiltMaterial,
): SiteTls {
  const inZone = (name: string) => isWithinZone(name, site.zone);
  const credentialExact = new Map<string, CompiledCredential>();
  const credentialWildcard = new Map<string, CompiledCredential>();
  for (const credential of credentials) {
    for (const name of credential.exact) if (inZone(name)) keepBetter(credentialExact, name, credential);
    for (const parent of credential.wildcard) if (inZone(parent)) keepBetter(credentialWildcard, parent, credential);
  }
  const bindExact = new Map([...(trust?.exact ?? [])].filter(([name]) => inZone(name)));
  const bindWildcard = new Map([...(trust?.wildcard ?? [])].filter(([parent]) => inZone(parent)));

  const choice = (credential: CompiledCredential | undefined, caIds: readonly string[]): TlsChoice | undefined => {
    if (!credential) return undefined;
    if (caIds.length === 0) return { site, context: credential.plainContext, trust: undefined };
    const cas = caIds.map((id) => trust!.cas.get(id)!);
    const casKey = cas.map((ca) => `${ca.id}:${ca.fingerprintSha256}`).join(',');
    const hostnameTrust = obtain(built.trusts, reuse?.trusts, casKey, () => ({
      caIds,
      store: createTrustStore(cas.map((ca) => ({ id: ca.id, certificate: ca.pem }))),
    }));
    const contextKey = `${credential.version}|${casKey}`;
    const context = obtain(built.contexts, reuse?.contexts, contextKey, () =>
      createServerContext(
        credential,
        cas.map((ca) => ca.pem),
        contextKey,
      ),
    );
    return { site, context, trust: hostnameTrust };
  };

  const exact = new Map<string, TlsChoice>();
  for (const name of new Set([...credentialExact.keys(), ...bindExact.keys()])) {
    const parent = parentOf(name);
    const covering = parent === undefined ? undefined : credentialWildcard.get(parent);
    const caIds = union(bindExact.get(name), parent === undefined ? undefined : bindWildcard.get(parent));
    const resolved = choice(credentialExact.get(name) ?? covering, caIds);
    if (resolved) exact.set(name, resolved);
  }
  const wildcard = new Map<string, TlsChoice>();
  for (const parent of credentialWildcard.keys()) {
    wildcard.set(parent, choice(credentialWildcard.get(parent), bindWildcard.get(parent) ?? [])!);
  }
  return { exact, wildcard };
}

function keepBetter(table: Map<string, CompiledCredential>, name: string, candidate: CompiledCredential): void {
  const current = table.get(name);
  if (!current || candidate.notAfter > current.notAfter || (candidate.notAfter === current.notAfter && candidate.id < current.id)) {
    table.set(name, candidate);
  }
}

function union(a: readonly string[] | undefined, b: readonly string[] | undefined): readonly string[] {
  if (!b || b.length === 0) return a ?? [];
  if (!a || a.length === 0) return b;
  return Object.freeze([...new Set([...a, ...b])].sort());
}

function obtain<T>(into: Map<string, T>, from: Map<string, T> | undefined, key: string, build: () => T): T {
  let value = into.get(key) ?? from?.get(key);
  if (value === undefined) value = build();
  into.set(key, value);
  return value;
}
