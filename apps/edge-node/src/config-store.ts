import { resourceTypeOrder, type ConfigError, type EncodedResource, type ResourceType } from '@portcullis/config';
import type { CompiledResources } from './compiled-resources.ts';
import { buildSnapshot, type CompiledState, type ConfigSnapshot } from './config-snapshot.ts';
import { compileResource } from './resource-compiler.ts';

/** What became of one delta: names swapped in or removed, and the resources refused. */
export interface ApplyOutcome {
  readonly applied: readonly string[];
  readonly removed: readonly string[];
  readonly rejected: readonly ConfigError[];
}

/** The resources a store holds, as received: what last-known-good persists. */
export type HeldResources = { readonly [T in ResourceType]: readonly EncodedResource[] };

/**
 * The edge's configuration cache. It knows resources and snapshots, nothing of gRPC or of
 * serving: the stream loop feeds it deltas, the TLS front and request handler read
 * `current`, the last-known-good writer listens to swaps.
 */
export interface ConfigStore {
  /**
   * The snapshot to serve with, undefined until the store is ready: after `restore` (the edge
   * serves its last-known-good at once) or once every type has had a delta (a fresh edge
   * waits for the whole configuration rather than serve, say, bindings before their rules).
   * Replaced as a whole on every change; never mutated.
   */
  readonly current: ConfigSnapshot | undefined;
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
   * Loads resources saved earlier (last-known-good) into an empty store and makes it ready.
   * Resources that no longer compile are dropped and returned.
   */
  restore(saved: Partial<HeldResources>): readonly ConfigError[];
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
      const dropped: ConfigError[] = [];
      const next = emptyEntries();
      for (const type of resourceTypeOrder) {
        for (const resource of saved[type] ?? []) {
          const error = compileInto(type, next[type], resource);
          if (error) dropped.push(error);
        }
      }
      entries = next;
      ready = true;
      publish();
      return dropped;
    },
    onSwap(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function emptyEntries(): Entries {
  return { site: new Map(), trust: new Map(), credential: new Map(), revocations: new Map(), waf: new Map() };
}
