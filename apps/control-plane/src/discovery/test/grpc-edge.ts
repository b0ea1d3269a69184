import { generateKeyPairSync } from 'node:crypto';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { edgeV1 } from '@portcullis/proto';
import type { FastifyInstance } from 'fastify';
import type { DeltaRequest, DeltaResponse } from '../delta-stream.ts';

/** What an edge holds after enrolling: its key, its node certificate and the fleet CA. */
export interface EdgeIdentity {
  readonly nodeId: string;
  readonly privateKeyPem: string;
  readonly certificatePem: string;
  readonly fleetCaPem: string;
}

/** Sends a JSON request to the HTTP API and answers status and parsed body. */
export type HttpCall = (
  method: 'POST',
  url: string,
  body: unknown,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** HTTP calls through fastify's `inject`, no socket. */
export function injectCall(app: FastifyInstance): HttpCall {
  return async (method, url, body, headers = {}) => {
    const answer = await app.inject({ method, url, headers, payload: body as object });
    return { status: answer.statusCode, body: answer.json() };
  };
}

/** HTTP calls over the network to a listening control plane at `base` (e.g. `http://127.0.0.1:8080`). */
export function fetchCall(base: string): HttpCall {
  return async (method, url, body, headers = {}) => {
    const answer = await fetch(`${base}${url}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: answer.status, body: await answer.json() };
  };
}

/** Enrolls an edge through the HTTP API as an edge does: a join token from the admin, then its own key. */
export async function enrollEdge(http: HttpCall, adminToken: string, nodeId: string): Promise<EdgeIdentity> {
  const token = await http('POST', '/v1/edge-join-tokens', {}, { authorization: `Bearer ${adminToken}` });
  if (token.status !== 201) throw new Error(`join token: ${JSON.stringify(token.body)}`);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const enrolled = await http('POST', '/v1/edge/enroll', {
    joinToken: token.body.token,
    nodeId,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }),
  });
  if (enrolled.status !== 201) throw new Error(`enroll: ${JSON.stringify(enrolled.body)}`);
  return {
    nodeId,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certificatePem: enrolled.body.certificatePem,
    fleetCaPem: enrolled.body.fleetCaPem,
  };
}

/** One delta stream from a test edge over real gRPC. */
export interface GrpcEdgeStream {
  send(request: Partial<DeltaRequest>): void;
  /**
   * The next response that is not a heartbeat, waiting up to `timeoutMs`; rejects with the
   * stream's error if it fails.
   */
  next(timeoutMs?: number): Promise<DeltaResponse>;
  /** The heartbeats received so far, with when each arrived (`performance.now()`). */
  readonly heartbeats: readonly { readonly at: number; readonly response: DeltaResponse }[];
  /** Resolves with the status error that ended the stream. */
  readonly ended: Promise<ServiceError>;
  close(): void;
}

/**
 * Opens a stream to `target` with TLS: the client certificate and key given (or none), and the
 * fleet CA as the only root; `insecure` connects in plaintext instead.
 */
export function openGrpcStream(
  target: string,
  tls: { fleetCaPem: string; privateKeyPem?: string; certificatePem?: string } | 'insecure',
): GrpcEdgeStream {
  const channel =
    tls === 'insecure'
      ? credentials.createInsecure()
      : credentials.createSsl(
          Buffer.from(tls.fleetCaPem),
          tls.privateKeyPem ? Buffer.from(tls.privateKeyPem) : null,
          tls.certificatePem ? Buffer.from(tls.certificatePem) : null,
        );
  const client = new edgeV1.DiscoveryServiceClient(target, channel);
  const call = client.deltaResources();
  const queued: DeltaResponse[] = [];
  const heartbeats: { at: number; response: DeltaResponse }[] = [];
  const waiting: { resolve: (r: DeltaResponse) => void; reject: (e: Error) => void }[] = [];
  let failure: ServiceError | undefined;
  const ended = new Promise<ServiceError>((resolve) => {
    call.on('error', (error: ServiceError) => {
      failure = error;
      for (const w of waiting.splice(0)) w.reject(error);
      resolve(error);
    });
  });
  call.on('data', (response: DeltaResponse) => {
    if (response.heartbeat) return void heartbeats.push({ at: performance.now(), response });
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(response);
    else queued.push(response);
  });
  return {
    send: (request) => call.write(edgeV1.DeltaResourcesRequest.fromPartial(request)),
    heartbeats,
    next(timeoutMs = 5_000) {
      const ready = queued.shift();
      if (ready) return Promise.resolve(ready);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        const entry = {
          resolve: (r: DeltaResponse) => {
            clearTimeout(timer);
            resolve(r);
          },
          reject: (e: Error) => {
            clearTimeout(timer);
            reject(e);
          },
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(entry), 1);
          reject(new Error(`no response within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.push(entry);
      });
    },
    ended,
    close() {
      call.cancel();
      client.close();
    },
  };
}
