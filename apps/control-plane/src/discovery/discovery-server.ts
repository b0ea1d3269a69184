import { isIP } from 'node:net';
import { Server, ServerCredentials, status, type ServerDuplexStream, type ServerOptions } from '@grpc/grpc-js';
import { normaliseSerialHex } from '@portcullis/pki';
import { edgeV1 } from '@portcullis/proto';
import { openDeltaStream, type DeltaRequest, type DeltaResponse, type StreamFailure } from './delta-stream.ts';
import type { EdgeStatusRecorder } from './edge-status.ts';
import type { ReplicaLiveness } from './replica-liveness.ts';
import type { ResourceCache } from './resource-cache.ts';

/** The TLS material of the discovery port: its own chain and key, and the fleet CA clients must chain to. */
export interface DiscoveryTls {
  readonly fleetCaPem: string;
  readonly certificateChainPem: string;
  readonly privateKeyPem: string;
}

export interface DiscoveryServerOptions {
  readonly cache: ResourceCache;
  readonly status: EdgeStatusRecorder;
  /** Heartbeats, and whether the replica may serve at all (see `openDeltaStream`). */
  readonly liveness: ReplicaLiveness;
  readonly host: string;
  /** 0 binds any free port; the bound one is in the result. */
  readonly port: number;
  readonly tls: DiscoveryTls;
  /** Resource bytes per response (see `openDeltaStream`). */
  readonly maxResponseBytes?: number;
}

export interface DiscoveryServer {
  readonly port: number;
  /** Ends every stream (UNAVAILABLE: edges reconnect, to another replica if there is one), then stops. */
  close(): Promise<void>;
}

/**
 * Connection settings for edges: a few long-lived streams per edge. Keepalive pings find dead
 * peers behind NATs and load balancers within about 30 s. Requests are small (ACKs, and once
 * per stream the versions an edge holds); responses are bounded by the stream loop.
 */
const serverOptions: ServerOptions = {
  'grpc.keepalive_time_ms': 20_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
  'grpc.max_concurrent_streams': 32,
};

/** How long `close()` lets the ended streams' connections drain before cutting them. */
const shutdownGraceMs = 2_000;

const failureStatus: Record<StreamFailure['code'], status> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  PermissionDenied: status.PERMISSION_DENIED,
  Unavailable: status.UNAVAILABLE,
};

/**
 * Serves `portcullis.edge.v1.DiscoveryService` with mutual TLS: the server presents its chain,
 * and every client must present a certificate chaining to the fleet CA (TLS refuses others,
 * and plaintext, before any call). The client certificate's CN is the node id each stream's
 * requests must carry. Each call is one delta stream (see `openDeltaStream`) over the shared
 * cache, with a heartbeat every beat of `liveness`; while the replica is not current, calls end
 * (and new ones are refused) with UNAVAILABLE, so edges move to another replica. The gRPC layer
 * only carries messages and maps failures to statuses.
 */
export async function startDiscoveryServer(options: DiscoveryServerOptions): Promise<DiscoveryServer> {
  const calls = new Set<ServerDuplexStream<DeltaRequest, DeltaResponse>>();
  const server = new Server(serverOptions);
  server.addService(edgeV1.DiscoveryServiceService, {
    deltaResources(call: ServerDuplexStream<DeltaRequest, DeltaResponse>) {
      const certificate = call.getAuthContext().sslPeerCertificate;
      const commonName = certificate?.subject?.CN;
      if (typeof commonName !== 'string') {
        call.emit('error', { code: status.UNAUTHENTICATED, details: 'a client certificate with one common name is required' });
        return;
      }
      calls.add(call);
      const stream = openDeltaStream(
        {
          send: (response) => call.write(response),
          fail: (failure) => call.emit('error', { code: failureStatus[failure.code], details: failure.message }),
        },
        {
          cache: options.cache,
          status: options.status,
          liveness: options.liveness,
          authenticatedNodeId: commonName,
          peer: { address: call.getPeer(), certificate: certificateFacts(certificate!) },
          ...(options.maxResponseBytes ? { maxResponseBytes: options.maxResponseBytes } : {}),
        },
      );
      const finished = () => {
        calls.delete(call);
        stream.close();
      };
      call.on('data', (request: DeltaRequest) => stream.receive(request));
      call.on('end', () => {
        finished();
        call.end();
      });
      call.on('cancelled', finished);
      call.on('error', finished);
      call.on('close', finished);
    },
  });

  const address = `${isIP(options.host) === 6 ? `[${options.host}]` : options.host}:${options.port}`;
  const credentials = ServerCredentials.createSsl(
    Buffer.from(options.tls.fleetCaPem),
    [{ cert_chain: Buffer.from(options.tls.certificateChainPem), private_key: Buffer.from(options.tls.privateKeyPem) }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const call of calls) call.emit('error', { code: status.UNAVAILABLE, details: 'the control plane is shutting down' });
        const cutOff = setTimeout(() => server.forceShutdown(), shutdownGraceMs);
        server.tryShutdown(() => {
          clearTimeout(cutOff);
          resolve();
        });
      }),
  };
}

/** The serial (libs/pki's hex form) and expiry of the node certificate a stream presented. */
function certificateFacts(certificate: { serialNumber: string; valid_to: string }) {
  let serialNumber = certificate.serialNumber;
  try {
    serialNumber = normaliseSerialHex(serialNumber);
  } catch {
    // Shown as OpenSSL printed it.
  }
  return { serialNumber, notAfter: new Date(certificate.valid_to).toISOString() };
}
