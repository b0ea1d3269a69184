import { encodeResource, resourceTypeOrder, resourceTypes, type EncodedResource, type ResourceType } from '@portcullis/config';
import { describe, expect, it } from 'vitest';
import { edgeStatusRegistry } from './edge-status.ts';
import { memoryDeltaStream } from './memory-channel.ts';
import { replicaLiveness } from './replica-liveness.ts';
import type { CacheUpdate, ResourceCache } from './resource-cache.ts';
import { manualStoreHealth, manualTicker } from './test/manual-store-health.ts';

const siteUrl = resourceTypes.site.typeUrl;

/**
 * A resource cache the test edits by hand; `commit` publishes like the real one. Its replica's
 * liveness follows a store health set by hand and beats when `ticker.tick()` is called.
 */
function handCache() {
  const sets = Object.fromEntries(resourceTypeOrder.map((t) => [t, new Map<string, EncodedResource>()])) as Record<
    ResourceType,
    Map<string, EncodedResource>
  >;
  const listeners = new Set<(u: CacheUpdate) => void>();
  let version = 1;
  let changed = new Set<string>();
  const cache: ResourceCache = {
    version: () => version,
    resources: (type) => sets[type],
    watch(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const health = manualStoreHealth();
  const ticker = manualTicker();
  const clock = { now: 0 };
  const liveness = replicaLiveness({ storeHealth: health, cache, every: ticker.every, now: () => clock.now, maxLagMs: 3_000 });
  return {
    cache,
    health,
    ticker,
    clock,
    liveness,
    listeners,
    site(id: string, origin = 'https://o.example.net') {
      const resource = encodeResource('site', `site/${id}`, { id, zone: `${id}.example.com`, originUrl: origin, forwardClientCert: false });
      sets.site.set(resource.name, resource);
      changed.add(resource.name);
      return resource;
    },
    remove(name: string) {
      sets.site.delete(name);
      changed.add(name);
    },
    commit() {
      version++;
      const update = {
        version,
        changed: Object.fromEntries(resourceTypeOrder.map((t) => [t, t === 'site' ? changed : new Set<string>()])),
      } as unknown as CacheUpdate;
      changed = new Set();
      for (const listener of listeners) listener(update);
    },
  };
}

const names = (response: { resources: { name: string }[] }) => response.resources.map((r) => r.name).sort();

describe('delta stream (in memory)', () => {
  it('sends a fresh edge everything, with a nonce and the cache version', async () => {
    const h = handCache();
    const a = h.site('a');
    h.site('b');
    const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status: edgeStatusRegistry() });
    edge.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    const first = await edge.next();
    expect(names(first)).toEqual(['site/a', 'site/b']);
    expect(first.removedResources).toEqual([]);
    expect(first.typeUrl).toBe(siteUrl);
    expect(first.nonce).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(first.systemVersion).toBe(1);
    const sent = first.resources.find((r) => r.name === 'site/a')!;
    expect(sent.version).toBe(a.version);
    expect(Buffer.from(sent.body)).toEqual(Buffer.from(a.body));
  });

  it('answers an edge that holds every current version with an empty response, and removes what it holds that is gone', async () => {
    const h = handCache();
    const a = h.site('a');
    const b = h.site('b');
    const current = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status: edgeStatusRegistry() });
    current.send({ nodeId: 'edge-1', typeUrl: siteUrl, initialResourceVersions: { [a.name]: a.version, [b.name]: b.version } });
    const empty = await current.next();
    expect([empty.resources, empty.removedResources, empty.nonce !== '']).toEqual([[], [], true]);

    const stale = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status: edgeStatusRegistry() });
    stale.send({ nodeId: 'edge-2', typeUrl: siteUrl, initialResourceVersions: { [a.name]: 'old', 'site/gone': 'v1' } });
    const response = await stale.next();
    expect(names(response)).toEqual(['site/a', 'site/b']);
    expect(response.removedResources).toEqual(['site/gone']);
  });

  it('after an ACK sends only what changed, and removals; nothing while nothing differs', async () => {
    const h = handCache();
    h.site('a');
    h.site('b');
    h.commit();
    const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status: edgeStatusRegistry() });
    edge.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    const first = await edge.next();
    edge.send({ responseNonce: first.nonce });
    h.site('a', 'https://changed.example.net');
    h.commit();
    const second = await edge.next();
    expect(names(second)).toEqual(['site/a']);
    expect(second.systemVersion).toBe(3);
    edge.send({ responseNonce: second.nonce });
    h.remove('site/b');
    h.commit();
    const third = await edge.next();
    expect([third.resources, third.removedResources]).toEqual([[], ['site/b']]);
    edge.send({ responseNonce: third.nonce });
    // A rebuild that lands on the same version sends nothing.
    h.site('a', 'https://changed.example.net');
    h.commit();
    await expect(edge.next(50)).rejects.toThrow(/no response/);
  });

  it('keeps one response in flight and coalesces the changes meanwhile into the next one', async () => {
    const h = handCache();
    const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status: edgeStatusRegistry() });
    edge.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    const first = await edge.next();
    expect(first.resources).toEqual([]);
    for (let i = 0; i < 5; i++) {
      h.site('a', `https://o${i}.example.net`);
      h.site(`n${i}`);
      h.commit();
    }
    h.remove('site/n0');
    h.commit();
    expect(edge.queued).toHaveLength(0);
    // A stale or unknown nonce does not release the next response.
    edge.send({ responseNonce: 'not-the-nonce' });
    expect(edge.queued).toHaveLength(0);
    edge.send({ responseNonce: first.nonce });
    const second = await edge.next();
    expect(names(second)).toEqual(['site/a', 'site/n1', 'site/n2', 'site/n3', 'site/n4']);
    // n0 came and went while the first response was in flight: the edge never held it.
    expect(second.removedResources).toEqual([]);
    expect(second.resources.find((r) => r.name === 'site/a')!.version).toBe(h.cache.resources('site').get('site/a')!.version);
    expect(second.systemVersion).toBe(7);
    expect(edge.queued).toHaveLength(0);
  });

  it('never resends a NACKed version, resends the rest of the refused response, and sends the resource again once it changes', async () => {
    const h = handCache();
    const status = edgeStatusRegistry();
    h.site('good');
    const bad = h.site('bad', 'https://v1.example.net');
    const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status });
    edge.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    const first = await edge.next();
    edge.send({
      responseNonce: first.nonce,
      errorDetail: { code: 'Resource.Invalid', message: 'site/bad: no', resourceNames: ['site/bad'] },
    });
    // The edge may have refused the whole response: the good resource comes again, the bad one not.
    const repeat = await edge.next();
    expect(names(repeat)).toEqual(['site/good']);
    edge.send({ responseNonce: repeat.nonce });
    const nack = status.get('edge-1')!.types[0]!.lastNack!;
    expect(nack).toMatchObject({ code: 'Resource.Invalid', message: 'site/bad: no', resourceNames: ['site/bad'], systemVersion: 1 });
    expect(status.get('edge-1')!.types[0]!.versions.has(bad.name)).toBe(false);
    // Other changes flow without the NACKed version.
    h.site('other');
    h.commit();
    expect(names(await edge.next().then((r) => (edge.send({ responseNonce: r.nonce }), r)))).toEqual(['site/other']);
    // The same version again (an unrelated rebuild) is not resent; a new version is.
    h.site('bad', 'https://v1.example.net');
    h.commit();
    await expect(edge.next(50)).rejects.toThrow(/no response/);
    h.site('bad', 'https://v2.example.net');
    h.commit();
    expect(names(await edge.next())).toEqual(['site/bad']);
  });

  it('treats a NACK that names nothing it sent as refusing everything, so an edge refusing all cannot loop', async () => {
    const h = handCache();
    h.site('a');
    h.site('b');
    const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status: edgeStatusRegistry() });
    edge.send({ nodeId: 'edge-1', typeUrl: siteUrl, initialResourceVersions: { 'site/gone': 'v1' } });
    const first = await edge.next();
    expect(first.removedResources).toEqual(['site/gone']);
    edge.send({ responseNonce: first.nonce, errorDetail: { code: 'Snapshot.Invalid', message: 'everything is wrong', resourceNames: [] } });
    await expect(edge.next(50)).rejects.toThrow(/no response/);
  });

  it('splits a large set over several responses, each after the previous ACK', async () => {
    const h = handCache();
    for (let i = 0; i < 10; i++) h.site(`s${i}`);
    const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status: edgeStatusRegistry(), maxResponseBytes: 100 });
    edge.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    const seen: string[] = [];
    for (;;) {
      const response = await edge.next(50).catch(() => undefined);
      if (!response) break;
      expect(response.resources.reduce((n, r) => n + r.body.length, 0)).toBeLessThanOrEqual(100);
      seen.push(...names(response));
      edge.send({ responseNonce: response.nonce });
    }
    expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `site/s${i}`).sort());
  });

  it('records per edge: connection, ACKed versions and system version, last NACK; disconnection when its streams end', async () => {
    const h = handCache();
    const a = h.site('a');
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const status = edgeStatusRegistry(() => new Date((clock += 1000)));
    const edge = memoryDeltaStream({
      cache: h.cache,
      liveness: h.liveness,
      status,
      peer: { address: '10.0.0.7:5000', certificate: { serialNumber: '0a', notAfter: '2030-02-01T00:00:00.000Z' } },
    });
    edge.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    const first = await edge.next();
    let seen = status.get('edge-1')!;
    expect(seen).toMatchObject({ nodeId: 'edge-1', connected: true, peer: '10.0.0.7:5000', certificate: { serialNumber: '0a' } });
    expect(seen.types[0]).toMatchObject({ type: 'site', typeUrl: siteUrl, openStreams: 1, ackedSystemVersion: undefined });
    edge.send({ responseNonce: first.nonce });
    seen = status.get('edge-1')!;
    expect(seen.types[0]!.ackedSystemVersion).toBe(1);
    expect([...seen.types[0]!.versions]).toEqual([[a.name, a.version]]);
    expect(seen.connectedSince! < seen.lastSeen).toBe(true);
    const other = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status });
    other.send({ nodeId: 'edge-2', typeUrl: resourceTypes.waf.typeUrl });
    await other.next();
    expect(status.list().map((e) => e.nodeId)).toEqual(['edge-2', 'edge-1']);
    edge.close();
    expect(status.get('edge-1')).toMatchObject({ connected: false, connectedSince: undefined });
    expect(h.listeners.size).toBe(1);
    other.close();
    expect(h.listeners.size).toBe(0);
  });

  it('refuses an unknown type, a malformed node id, a node id other than the certificate’s, and changes of either mid-stream', async () => {
    const h = handCache();
    const status = edgeStatusRegistry();
    const cases: [Partial<Parameters<ReturnType<typeof memoryDeltaStream>['send']>[0]>, string][] = [
      [{ nodeId: 'edge-1', typeUrl: 'portcullis.edge.v1.Nope' }, 'InvalidArgument'],
      [{ nodeId: '', typeUrl: siteUrl }, 'InvalidArgument'],
      [{ nodeId: 'Edge_1', typeUrl: siteUrl }, 'InvalidArgument'],
      [{ nodeId: 'edge-2', typeUrl: siteUrl }, 'PermissionDenied'],
    ];
    for (const [request, code] of cases) {
      const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status, authenticatedNodeId: 'edge-1' });
      edge.send(request);
      expect(edge.failure()?.code, JSON.stringify(request)).toBe(code);
      expect(edge.queued).toHaveLength(0);
    }
    expect(status.list()).toEqual([]);
    expect(h.listeners.size).toBe(0);
    for (const change of [{ typeUrl: resourceTypes.waf.typeUrl }, { nodeId: 'edge-2' }]) {
      const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status, authenticatedNodeId: 'edge-1' });
      edge.send({ nodeId: 'edge-1', typeUrl: siteUrl });
      const first = await edge.next();
      edge.send({ ...change, responseNonce: first.nonce });
      expect(edge.failure()?.code).toBe('InvalidArgument');
    }
    expect(status.get('edge-1')!.connected).toBe(false);
  });
});

