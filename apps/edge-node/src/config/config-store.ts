import { resourceTypeOrder, type ConfigError, type EncodedResource, type ResourceType } from '@portcullis/config';
import type { CompiledResources } from './compiled-resources.ts';
import { buildSnapshot, type CompiledState, type ConfigSnapshot, type IncompleteSite } from './config-snapshot.ts';
import { compileResource } from './resource-compiler.ts';

/** What became of one delta: names swapped in or removed, and the resources refused. */
export interface ApplyOutcome {
  readonly applied: readonly string[];
  readonly removed: readonly string[];
  readonly rejected: readonly ConfigError[];
}

/** The resources a store holds, as received: what last-known-good persists. */
export type HeldResources = { readonly [T in ResourceType]: readonly EncodedResource[] };

/** What became of `restore`: all of it restored, or none of it, and why. */
export type RestoreOutcome =
  { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly errors: readonly ConfigError[] };

/**
 * Whether the store serves a complete, intact configuration (what an edge's readiness probe
 * reports). `status`, a stable code:
 * - `ready`: a configuration is served and every site in it is complete;
 * - `waiting-for-control-plane`: nothing is served yet (a fresh edge before every type's first
 *   response, or an edge without a control plane and without last-known-good);
 * - `last-known-good-refused`: nothing is served: the saved configuration was damaged and
 *   refused whole, and the control plane's has not arrived yet;
 * - `sites-incomplete`: a configuration is served, but the sites in `incompleteSites` miss a
 *   resource they depend on, so some or all of their hostnames refuse.
 */
export interface Readiness {
  /** `status === 'ready'`. */
  readonly ready: boolean;
  /** A configuration is served (`current` is defined), perhaps with some sites refused. */
  readonly serving: boolean;
  readonly status: 'ready' | 'waiting-for-control-plane' | 'last-known-good-refused' | 'sites-incomplete';
  /** One line for humans and logs (no secrets); '' when ready. */
  readonly reason: string;
  /** Non-empty exactly when `status` is `sites-incomplete`. */
  readonly incompleteSites: readonly IncompleteSite[];
}

/**
 * The edge's configuration cache. It knows resources and snapshots, nothing of gRPC or of
 * serving: the stream loop feeds it deltas, the TLS front and request handler read
 * `current`, the last-known-good writer listens to swaps.
 */
export interface ConfigStore {
  /**
   * The snapshot to serve with, undefined until the store is ready: after a successful
   * `restore` (the edge serves its last-known-good at once) or once every type has had a
   * delta (a fresh edge waits for the whole configuration rather than serve, say, bindings
   * before their rules). Replaced as a whole on every change; never mutated. Sites that miss
   * a resource are in it, refused (`ConfigSnapshot.servability`).
   */
  readonly current: ConfigSnapshot | undefined;
  /** Whether the store serves a complete, intact configuration, and if not why. Computed on read. */
  readonly readiness: Readiness;
  /** Name → version of what the store holds of `type` (a copy). */
  versions(type: ResourceType): Record<string, string>;
  /** Every resource held, as received. */
  held(): HeldResources;
  /**
   * Applies one delta of `type`: removals first, then each resource compiled on its own.
   * Resources that compile replace what is held under their names; a resource that does not
   * compile is reported in `rejected` and its name keeps its last good version (or stays
   * absent). Then one new snapshot is published (if ready) and listeners are told. A resource
   * whose version the store already holds is accepted without recompiling. Never throws.
   */
  apply(type: ResourceType, resources: readonly EncodedResource[], removed: readonly string[]): ApplyOutcome;
  /**
   * Loads resources saved earlier (last-known-good) into an empty store (call it before any
   * `apply`) and makes it ready, all or nothing: if any resource does not compile (its version
   * is not the hash of its body, it does not decode, its name or content is off) or a name is
   * saved twice, nothing is restored, the store stays empty and not ready, and readiness says
   * `last-known-good-refused` until every type has had a delta. A saved set in which a site
   * misses a resource is restored as it was (that site is refused, as it was when saved).
   */
  restore(saved: Partial<HeldResources>): RestoreOutcome;
  /**
   * Records that a saved configuration was refused before it reached `restore` (the file is
   * damaged: see last-known-good.ts); the store stays empty and readiness reports `reason`.
   */
  refuseRestore(reason: string): void;
  /** Calls `listener` after each published snapshot. Returns the unsubscribe function. */
  onSwap(listener: (snapshot: ConfigSnapshot) => void): () => void;
}

