import { decodeResource, resourceTypes } from '@portcullis/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryDeltaStream } from '../src/discovery/memory-channel.ts';
import { resourceBuilder } from '../src/discovery/resource-builder.ts';
import { replicaLiveness, type ReplicaLiveness } from '../src/discovery/replica-liveness.ts';
import { storeResourceCache, type StoreResourceCache } from '../src/discovery/resource-cache.ts';
import { startStoreHealthMonitor, type StoreHealthMonitor } from '../src/store/store-health-monitor.ts';
import { buildTestApp, call, createAccount, createClientCertificate, createSite, type TestApp } from './support/test-app.ts';

/**
 * The whole path without sockets: API calls → store → resource cache → delta stream → an
 * in-memory edge, and the edge's status as the admin API shows it.
 */
describe('discovery in memory', () => {
  let t: TestApp;
  let cache: StoreResourceCache;
  let storeHealth: StoreHealthMonitor;
  let liveness: ReplicaLiveness;

  beforeAll(async () => {
    t = await buildTestApp();
    cache = storeResourceCache({ store: t.store, builder: resourceBuilder({ store: t.store, keyManager: t.keyManager }), pollMs: 5 });
    await cache.start();
    storeHealth = await startStoreHealthMonitor({ store: t.store });
    liveness = replicaLiveness({ storeHealth, cache });
    t.services.edges.follow(cache, liveness);
  });
  afterAll(async () => {
    liveness?.close();
    storeHealth?.close();
    await cache?.close();
    await t?.close();
  });

  it('brings a revocation made through the API to a connected edge, and shows whether the edge is in sync', async () => {
    const account = await createAccount(t);
    const site = await createSite(t, account);
    const certificate = (await createClientCertificate(t, account, site.id)).certificate;
    await cache.reach(await t.store.revision());
    const edge = memoryDeltaStream({ cache, liveness, status: t.services.edges });
    edge.send({ nodeId: 'memory-edge', typeUrl: resourceTypes.revocations.typeUrl });
    const first = await edge.next();
    // Every account's CA has a revocation set, empty while nothing is revoked.
    expect(first.resources.map((r) => [r.name, decodeResource('revocations', r).serials])).toEqual([
      [`revocations/${account.accountId}`, []],
    ]);
    edge.send({ responseNonce: first.nonce });

    const revoked = await call(t.app, account.apiKey, 'POST', `/v1/sites/${site.id}/client-certificates/${certificate.id}/revoke`, {
      confirm: true,
    });
    expect(revoked.status).toBe(200);
    const response = await edge.next();
    expect(response.resources.map((r) => r.name)).toEqual([`revocations/${account.accountId}`]);
    expect(decodeResource('revocations', response.resources[0]!).serials).toEqual([certificate.serialNumber]);
    expect(response.systemVersion).toBe(await t.store.revision());

    // Received but not ACKed yet: the edge still runs the older set.
    const before = await call(t.app, t.adminToken, 'GET', '/v1/edges/memory-edge');
    expect(before.body.types[0]).toMatchObject({ resources: 1, systemVersion: first.systemVersion, inSync: false });
    edge.send({ responseNonce: response.nonce });
    const after = await call(t.app, t.adminToken, 'GET', '/v1/edges/memory-edge');
    expect(after.body).toMatchObject({ nodeId: 'memory-edge', connected: true, systemVersion: response.systemVersion });
    expect(after.body.types[0]).toMatchObject({ resources: 1, systemVersion: response.systemVersion, inSync: true });
    expect(after.body.versions).toEqual({
      [resourceTypes.revocations.typeUrl]: { [`revocations/${account.accountId}`]: response.resources[0]!.version },
    });

    // A NACK is shown with what was refused.
    await call(t.app, account.apiKey, 'POST', `/v1/sites/${site.id}/client-certificates/${certificate.id}/activate`);
    const removal = await edge.next();
    expect(removal.resources.map((r) => [r.name, decodeResource('revocations', r).serials])).toEqual([
      [`revocations/${account.accountId}`, []],
    ]);
    expect(removal.removedResources).toEqual([]);
    edge.send({ responseNonce: removal.nonce, errorDetail: { code: 'Snapshot.Invalid', message: 'not now', resourceNames: [] } });
    const nacked = await call(t.app, t.adminToken, 'GET', '/v1/edges');
    expect(nacked.body.items[0].types[0]).toMatchObject({
      inSync: false,
      lastNack: { code: 'Snapshot.Invalid', message: 'not now', resourceNames: [], systemVersion: removal.systemVersion },
    });
    edge.close();
    expect((await call(t.app, t.adminToken, 'GET', '/v1/edges')).body.items[0]).toMatchObject({
      connected: false,
      types: [{ connected: false }],
    });
  });
});
