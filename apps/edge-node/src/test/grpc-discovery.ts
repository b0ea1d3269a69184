import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { edgeV1 } from '@portcullis/proto';
import type { FakeDiscoveryServer, ServerCall } from './fake-discovery-server.ts';
import type { FakeFleet } from './fake-fleet.ts';

/**
 * Serves a fake discovery server over real gRPC with mutual TLS, as a control-plane replica
 * does: a server certificate from the fleet CA for `names`, client certificates required and
 * checked against the fleet CA.
 */
export async function startGrpcDiscovery(
  fake: FakeDiscoveryServer,
  fleet: FakeFleet,
  names: { dnsNames?: string[]; ipAddresses?: string[] },
  options: { serverCa?: FakeFleet } = {},
): Promise<{ address: string; stop(): Promise<void> }> {
  const credential = await (options.serverCa ?? fleet).serverCredential(names);
  const server = new Server();
  server.addService(edgeV1.DiscoveryServiceService, {
    deltaResources: (call: ServerDuplexStream<edgeV1.DeltaResourcesRequest, edgeV1.DeltaResourcesResponse>) =>
      fake.handle(call as unknown as ServerCall),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      '127.0.0.1:0',
      ServerCredentials.createSsl(
        Buffer.from(fleet.ca.certificatePem),
        [{ private_key: Buffer.from(credential.keyPem), cert_chain: Buffer.from(credential.certificatePem) }],
        true,
      ),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}
