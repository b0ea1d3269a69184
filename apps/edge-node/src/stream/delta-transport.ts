import type { edgeV1 } from '@portcullis/proto';

/**
 * One open delta stream, as the stream loop sees it. grpc-js's client duplex stream has this
 * shape; tests connect the loop to a fake server in memory with the same shape.
 */
export interface DeltaCall {
  write(request: edgeV1.DeltaResourcesRequest): unknown;
  /** Ends the call from the edge's side; the call then emits `error` or `end` (or nothing more). */
  cancel(): void;
  on(event: 'data', listener: (response: edgeV1.DeltaResourcesResponse) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
}

/** Opens delta streams to the control plane. */
export interface DeltaTransport {
  /**
   * Opens a stream. `turn` counts the calls the stream has given up (failed, ended or stale);
   * a transport with several control-plane addresses moves to the next one with each.
   */
  open(turn: number): DeltaCall;
  /** Where turn `turn` goes, for logs and /status. */
  target(turn: number): string;
  /** Closes every channel; open calls fail. */
  close(): void;
}
