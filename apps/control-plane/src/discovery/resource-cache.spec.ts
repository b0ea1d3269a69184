import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decodeResource, resourceTypeOrder, type ResourceType } from '@portcullis/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempDir } from '../../test/support/openssl.ts';
import { localKeyManager, type KeyManager } from '../crypto/key-manager.ts';
import { createServices } from '../domain/services.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { resourceBuilder, type ResourceSets } from './resource-builder.ts';
import { storeResourceCache, type CacheUpdate, type ResourceCache } from './resource-cache.ts';
import { applyOperation, createWorld, makePool, operationArbitrary, seedOperations, type World } from './test/world.ts';

const quiet = { error: () => {}, warn: () => {} };

function contents(source: ResourceSets | ResourceCache): Record<ResourceType, [string, string][]> {
  const of = (type: ResourceType) =>
    'version' in source && typeof source.version === 'function'
      ? (source as ResourceCache).resources(type)
      : (source as ResourceSets)[type];
  return Object.fromEntries(
    resourceTypeOrder.map((type) => [type, [...of(type)].map(([name, r]) => [name, r.version] as [string, string]).sort()]),
  ) as Record<ResourceType, [string, string][]>;
}

/**
 * What an edge relies on to tell "nothing" from "not received" (docs/edge-protocol.md): every
 * site has its `waf/<id>`, and every CA a trust bundle names has its `revocations/<id>`.
 */
function expectCompleteSites(cache: ResourceCache): void {
  for (const name of cache.resources('site').keys()) {
    const id = name.slice('site/'.length);
    expect(cache.resources('waf').has(`waf/${id}`), `waf/${id}`).toBe(true);
    expect(cache.resources('trust').has(`trust/${id}`), `trust/${id}`).toBe(true);
  }
  for (const trust of cache.resources('trust').values()) {
    for (const ca of decodeResource('trust', trust).cas) {
      expect(cache.resources('revocations').has(`revocations/${ca.id}`), `revocations/${ca.id} for ${trust.name}`).toBe(true);
    }
  }
}

/** A fresh embedded store with two accounts, services and a builder over them. */
async function fixture(pool: Awaited<ReturnType<typeof makePool>>, options: { changeRetention?: number; keyManager?: KeyManager } = {}) {
  const store: Store = createSqliteStore({
    path: ':memory:',
    ...(options.changeRetention ? { changeRetention: options.changeRetention } : {}),
  });
  const keyManager = options.keyManager ?? localKeyManager([randomBytes(32)]);
  const services = createServices({ store, keyManager, now: () => new Date() }, { adminToken: undefined });
  const world: World = await createWorld(services, store, pool);
  const builder = resourceBuilder({ store, keyManager });
  return { store, services, world, builder, keyManager };
}

