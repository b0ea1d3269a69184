import { X509Certificate } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { decodeResource, resourceTypes } from '@portcullis/config';
import { createCertificateAuthority, issueClientCertificate, loadIssuingCa, localCaSigner } from '@portcullis/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, call, createAccount, createSite, type TestAccount, type TestApp } from '../../test/support/test-app.ts';
import { startStoreHealthMonitor, type StoreHealthMonitor } from '../store/store-health-monitor.ts';
import { startDiscovery, type Discovery } from './start-discovery.ts';
import { manualStoreHealth } from './test/manual-store-health.ts';
import { enrollEdge, injectCall, openGrpcStream, type EdgeIdentity, type GrpcEdgeStream } from './test/grpc-edge.ts';

const siteUrl = resourceTypes.site.typeUrl;

describe('discovery server over gRPC with mutual TLS', () => {
  let t: TestApp;
  let discovery: Discovery;
  let edge: EdgeIdentity;
  let account: TestAccount;
  let storeHealth: StoreHealthMonitor;
  const streams: GrpcEdgeStream[] = [];
  const open = (...args: Parameters<typeof openGrpcStream>) => {
    const stream = openGrpcStream(...args);
    streams.push(stream);
    return stream;
  };
  const target = () => `localhost:${discovery.port}`;

  beforeAll(async () => {
    t = await buildTestApp();
    account = await createAccount(t);
    await createSite(t, account);
    storeHealth = await startStoreHealthMonitor({ store: t.store });
    discovery = await startDiscovery({
      store: t.store,
      storeHealth,
      keyManager: t.keyManager,
      services: t.services,
      host: '127.0.0.1',
      port: 0,
      names: ['cp.internal'],
    });
    edge = await enrollEdge(injectCall(t.app), t.adminToken, 'edge-1');
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await discovery?.close();
    storeHealth?.close();
    await t?.close();
  });

  it('serves an enrolled edge its resources, and shows the edge as connected and in sync', async () => {
    await discovery.cache.reach(await t.store.revision());
    const stream = open(target(), edge);
    stream.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    const first = await stream.next();
    const sites = [...discovery.cache.resources('site').values()];
    expect(first.resources.map((r) => [r.name, r.version])).toEqual(sites.map((r) => [r.name, r.version]));
    expect(decodeResource('site', first.resources[0]!).originUrl).toBe('https://origin.example.net');
    expect(first.systemVersion).toBe(discovery.cache.version());
    stream.send({ responseNonce: first.nonce });

    // The ACK is recorded once it arrives.
    let listed = await call(t.app, t.adminToken, 'GET', '/v1/edges');
    for (let i = 0; i < 50 && listed.body.items[0]?.types[0]?.systemVersion === undefined; i++) {
      await new Promise((r) => setTimeout(r, 10));
      listed = await call(t.app, t.adminToken, 'GET', '/v1/edges');
    }
    expect(listed.body.systemVersion).toBe(discovery.cache.version());
    const [shown] = listed.body.items;
    expect(shown).toMatchObject({ nodeId: 'edge-1', connected: true, peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(shown.certificate.notAfter).toBe(new Date(new X509Certificate(edge.certificatePem).validTo).toISOString());
    expect(shown.types).toEqual([
      {
        typeUrl: siteUrl,
        connected: true,
        resources: sites.length,
        systemVersion: first.systemVersion,
        ackedAt: expect.any(String),
        inSync: true,
      },
    ]);
    const detail = await call(t.app, t.adminToken, 'GET', '/v1/edges/edge-1');
    expect(detail.body.versions).toEqual({ [siteUrl]: Object.fromEntries(sites.map((r) => [r.name, r.version])) });
    stream.close();
  });

  it('delivers a change made through the HTTP API to a connected edge promptly (latency measured)', async () => {
    const stream = open(`127.0.0.1:${discovery.port}`, edge);
    stream.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    stream.send({ responseNonce: (await stream.next()).nonce });
    const site = await createSite(t, account);
    const created = await stream.next();
    expect(created.resources.map((r) => r.name)).toEqual([`site/${site.id}`]);
    stream.send({ responseNonce: created.nonce });
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      // Changes arrive at any point of the poll interval, as they would from users.
      await new Promise((resolve) => setTimeout(resolve, (i * 17) % 50));
      const origin = `https://o${i}.example.net`;
      const answer = await call(t.app, account.apiKey, 'PATCH', `/v1/sites/${site.id}`, { originUrl: origin });
      const acknowledged = performance.now();
      expect(answer.status).toBe(200);
      const response = await stream.next();
      latencies.push(performance.now() - acknowledged);
      expect(response.resources).toHaveLength(1);
      expect(decodeResource('site', response.resources[0]!).originUrl).toBe(origin);
      stream.send({ responseNonce: response.nonce });
    }
    latencies.sort((a, b) => a - b);
    const [p50, max] = [latencies[10]!, latencies.at(-1)!];
    console.log(`API 2xx → edge receives the change: p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms (20 changes, poll 50 ms)`);
    expect(max).toBeLessThan(500);
    stream.close();
  });

  it('sends a heartbeat about every second with the current revision, in sync once the edge ACKed', async () => {
    const stream = open(target(), edge);
    stream.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    stream.send({ responseNonce: (await stream.next()).nonce });
    const started = performance.now();
    for (let i = 0; i < 40 && stream.heartbeats.filter((h) => h.at > started).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    const beats = stream.heartbeats.filter((h) => h.at > started);
    expect(beats.length).toBeGreaterThanOrEqual(3);
    const gaps = beats.slice(1).map((h, i) => h.at - beats[i]!.at);
    expect(Math.max(...gaps)).toBeLessThan(2_000);
    expect(beats.at(-1)!.response).toMatchObject({
      heartbeat: true,
      inSync: true,
      nonce: '',
      resources: [],
      systemVersion: discovery.cache.version(),
    });
    stream.close();
  });

  it('ends its streams with UNAVAILABLE when the store turns unhealthy, and refuses new ones until it is healthy again', async () => {
    const health = manualStoreHealth();
    const other = await startDiscovery({
      store: t.store,
      storeHealth: health,
      keyManager: t.keyManager,
      services: t.services,
      host: '127.0.0.1',
      port: 0,
      names: [],
    });
    try {
      const stream = open(`localhost:${other.port}`, edge);
      stream.send({ nodeId: 'edge-1', typeUrl: siteUrl });
      await stream.next();
      health.set({ healthy: false, reason: 'the store did not answer within 2000 ms', since: Date.now() });
      const ended = await stream.ended;
      expect([ended.code, ended.details]).toEqual([
        status.UNAVAILABLE,
        'this replica cannot confirm it reads the current store (the store is unhealthy: the store did not answer within 2000 ms)',
      ]);
      const refused = open(`localhost:${other.port}`, edge);
      refused.send({ nodeId: 'edge-1', typeUrl: siteUrl });
      await expect(refused.next(3_000)).rejects.toMatchObject({ code: status.UNAVAILABLE });
      expect(refused.heartbeats).toHaveLength(0);
      health.set({ healthy: true, revision: await t.store.revision(), confirmedAt: Date.now() });
      const back = open(`localhost:${other.port}`, edge);
      back.send({ nodeId: 'edge-1', typeUrl: siteUrl });
      expect((await back.next()).systemVersion).toBe(other.cache.version());
    } finally {
      await other.close();
    }
  });

  it('refuses a node id other than the certificate’s CN (PERMISSION_DENIED)', async () => {
    const stream = open(target(), edge);
    stream.send({ nodeId: 'edge-2', typeUrl: siteUrl });
    expect((await stream.ended).code).toBe(status.PERMISSION_DENIED);
  });

  it('refuses a client certificate from another CA, no client certificate, and plaintext, before any response', async () => {
    const other = await createCertificateAuthority({ subject: { commonName: 'Not the fleet CA' } });
    const issued = await issueClientCertificate(await loadIssuingCa(other.certificatePem, localCaSigner(other.privateKeyPem)), {
      keyType: 'ec-p256',
      commonName: 'edge-1',
    });
    const attempts = [
      open(target(), { fleetCaPem: edge.fleetCaPem, privateKeyPem: issued.privateKeyPem!, certificatePem: issued.certificatePem }),
      open(target(), { fleetCaPem: edge.fleetCaPem }),
      open(target(), 'insecure'),
    ];
    for (const stream of attempts) {
      stream.send({ nodeId: 'edge-1', typeUrl: siteUrl });
      await expect(stream.next(3_000)).rejects.toMatchObject({ code: status.UNAVAILABLE });
    }
  });

  it('presents a server certificate from the fleet CA for the configured names, which a client that trusts another CA refuses', async () => {
    const server = await new Promise<X509Certificate>((resolve, reject) => {
      void import('node:tls').then((tls) => {
        const socket = tls.connect({
          host: '127.0.0.1',
          port: discovery.port,
          servername: 'localhost',
          rejectUnauthorized: false,
          ALPNProtocols: ['h2'],
          key: edge.privateKeyPem,
          cert: edge.certificatePem,
        });
        socket.once('secureConnect', () => {
          resolve(socket.getPeerX509Certificate()!);
          socket.destroy();
        });
        socket.once('error', reject);
      });
    });
    expect(server.checkIssued(new X509Certificate(edge.fleetCaPem))).toBe(true);
    expect(server.subjectAltName).toBe('DNS:localhost, DNS:cp.internal, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    const other = await createCertificateAuthority({ subject: { commonName: 'Another root' } });
    const stream = open(target(), { ...edge, fleetCaPem: other.certificatePem });
    stream.send({ nodeId: 'edge-1', typeUrl: siteUrl });
    await expect(stream.next(3_000)).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });
});
