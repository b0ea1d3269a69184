import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { resourceTypeOrder, resourceTypes, type ResourceType } from '@portcullis/config';
import { startRedis, type TestRedis } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKeyManager } from '../src/crypto/key-manager.ts';
import { startDiscovery, type Discovery } from '../src/discovery/start-discovery.ts';
import { applyOperation, createWorld, makePool, seedOperations, type Operation } from '../src/discovery/test/world.ts';
import { enrollEdge, injectCall, openGrpcStream, type EdgeIdentity, type GrpcEdgeStream } from '../src/discovery/test/grpc-edge.ts';
import { createRedisStore, type RedisStore } from '../src/store/redis-store.ts';
import { startStoreHealthMonitor } from '../src/store/store-health-monitor.ts';
import { TempDir } from './support/openssl.ts';
import { buildTestApp, call, createAccount, createSite, type TestApp } from './support/test-app.ts';

/**
 * Two control-plane replicas with their own Redis connections on one Redis and one master key,
 * each tailing the change records into its own resource cache and serving its own discovery
 * port: edges must get the same resources, versions and system versions from either.
 */
describe('discovery on two replicas on one Redis', () => {
  let redis: TestRedis;
  let dir: TempDir;
  const stores: RedisStore[] = [];
  const replicas: TestApp[] = [];
  const discoveries: Discovery[] = [];
  const streams: GrpcEdgeStream[] = [];
  let edge: EdgeIdentity;
  let closeMonitors = () => {};

  beforeAll(async () => {
    redis = await startRedis({ appendOnly: false });
    dir = new TempDir();
    const prefix = `discovery-${randomBytes(4).toString('hex')}:`;
    const masterKey = randomBytes(32);
    for (let i = 0; i < 2; i++) {
      const store = await createRedisStore({ url: redis.url, prefix, onConnectionError: () => {} });
      stores.push(store);
      replicas.push(await buildTestApp({ store, keyManager: localKeyManager([Buffer.from(masterKey)]) }));
    }
    const monitors = await Promise.all(stores.map((store) => startStoreHealthMonitor({ store })));
    closeMonitors = () => monitors.forEach((m) => m.close());
    // Both start at once: they race to create the one fleet CA.
    discoveries.push(
      ...(await Promise.all(
        replicas.map((r, i) =>
          startDiscovery({
            store: stores[i]!,
            storeHealth: monitors[i]!,
            keyManager: r.keyManager,
            services: r.services,
            host: '127.0.0.1',
            port: 0,
            names: [],
            pollMs: 20,
          }),
        ),
      )),
    );
    edge = await enrollEdge(injectCall(replicas[0]!.app), replicas[0]!.adminToken, 'edge-r');
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    for (const d of discoveries) await d.close();
    closeMonitors();
    for (const r of replicas) await r.close();
    for (const s of stores) await s.close();
    await redis?.stop();
    dir?.remove();
  });

  /** The first response of a fresh stream of `type` from replica `i`: (name, version) pairs and system version. */
  async function firstResponse(i: number, type: ResourceType) {
    const stream = openGrpcStream(`localhost:${discoveries[i]!.port}`, edge);
    streams.push(stream);
    stream.send({ nodeId: edge.nodeId, typeUrl: resourceTypes[type].typeUrl });
    const response = await stream.next();
    stream.close();
    return { systemVersion: response.systemVersion, resources: response.resources.map((r) => [r.name, r.version]).sort() };
  }

  it('streams identical resources, versions and system versions from both replicas after operations through both', async () => {
    const pool = await makePool(dir, 2);
    const worlds = await Promise.all(replicas.map(async (r, i) => createWorld(r.services, stores[i]!, pool)));
    // Both replicas act for the same two accounts.
    const shared = { ...worlds[1]!, callers: worlds[0]!.callers };
    const ops: Operation[] = [
      ...seedOperations,
      ...Array.from({ length: 30 }, (_, i): Operation => ({
        kind: (['revokeCertificate', 'bindCustomCa', 'createWafRule', 'updateSite', 'uploadServerCertificate', 'revokeSerial'] as const)[
          i % 6
        ]!,
        account: i % 2,
        pick: i * 7,
        value: i * 13,
      })),
    ];
    for (const [i, op] of ops.entries()) await applyOperation(i % 2 === 0 ? worlds[0]! : shared, op);
    const revision = await stores[0]!.revision();
    await Promise.all(discoveries.map((d) => d.cache.reach(revision)));
    for (const type of resourceTypeOrder) {
      const [a, b] = [await firstResponse(0, type), await firstResponse(1, type)];
      expect(a.systemVersion, type).toBe(revision);
      expect(b, type).toEqual(a);
    }
    expect(discoveries[0]!.cache.resources('revocations').size).toBeGreaterThan(0);
    expect(discoveries[0]!.cache.resources('credential').size).toBeGreaterThan(0);
  });

  it('delivers a change made on one replica to an edge connected to the other', async () => {
    const [r1] = replicas;
    const account = await createAccount(r1!);
    const stream = openGrpcStream(`localhost:${discoveries[1]!.port}`, edge);
    streams.push(stream);
    stream.send({ nodeId: edge.nodeId, typeUrl: resourceTypes.site.typeUrl });
    stream.send({ responseNonce: (await stream.next()).nonce });
    const site = await createSite(r1!, account);
    const response = await stream.next();
    expect(response.resources.map((r) => r.name)).toEqual([`site/${site.id}`]);
    expect(response.systemVersion).toBe(await stores[0]!.revision());
    stream.send({ responseNonce: response.nonce });
    // Each replica knows only its own streams.
    await new Promise((r) => setTimeout(r, 50));
    const onTwo = await call(replicas[1]!.app, replicas[1]!.adminToken, 'GET', '/v1/edges/edge-r');
    expect(onTwo.body.types[0]).toMatchObject({ connected: true, systemVersion: response.systemVersion, inSync: true });
    expect(onTwo.body.versions[resourceTypes.site.typeUrl][`site/${site.id}`]).toBe(response.resources[0]!.version);
    expect((await call(r1!.app, r1!.adminToken, 'GET', '/v1/edges/edge-r')).body.connected).toBe(false);

    // Stopping a replica ends its streams with UNAVAILABLE, so edges reconnect elsewhere.
    await discoveries[1]!.close();
    discoveries.splice(1, 1);
    expect((await stream.ended).code).toBe(status.UNAVAILABLE);
  });
});