describe('delta stream heartbeats and store health (in memory)', () => {
  const unhealthy = { healthy: false, reason: 'redis: connection refused', since: 0 } as const;

  it('sends a heartbeat on every beat, with the replica revision, never ACK-able, in sync only once everything is ACKed', async () => {
    const h = handCache();
    h.site('a');
    const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status: edgeStatusRegistry() });
    h.ticker.tick();
    expect(edge.queued).toHaveLength(0); // no stream yet: nothing to beat on
    edge.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    const first = await edge.next();
    expect(first.heartbeat).toBe(false);
    h.ticker.tick();
    // In flight: the heartbeat says the replica is alive and current, not that the edge is in sync.
    expect(await edge.next()).toEqual({
      typeUrl: siteUrl,
      resources: [],
      removedResources: [],
      nonce: '',
      systemVersion: 1,
      heartbeat: true,
      inSync: false,
    });
    edge.send({ responseNonce: first.nonce });
    h.ticker.tick();
    expect(await edge.next()).toMatchObject({ heartbeat: true, inSync: true, systemVersion: 1, nonce: '' });
    // Another type changed: the revision moves on, this stream stays in sync without a response.
    h.commit();
    h.ticker.tick();
    expect(await edge.next()).toMatchObject({ heartbeat: true, inSync: true, systemVersion: 2 });
    h.site('b');
    h.commit();
    const change = await edge.next();
    expect([change.heartbeat, names(change), change.systemVersion]).toEqual([false, ['site/b'], 3]);
    h.ticker.tick();
    expect(await edge.next()).toMatchObject({ heartbeat: true, inSync: false, systemVersion: 3 });
    // An edge that answered a heartbeat (empty nonce) releases nothing.
    edge.send({ responseNonce: '' });
    h.ticker.tick();
    expect(await edge.next()).toMatchObject({ heartbeat: true, inSync: false });
    edge.send({ responseNonce: change.nonce });
    h.ticker.tick();
    expect(await edge.next()).toMatchObject({ heartbeat: true, inSync: true, systemVersion: 3 });
    expect(edge.queued).toHaveLength(0);
    edge.close();
    h.ticker.tick();
    expect(edge.queued).toHaveLength(0);
  });

  it('is not in sync while a NACKed version is current', async () => {
    const h = handCache();
    h.site('bad');
    const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status: edgeStatusRegistry() });
    edge.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    const first = await edge.next();
    edge.send({ responseNonce: first.nonce, errorDetail: { code: 'Resource.Invalid', message: 'no', resourceNames: ['site/bad'] } });
    h.ticker.tick();
    expect(await edge.next()).toMatchObject({ heartbeat: true, inSync: false });
  });

  it('ends open streams with Unavailable the moment the store turns unhealthy, sends no heartbeat, refuses new streams until it is healthy', async () => {
    const h = handCache();
    h.site('a');
    const status = edgeStatusRegistry();
    status.follow(h.cache, h.liveness);
    const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status });
    edge.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    edge.send({ responseNonce: (await edge.next()).nonce });
    expect(status.get('edge-1')!.types[0]!.inSync).toBe(true);

    h.health.set(unhealthy);
    expect(edge.failure()).toEqual({
      code: 'Unavailable',
      message: 'this replica cannot confirm it reads the current store (the store is unhealthy: redis: connection refused)',
    });
    h.ticker.tick();
    expect(edge.queued).toHaveLength(0);
    expect(status.get('edge-1')).toMatchObject({ connected: false, types: [{ inSync: false }] });

    const refused = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status });
    refused.send({ nodeId: 'edge-2', typeUrl: siteUrl });
    expect(refused.failure()?.code).toBe('Unavailable');
    expect(refused.queued).toHaveLength(0);
    expect(status.get('edge-2')).toBeUndefined();

    h.health.set({ healthy: true, revision: 1, confirmedAt: 0 });
    const back = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status });
    back.send({ nodeId: 'edge-2', typeUrl: siteUrl });
    expect(names(await back.next())).toEqual(['site/a']);
    expect(status.get('edge-1')!.types[0]!.inSync).toBe(true);
  });

  it('counts a cache that does not reach the revision the store confirmed within the bound as lagging: heartbeats stop, streams end', async () => {
    const h = handCache();
    const edge = memoryDeltaStream({ cache: h.cache, liveness: h.liveness, status: edgeStatusRegistry() });
    edge.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    edge.send({ responseNonce: (await edge.next()).nonce });
    // The store is at 5; the cache (1) is behind but within the bound: heartbeats carry what it serves.
    h.health.set({ healthy: true, revision: 5, confirmedAt: 0 });
    h.ticker.tick();
    expect(await edge.next()).toMatchObject({ heartbeat: true, systemVersion: 1 });
    h.clock.now = 3_000;
    h.ticker.tick();
    expect(await edge.next()).toMatchObject({ heartbeat: true, systemVersion: 1 });
    h.clock.now = 3_001;
    h.ticker.tick();
    expect(edge.queued).toHaveLength(0);
    expect(edge.failure()).toMatchObject({ code: 'Unavailable', message: expect.stringContaining('has not reached the store') });
    expect(h.liveness.currency()).toEqual({
      current: false,
      reason: "the resource cache (revision 1) has not reached the store's revision 5 within 3000 ms",
    });
    // Caught up: current again, at the cache's revision.
    for (let i = 0; i < 4; i++) h.commit();
    expect(h.liveness.currency()).toEqual({ current: true, revision: 5 });
  });

  it('measures the lag against a fixed target, so a store always a little ahead does not look lagging', () => {
    const h = handCache();
    for (let step = 1; step <= 10; step++) {
      h.clock.now = step * 2_000;
      h.health.set({ healthy: true, revision: h.cache.version() + 1, confirmedAt: h.clock.now });
      expect(h.liveness.currency().current).toBe(true);
      h.clock.now += 1_000;
      h.commit();
    }
  });
});
