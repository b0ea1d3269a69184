import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { edgeV1 } from '@portcullis/proto';
import type { DeltaCall, DeltaTransport } from './delta-transport.ts';
import type { NodeIdentity } from '../identity/node-identity.ts';

export interface GrpcTransportOptions {
  /** `host:port` of each discovery endpoint (control-plane replicas). */
  readonly addresses: readonly string[];
  /** The name the server certificate must carry; default each address's host. */
  readonly serverName: string | undefined;
  readonly identity: NodeIdentity;
  /**
   * Interval of HTTP/2 keepalive pings, which find dead connections while no call is open; on
   * open calls the stream loop's heartbeat watchdog notices a silent replica within 5 s.
   */
  readonly keepaliveMs?: number;
}

/** Largest response accepted: a fresh edge receives every resource of a type in one. */
const maxResponseBytes = 256 * 1024 * 1024;

/**
 * Delta streams over gRPC with mutual TLS: the edge presents its node certificate and key and
 * trusts only the fleet CA for the server, whose certificate must name `serverName` (or the
 * address's host). One channel per address, created on first use; turn `n` goes to address
 * `n mod count`, so a replica that fails, ends the stream or goes silent is left for the next.
 * Keepalive pings run on the channels too.
 */
export function grpcDeltaTransport(options: GrpcTransportOptions): DeltaTransport {
  const { identity } = options;
  const credentials = grpcCredentials.createSsl(
    Buffer.from(identity.fleetCaPem),
    Buffer.from(identity.keyPem),
    Buffer.from(identity.certificatePem),
  );
  const clients = new Map<string, edgeV1.DiscoveryServiceClient>();
  const addressOf = (turn: number) => options.addresses[turn % options.addresses.length]!;
  return {
    target: addressOf,
    open(turn) {
      const address = addressOf(turn);
      let client = clients.get(address);
      if (!client) {
        client = new edgeV1.DiscoveryServiceClient(address, credentials, {
          'grpc.keepalive_time_ms': options.keepaliveMs ?? 30_000,
          'grpc.keepalive_timeout_ms': 10_000,
          'grpc.keepalive_permit_without_calls': 1,
          'grpc.max_receive_message_length': maxResponseBytes,
          ...(options.serverName
            ? { 'grpc.ssl_target_name_override': options.serverName, 'grpc.default_authority': options.serverName }
            : {}),
        });
        clients.set(address, client);
      }
      return client.deltaResources() as unknown as DeltaCall;
    },
    close() {
      for (const client of clients.values()) client.close();
      clients.clear();
    },
  };
}
