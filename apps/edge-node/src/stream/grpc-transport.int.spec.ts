import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfigStore } from '../config/config-store.ts';
import { startDeltaStream, type DeltaStream } from './delta-stream.ts';
import { silentLogger } from '../edge-logger.ts';
import { grpcDeltaTransport } from './grpc-transport.ts';
import { checkNodeIdentity, type NodeIdentity } from '../identity/node-identity.ts';
import { FakeDiscoveryServer } from '../test/fake-discovery-server.ts';
import { createFakeFleet, type FakeFleet } from '../test/fake-fleet.ts';
import { startGrpcDiscovery } from '../test/grpc-discovery.ts';
import { waitFor } from '../test/edge-harness.ts';
import { siteResource } from '../test/resources.ts';

/** The delta stream over real gRPC with mutual TLS against the fleet CA. */
describe('gRPC discovery transport', () => {
  let fleet: FakeFleet;
  let otherFleet: FakeFleet;
  let identity: NodeIdentity;
  const fake = new FakeDiscoveryServer();
  const stops: (() => unknown)[] = [];

  beforeAll(async () => {
    [fleet, otherFleet] = await Promise.all([createFakeFleet(), createFakeFleet()]);
    const node = await fleet.nodeCredential('edge-grpc');
    identity = checkNodeIdentity(
      { keyPem: node.keyPem, certificatePem: node.certificatePem, fleetCaPem: fleet.ca.certificatePem },
      undefined,
    );
    await fake.push(siteResource('s1', 'example.com', 'http://127.0.0.1:1'));
  });
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  function stream(addresses: string[], serverName?: string): { stream: DeltaStream; store: ReturnType<typeof createConfigStore> } {
    const transport = grpcDeltaTransport({ addresses, serverName, identity, keepaliveMs: 5_000 });
    const store = createConfigStore();
    const started = startDeltaStream({
      type: 'site',
      nodeId: identity.nodeId,
      transport,
      store,
      log: silentLogger,
      backoff: { initialMs: 20, maxMs: 100 },
    });
    stops.push(() => {
      started.stop();
      transport.close();
    });
    return { stream: started, store };
  }

  it('receives resources and ACKs over mutual TLS, checking the server by its address', async () => {
    const server = await startGrpcDiscovery(fake, fleet, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    stops.push(server.stop);
    const { stream: started, store } = stream([server.address]);
    await waitFor(() => started.status().lastAck !== undefined, 5_000);
    expect(Object.keys(store.versions('site'))).toEqual(['site/s1']);
    expect(fake.firstRequests.at(-1)).toMatchObject({ nodeId: 'edge-grpc', typeUrl: 'portcullis.edge.v1.Site' });
    expect(started.status()).toMatchObject({ connected: true, target: server.address });
  });

  it('checks the server name given, and refuses a server whose certificate does not carry it', async () => {
    const server = await startGrpcDiscovery(fake, fleet, { dnsNames: ['discovery.portcullis.test'] });
    stops.push(server.stop);
    const good = stream([server.address], 'discovery.portcullis.test');
    const wrong = stream([server.address], 'other.portcullis.test');
    await waitFor(() => good.stream.status().lastAck !== undefined, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(wrong.stream.status()).toMatchObject({ connected: false, lastAck: undefined });
    expect(wrong.stream.status().reconnects).toBeGreaterThan(0);
  });

  it('refuses a server whose certificate is from another CA', async () => {
    const impostor = await startGrpcDiscovery(fake, fleet, { ipAddresses: ['127.0.0.1'] }, { serverCa: otherFleet });
    stops.push(impostor.stop);
    const { stream: started } = stream([impostor.address]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started.status()).toMatchObject({ connected: false, lastAck: undefined });
  });

  it('moves on to the next address when one does not answer', async () => {
    const server = await startGrpcDiscovery(fake, fleet, { ipAddresses: ['127.0.0.1'] });
    stops.push(server.stop);
    const { stream: started } = stream(['127.0.0.1:9', server.address]);
    await waitFor(() => started.status().lastAck !== undefined, 5_000);
    expect(started.status().target).toBe(server.address);
  });
});
