import { edgeV1 } from '@portcullis/proto';
import { openDeltaStream, type DeltaRequest, type DeltaResponse, type DeltaStreamOptions, type StreamFailure } from './delta-stream.ts';

/** The edge's end of an in-memory delta stream. */
export interface MemoryEdgeEnd {
  /** Sends a request (fields left out take their protobuf defaults), delivered at once. */
  send(request: Partial<DeltaRequest>): void;
  /** The next response not taken yet, waiting for it up to `timeoutMs` (default 1 s). */
  next(timeoutMs?: number): Promise<DeltaResponse>;
  /** Responses received and not taken by `next`. */
  readonly queued: readonly DeltaResponse[];
  /** Why the server ended the stream, if it did. */
  failure(): StreamFailure | undefined;
  /** Ends the stream from the edge's side. */
  close(): void;
}

/**
 * Connects an edge to a delta stream in memory, with no sockets and no gRPC: the channel that
 * stream-loop tests and fleet simulations use. Responses pass through the protobuf encoding,
 * as they would on the wire.
 */
export function memoryDeltaStream(options: DeltaStreamOptions): MemoryEdgeEnd {
  const queued: DeltaResponse[] = [];
  const waiting: ((response: DeltaResponse) => void)[] = [];
  let failure: StreamFailure | undefined;
  const stream = openDeltaStream(
    {
      send(response) {
        const copy = edgeV1.DeltaResourcesResponse.decode(edgeV1.DeltaResourcesResponse.encode(response).finish());
        const waiter = waiting.shift();
        if (waiter) waiter(copy);
        else queued.push(copy);
      },
      fail(reason) {
        failure = reason;
      },
    },
    options,
  );
  return {
    send(request) {
      stream.receive(edgeV1.DeltaResourcesRequest.fromPartial(request));
    },
    next(timeoutMs = 1_000) {
      const ready = queued.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(take), 1);
          reject(new Error(`no response within ${timeoutMs} ms${failure ? ` (stream failed: ${failure.code})` : ''}`));
        }, timeoutMs);
        const take = (response: DeltaResponse) => {
          clearTimeout(timer);
          resolve(response);
        };
        waiting.push(take);
      });
    },
    queued,
    failure: () => failure,
    close: () => stream.close(),
  };
}