/** A held resource and its compiled form (of the type of the map that holds it). */
interface Entry {
  readonly resource: EncodedResource;
  readonly compiled: CompiledResources[ResourceType];
}

type Entries = Record<ResourceType, Map<string, Entry>>;

/** Creates an empty store. */
export function createConfigStore(): ConfigStore {
  let entries: Entries = emptyEntries();
  let current: ConfigSnapshot | undefined;
  let ready = false;
  let restoreRefused: string | undefined;
  const synced = new Set<ResourceType>();
  const listeners = new Set<(snapshot: ConfigSnapshot) => void>();

  const publish = () => {
    if (!ready) return;
    const state = Object.fromEntries(
      resourceTypeOrder.map((type) => [type, new Map([...entries[type]].map(([name, entry]) => [name, entry.compiled]))]),
    ) as unknown as CompiledState;
    current = buildSnapshot(state, current);
    for (const listener of listeners) listener(current);
  };

  const compileInto = (type: ResourceType, next: Map<string, Entry>, resource: EncodedResource): ConfigError | undefined => {
    if (next.get(resource.name)?.resource.version === resource.version) return undefined;
    const result = compileResource(type, resource);
    if (!result.ok) return result.error;
    next.set(resource.name, { resource, compiled: result.value });
    return undefined;
  };

  return {
    get current() {
      return current;
    },
    get readiness(): Readiness {
      if (!current) {
        const waiting = resourceTypeOrder.filter((type) => !synced.has(type));
        const waitingFor = `waiting for the control plane (no first response yet for ${waiting.join(', ')})`;
        return restoreRefused === undefined
          ? notReady(false, 'waiting-for-control-plane', waitingFor, [])
          : notReady(false, 'last-known-good-refused', `last-known-good refused: ${restoreRefused}; ${waitingFor}`, []);
      }
      const incomplete = current.incompleteSites;
      if (incomplete.length === 0) return { ready: true, serving: true, status: 'ready', reason: '', incompleteSites: [] };
      const listed = incomplete.slice(0, 10).map((site) => `${site.siteId} (missing ${site.missing.join(', ')})`);
      const more = incomplete.length > listed.length ? `, and ${incomplete.length - listed.length} more` : '';
      return notReady(true, 'sites-incomplete', `sites incomplete: ${listed.join('; ')}${more}`, incomplete);
    },
    versions: (type) => Object.fromEntries([...entries[type]].map(([name, entry]) => [name, entry.resource.version])),
    held: () =>
      Object.fromEntries(
        resourceTypeOrder.map((type) => [type, [...entries[type].values()].map((e) => e.resource)]),
      ) as unknown as HeldResources,
    apply(type, resources, removedNames) {
      const next = new Map(entries[type]);
      const removed = removedNames.filter((name) => next.delete(name));
      const applied: string[] = [];
      const rejected: ConfigError[] = [];
      for (const resource of resources) {
        const error = compileInto(type, next, resource);
        if (error) rejected.push(error);
        else applied.push(resource.name);
      }
      entries = { ...entries, [type]: next };
      synced.add(type);
      if (!ready && synced.size === resourceTypeOrder.length) ready = true;
      publish();
      return { applied, removed, rejected };
    },
    restore(saved) {
      const errors: ConfigError[] = [];
      const repeated: string[] = [];
      const next = emptyEntries();
      for (const type of resourceTypeOrder) {
        for (const resource of saved[type] ?? []) {
          if (next[type].has(resource.name)) repeated.push(resource.name);
          const error = compileInto(type, next[type], resource);
          if (error) errors.push(error);
        }
      }
      if (errors.length > 0 || repeated.length > 0) {
        const problems = [...errors.map((e) => `${e.resourceName} (${e.code})`), ...repeated.map((name) => `${name} (saved twice)`)];
        const reason = `${problems.length} saved resource(s) refused, so none is used: ${problems.slice(0, 10).join(', ')}${problems.length > 10 ? ', …' : ''}`;
        restoreRefused = reason;
        return { ok: false, reason, errors };
      }
      entries = next;
      ready = true;
      publish();
      return { ok: true };
    },
    refuseRestore(reason) {
      restoreRefused = reason;
    },
    onSwap(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function notReady(serving: boolean, status: Readiness['status'], reason: string, incompleteSites: readonly IncompleteSite[]): Readiness {
  return { ready: false, serving, status, reason, incompleteSites };
}

function emptyEntries(): Entries {
  return { site: new Map(), trust: new Map(), credential: new Map(), revocations: new Map(), waf: new Map() };
}
