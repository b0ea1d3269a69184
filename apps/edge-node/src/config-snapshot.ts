import type tls from 'node:tls';
import type { ResourceType } from '@portcullis/config';
import { createTrustStore } from '@portcullis/pki';
import type { CompiledRuleset } from '@portcullis/waf';
import type { CompiledCredential, CompiledResources, CompiledTrust, HostnameTrust } from './compiled-resources.ts';
import { isWithinZone, parentOf } from '@portcullis/config';
import { createServerContext } from './secure-contexts.ts';

/** The compiled resources of every type, by resource name: what a snapshot is built from. */
export type CompiledState = { readonly [T in ResourceType]: ReadonlyMap<string, CompiledResources[T]> };

/** A site as requests see it. */
export interface SiteConfig {
  readonly id: string;
  readonly zone: string;
  readonly origin: URL;
  /** Send the origin the client certificate as RFC 9440 `Client-Cert`. */
  readonly forwardClientCert: boolean;
  /** Undefined when the site has no rules: every request passes. */
  readonly waf: CompiledRuleset | undefined;
}

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
  /** The site serving `hostname` (canonical form): the one with the longest matching zone. */
  route(hostname: string): SiteConfig | undefined;
  /** How to terminate TLS for `serverName`; undefined when no credential serves it (refuse). */
  tlsFor(serverName: string): TlsChoice | undefined;
  /** Whether the CA `caId` revoked `serial` (libs/pki's hex form). One map and one set lookup. */
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

const material = new WeakMap<ConfigSnapshot, BuiltMaterial>();
const noRevocations: ReadonlySet<string> = new Set();

/**
 * Builds a snapshot. Every SecureContext and trust store a handshake may need is built here
 * (reused from `previous` when its material is unchanged), so handshakes only look up.
 * References are resolved leniently, since each type arrives on its own stream: a credential,
 * bundle or ruleset of a site the edge does not hold is ignored, and so are names outside the
 * site's zone; a site whose trust bundle has not arrived is not served at all. Of two credentials for one name the one that expires last serves (then the
 * lower id). Throws only what `tls.createSecureContext` throws for material that compiled
 * alone, which does not happen for validated resources.
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
  const sitesByZone = new Map<string, { site: SiteConfig; tls: SiteTls }>();
  for (const compiled of state.site.values()) {
    // Every site has a trust bundle, empty when nothing is bound (docs/edge-protocol.md): until
    // it has arrived the edge cannot tell which names need a client certificate, so it does
    // not serve the site rather than serve an mTLS name without asking for one.
    if (!trustBySite.has(compiled.id)) continue;
    const site: SiteConfig = {
      id: compiled.id,
      zone: compiled.zone,
      origin: compiled.origin,
      forwardClientCert: compiled.forwardClientCert,
      waf: wafBySite.get(compiled.id),
    };
    const tls = siteTls(site, credentialsBySite.get(site.id) ?? [], trustBySite.get(site.id), reuse, built);
    sitesByZone.set(site.zone, { site, tls });
  }
  const revocations = new Map([...state.revocations.values()].map((set) => [set.caId, set.serials]));

  const routeEntry = (hostname: string) => {
    for (let name: string | undefined = hostname; name !== undefined; name = parentOf(name)) {
      const entry = sitesByZone.get(name);
      if (entry) return entry;
    }
    return undefined;
  };
  const snapshot: ConfigSnapshot = {
    generation: (previous?.generation ?? 0) + 1,
    route: (hostname) => routeEntry(hostname)?.site,
    tlsFor(serverName) {
      const entry = routeEntry(serverName);
      if (!entry) return undefined;
      const parent = parentOf(serverName);
      return entry.tls.exact.get(serverName) ?? (parent === undefined ? undefined : entry.tls.wildcard.get(parent));
    },
    isRevoked: (caId, serial) => (revocations.get(caId) ?? noRevocations).has(serial),
  };
  material.set(snapshot, built);
  return Object.freeze(snapshot);
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