describe('resource cache', () => {
  let dir: TempDir;
  let pool: Awaited<ReturnType<typeof makePool>>;

  beforeAll(async () => {
    dir = new TempDir();
    pool = await makePool(dir, 3);
  });
  afterAll(() => dir?.remove());

  it('holds, after any sequence of API operations applied incrementally, exactly what a full rebuild holds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(operationArbitrary, { minLength: 5, maxLength: 40 }),
        fc.array(fc.nat(3), { maxLength: 40 }),
        async (ops, pauses) => {
          const f = await fixture(pool);
          const cache = storeResourceCache({ store: f.store, builder: f.builder, log: quiet });
          try {
            await cache.start();
            for (const op of seedOperations) await applyOperation(f.world, op);
            for (const [i, op] of ops.entries()) {
              await applyOperation(f.world, op);
              // Sometimes catch up after each operation, sometimes after several (batches of records).
              if ((pauses[i] ?? 0) === 0) await cache.refresh();
            }
            await cache.refresh();
            expect(cache.version()).toBe(await f.store.revision());
            expect(contents(cache)).toEqual(contents(await f.builder.buildAll()));
            expectCompleteSites(cache);
          } finally {
            await cache.close();
            await f.store.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('tells watchers which names changed, once per update, and reaches a revision', async () => {
    const f = await fixture(pool);
    const cache = storeResourceCache({ store: f.store, builder: f.builder, pollMs: 5, log: quiet });
    await cache.start();
    const updates: CacheUpdate[] = [];
    const stop = cache.watch((u) => updates.push(u));
    try {
      const caller = f.world.callers[0]!;
      const site = await f.services.sites.create(caller, { name: 'watched.example.com', originUrl: 'https://o.example.net' });
      await cache.reach(await f.store.revision());
      const created = updates.at(-1)!;
      expect(created.version).toBe(await f.store.revision());
      expect([...created.changed.site]).toEqual([`site/${site.id}`]);
      expect([...created.changed.trust]).toEqual([`trust/${site.id}`]);
      // Every site has a WAF ruleset, empty when it has no rules.
      expect([...created.changed.waf]).toEqual([`waf/${site.id}`]);
      expect([...created.changed.credential, ...created.changed.revocations]).toEqual([]);
      await f.services.sites.delete(caller, site.id);
      await cache.reach(await f.store.revision());
      expect([...updates.at(-1)!.changed.site]).toEqual([`site/${site.id}`]);
      expect(cache.resources('site').size).toBe(0);
      // A change that reaches no edge moves the version and changes no name.
      const before = updates.length;
      await f.services.accounts.createApiKey(caller, caller.kind === 'account' ? caller.accountId : '', 'k');
      await cache.reach(await f.store.revision());
      expect(updates.length).toBe(before + 1);
      expect(resourceTypeOrder.every((type) => updates.at(-1)!.changed[type].size === 0)).toBe(true);
    } finally {
      stop();
      await cache.close();
      await f.store.close();
    }
  });

  it('rebuilds everything when the store trimmed change records it had not read, and reports the difference', async () => {
    const f = await fixture(pool, { changeRetention: 2 });
    const cache = storeResourceCache({ store: f.store, builder: f.builder, log: quiet });
    await cache.start();
    const updates: CacheUpdate[] = [];
    cache.watch((u) => updates.push(u));
    try {
      const caller = f.world.callers[1]!;
      const kept = await f.services.sites.create(caller, { name: 'kept.example.com', originUrl: 'https://o.example.net' });
      await cache.refresh();
      for (let i = 0; i < 5; i++)
        await f.services.sites.create(caller, { name: `trimmed${i}.example.com`, originUrl: 'https://o.example.net' });
      await f.services.sites.delete(caller, kept.id);
      expect((await f.store.changes(cache.version(), 10)).oldest).toBeGreaterThan(cache.version() + 1);
      await cache.refresh();
      expect(cache.version()).toBe(await f.store.revision());
      expect(contents(cache)).toEqual(contents(await f.builder.buildAll()));
      const resync = updates.at(-1)!;
      expect(resync.changed.site.size).toBe(6);
      expect(resync.changed.site.has(`site/${kept.id}`)).toBe(true);
    } finally {
      await cache.close();
      await f.store.close();
    }
  });

  it('leaves out a credential whose sealed key does not open, and keeps serving the rest', async () => {
    const f = await fixture(pool);
    const caller = f.world.callers[0]!;
    await applyOperation(f.world, { kind: 'createSite', account: 0, pick: 0, value: 0 });
    await applyOperation(f.world, { kind: 'uploadServerCertificate', account: 0, pick: 0, value: 0 });
    const wrongKey = resourceBuilder({ store: f.store, keyManager: localKeyManager([randomBytes(32)]) });
    const errors: object[] = [];
    const cache = storeResourceCache({ store: f.store, builder: wrongKey, log: { warn: () => {}, error: (d) => errors.push(d) } });
    try {
      await cache.start();
      expect(cache.resources('credential').size).toBe(0);
      expect(cache.resources('site').size).toBe(1);
      expect(errors).toHaveLength(1);
      await f.services.sites.create(caller, { name: 'after.example.com', originUrl: 'https://o.example.net' });
      await cache.refresh();
      expect(cache.resources('site').size).toBe(2);
    } finally {
      await cache.close();
      await f.store.close();
    }
  });
});
