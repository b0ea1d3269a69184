import type { EncodedResource, ResourceType } from '@portcullis/config';
import { afterEach, describe, expect, it } from 'vitest';
import { createConfigStore, type ConfigStore } from './config-store.ts';
import { startDeltaStream, type DeltaStream } from './delta-stream.ts';
import { silentLogger } from './edge-logger.ts';
import { FakeDiscoveryServer, memoryTransport } from './test/fake-discovery-server.ts';
import { siteResource } from './test/resources.ts';

const fast = { initialMs: 5, maxMs: 20 };

/** A store that records what each delta brought. */
function recordingStore(): ConfigStore & { deltas: { type: ResourceType; names: string[]; removed: readonly string[] }[] } {
  const store = createConfigStore();
  const deltas: { type: ResourceType; names: string[]; removed: readonly string[] }[] = [];
  return Object.assign(Object.create(store) as ConfigStore, {
    deltas,
    apply(type: ResourceType, resources: readonly EncodedResource[], removed: readonly string[]) {
      deltas.push({ type, names: resources.map((r) => r.name), removed });
      return store.apply(type, resources, removed);
    },
  });
}

describe('delta stream', () => {
  const streams: DeltaStream[] = [];
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.stop();
  });
  const start = (server: FakeDiscoveryServer, store: ConfigStore, transport = memoryTransport(server)) => {
    const stream = startDeltaStream({ type: 'site', nodeId: 'edge-1', transport, store, log: silentLogger, backoff: fast });
    streams.push(stream);
    return stream;
  };

  it('subscribes with nothing held, takes everything, ACKs, and then receives only changes', async () => {
    const server = new FakeDiscoveryServer();
    await server.push(siteResource('s1', 'one.example', 'http://o1'), siteResource('s2', 'two.example', 'http://o2'));
    const store = recordingStore();
    const stream = start(server, store);
    await server.until(() => server.answersOf('site').length === 1);
    expect(server.firstRequests[0]).toMatchObject({ nodeId: 'edge-1', typeUrl: 'portcullis.edge.v1.Site', initialResourceVersions: {} });
    expect(server.answersOf('site')[0]).toMatchObject({ responseNonce: 'n1', errorDetail: undefined });
    expect(Object.keys(store.versions('site')).sort()).toEqual(['site/s1', 'site/s2']);
    await server.push(siteResource('s1', 'one.example', 'http://o1-new'));
    await server.remove('site', 'site/s2');
    expect(store.deltas.map((d) => [d.names, d.removed])).toEqual([
      [['site/s1', 'site/s2'], []],
      [['site/s1'], []],
      [[], ['site/s2']],
    ]);
    expect(stream.status()).toMatchObject({ connected: true, systemVersion: server.systemVersion, lastNack: undefined });
    expect(stream.status().lastAck?.nonce).toBe('n3');
  });

  it('NACKs a response with an invalid resource, naming it, while applying the valid ones; never gets it again', async () => {
    const server = new FakeDiscoveryServer();
    const store = recordingStore();
    start(server, store);
    await server.until(() => server.answersOf('site').length === 1);
    await server.push(siteResource('good', 'good.example', 'http://o'), siteResource('bad', 'bad.example', 'mailto:x'));
    const nack = server.answersOf('site').at(-1)!;
    expect(nack.errorDetail).toMatchObject({ code: 'Resource.Invalid', resourceNames: ['site/bad'] });
    expect(nack.errorDetail!.message).toContain('http or https');
    expect(Object.keys(store.versions('site'))).toEqual(['site/good']);
    await server.push(siteResource('other', 'other.example', 'http://o'));
    expect(store.deltas.at(-1)!.names).toEqual(['site/other']);
    await server.push(siteResource('bad', 'bad.example', 'http://fixed'));
    expect(server.answersOf('site').at(-1)!.errorDetail).toBeUndefined();
    expect(store.current).toBeUndefined(); // only one type synced: not ready to serve
  });

  it('reconnects with backoff while the server is unreachable, then sends the versions it holds', async () => {
    const server = new FakeDiscoveryServer();
    await server.push(siteResource('s1', 'one.example', 'http://o1'));
    const store = recordingStore();
    const transport = memoryTransport(server);
    const stream = start(server, store, transport);
    await server.until(() => server.answersOf('site').length === 1);
    const held = store.versions('site');
    transport.available = false;
    server.disconnectAll();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(transport.opened).toBeGreaterThanOrEqual(3);
    expect(stream.status()).toMatchObject({ connected: false, lastError: expect.stringContaining('UNAVAILABLE') });
    await server.push(siteResource('s2', 'two.example', 'http://o2'));
    transport.available = true;
    await server.until(() => server.answersOf('site').length === 2);
    expect(server.firstRequests.at(-1)!.initialResourceVersions).toEqual(held);
    expect(store.deltas.at(-1)!.names).toEqual(['site/s2']);
    expect(stream.status()).toMatchObject({ connected: true });
    expect(stream.status().reconnects).toBeGreaterThanOrEqual(3);
  });

  it('stops: the call is cancelled and no reconnect follows', async () => {
    const server = new FakeDiscoveryServer();
    const transport = memoryTransport(server);
    const stream = start(server, recordingStore(), transport);
    await server.until(() => server.answersOf('site').length === 1);
    stream.stop();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(transport.opened).toBe(1);
    expect(server.connected()).toBe(0);
  });
});
