import type { EncodedResource, ResourceType } from '@portcullis/config';
import { afterEach, describe, expect, it } from 'vitest';
import { createConfigStore, type ConfigStore } from '../config/config-store.ts';
import { startDeltaStream, type ConfirmOutcome, type DeltaStream } from './delta-stream.ts';
import { silentLogger } from '../edge-logger.ts';
import { FakeDiscoveryServer, memoryTransport } from '../test/fake-discovery-server.ts';
import { manualClock, type ManualClock } from '../test/manual-clock.ts';
import { siteResource } from '../test/resources.ts';

const fast = { initialMs: 5, maxMs: 20 };

/** Polls `condition` every 5 ms, for at most 2 s. */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

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

  it('answers only once `confirm` resolves: an ACK when every worker swapped, a NACK naming the response otherwise', async () => {
    const server = new FakeDiscoveryServer();
    const store = recordingStore();
    const outcomes: ((outcome: ConfirmOutcome) => void)[] = [];
    const confirm = () => new Promise<ConfirmOutcome>((resolve) => outcomes.push(resolve));
    streams.push(
      startDeltaStream({ type: 'site', nodeId: 'edge-1', transport: memoryTransport(server), store, log: silentLogger, confirm }),
    );
    await waitUntil(() => outcomes.length === 1);
    expect(server.answersOf('site')).toHaveLength(0);
    outcomes[0]!({ ok: true });
    await server.until(() => server.answersOf('site').length === 1);
    expect(server.answersOf('site')[0]!.errorDetail).toBeUndefined();
    const pushed = server.push(siteResource('s1', 'one.example', 'http://o1'));
    await waitUntil(() => outcomes.length === 2);
    expect(server.answersOf('site')).toHaveLength(1);
    expect(Object.keys(store.versions('site'))).toEqual(['site/s1']);
    outcomes[1]!({ ok: false, reason: 'worker(s) 1 did not serve generation 2 within 6000 ms' });
    await pushed;
    expect(server.answersOf('site')[1]!.errorDetail).toEqual({
      code: 'Edge.WorkersNotSwapped',
      message: 'worker(s) 1 did not serve generation 2 within 6000 ms',
      resourceNames: ['site/s1'],
    });
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

/** Polls `condition` on every turn of the event loop, for at most `timeoutMs`. */
async function eventually(what: string, condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** Lets the messages and checks queued on the event loop run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('delta stream liveness', () => {
  const streams: DeltaStream[] = [];
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.stop();
  });
  const start = (transport: ReturnType<typeof memoryTransport>, clock: ManualClock, onChange?: () => void) => {
    const stream = startDeltaStream({
      type: 'site',
      nodeId: 'edge-1',
      transport,
      store: recordingStore(),
      log: silentLogger,
      backoff: fast,
      clock,
      ...(onChange ? { onChange } : {}),
    });
    streams.push(stream);
    return stream;
  };

  it('never answers a heartbeat; shows its revision, the configuration age and lag; an in-sync heartbeat brings the applied revision up', async () => {
    const server = new FakeDiscoveryServer({ heartbeatMs: false });
    await server.push(siteResource('s1', 'one.example', 'http://o1'));
    const clock = manualClock();
    const stream = start(memoryTransport(server), clock);
    await server.until(() => server.answersOf('site').length === 1);
    expect(stream.status()).toMatchObject({
      systemVersion: 2,
      heartbeatRevision: undefined,
      configAgeMs: undefined,
      revisionLag: undefined,
    });
    // Other types changed: the revision moved on, and this stream is in sync at it.
    server.systemVersion = 9;
    server.heartbeat();
    await eventually('heartbeat seen', () => stream.status().heartbeatRevision === 9);
    expect(stream.status()).toMatchObject({ connected: true, systemVersion: 9, revisionLag: 0, configAgeMs: 0 });
    expect(stream.status().heartbeatAt).toBe(new Date(clock.now()).toISOString());
    clock.advance(1_500);
    expect(stream.status().configAgeMs).toBe(1_500);
    // A refused resource: heartbeats no longer say in sync, and the lag shows.
    await server.push(siteResource('bad', 'bad.example', 'mailto:x'));
    server.systemVersion = 14;
    server.heartbeat();
    await eventually('second heartbeat seen', () => stream.status().heartbeatRevision === 14);
    expect(stream.status()).toMatchObject({ systemVersion: 9, revisionLag: 5, configAgeMs: 0 });
    await settle();
    // Every request after the first answered a response: none answered a heartbeat.
    expect(server.answersOf('site').map((r) => r.responseNonce)).toEqual(['n1', 'n2']);
    expect(server.heartbeats).toHaveLength(2);
  });

  it('marks a call that hears nothing for 5 s stale and fails over to the next address at once, where it is connected', async () => {
    const [a, b] = [new FakeDiscoveryServer({ heartbeatMs: false }), new FakeDiscoveryServer({ heartbeatMs: false })];
    for (const server of [a, b]) await server.push(siteResource('s1', 'one.example', 'http://o1'));
    const clock = manualClock();
    const changes: boolean[] = [];
    const stream = start(memoryTransport(a, b), clock, () => {
      if (changes.at(-1) !== stream.status().connected) changes.push(stream.status().connected);
    });
    await a.until(() => a.answersOf('site').length === 1);
    expect(stream.status()).toMatchObject({ connected: true, target: 'memory-0' });
    // Heartbeats keep a call without changes alive.
    for (let i = 0; i < 3; i++) {
      clock.advance(3_000);
      a.heartbeat();
      await eventually('heartbeat seen', () => stream.status().heartbeatAt === new Date(clock.now()).toISOString());
    }
    a.silent = true; // hung: the connection stays open, nothing comes
    clock.advance(3_999);
    await settle();
    expect(stream.status()).toMatchObject({ connected: true, target: 'memory-0', staleCalls: 0 });
    clock.advance(1);
    await b.until(() => b.answersOf('site').length === 1);
    expect(stream.status()).toMatchObject({
      connected: true,
      target: 'memory-1',
      staleCalls: 1,
      reconnects: 1,
      lastError: 'stale: nothing from the control plane for 4000 ms',
    });
    expect(changes).toEqual([true, false, true]);
    expect(a.connected()).toBe(0); // the stale call was cancelled
    // b sent its first response when the edge connected: the configuration age is since a's last heartbeat.
    expect(stream.status().configAgeMs).toBe(4_000);
    b.heartbeat();
    await eventually('heartbeat from b', () => stream.status().configAgeMs === 0);
  });

  it('leaves a replica that hangs before it answers anything within the bound', async () => {
    const [a, b] = [new FakeDiscoveryServer({ heartbeatMs: false }), new FakeDiscoveryServer({ heartbeatMs: false })];
    a.silent = true;
    const clock = manualClock();
    const stream = start(memoryTransport(a, b), clock);
    await settle();
    expect(stream.status()).toMatchObject({ connected: false, target: 'memory-0' });
    clock.advance(4_000);
    await b.until(() => b.answersOf('site').length === 1);
    expect(stream.status()).toMatchObject({ connected: true, target: 'memory-1', staleCalls: 1 });
  });

  it('moves to the next address when a call ends, after the backoff delay', async () => {
    const [a, b] = [new FakeDiscoveryServer({ heartbeatMs: false }), new FakeDiscoveryServer({ heartbeatMs: false })];
    const clock = manualClock();
    const stream = start(memoryTransport(a, b), clock);
    await a.until(() => a.answersOf('site').length === 1);
    a.disconnectAll(); // a replica shutting down, or refusing while its store is unhealthy
    await eventually('call ended', () => !stream.status().connected);
    expect(stream.status()).toMatchObject({ target: 'memory-0', lastError: 'stream ended', staleCalls: 0 });
    clock.advance(fast.initialMs);
    await b.until(() => b.answersOf('site').length === 1);
    expect(stream.status()).toMatchObject({ connected: true, target: 'memory-1' });
  });
});
