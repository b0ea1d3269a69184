/**
 * How long, and how many, client connections the edge holds (README, "Running an edge node").
 * Every time limit is a total for its phase, never reset by a byte, so a client that trickles
 * bytes gains nothing over one that sends none.
 */
export interface ServingLimits {
  /** From accept to a whole ClientHello. */
  readonly helloMs: number;
  /** From the ClientHello to the end of the TLS handshake. */
  readonly handshakeMs: number;
  /** With no request in progress (after the handshake, or after a response): until a request's first byte. */
  readonly idleMs: number;
  /** From a request's first byte to its whole head. */
  readonly headMs: number;
  /** While the edge waits for a request body, every window of this length must bring `bodyMinBytes`. */
  readonly bodyWindowMs: number;
  /** Body bytes a client must send per `bodyWindowMs` (only while the edge is reading: an origin's backpressure never counts against it). */
  readonly bodyMinBytes: number;
  /** With response bytes waiting for the client to take them: the longest time it may take none. */
  readonly sendIdleMs: number;
  /**
   * Client connections a process holds at once, in every phase. A new connection beyond it
   * closes the connection idle the longest (a kept-alive one between requests) to make room,
   * or, when none is idle, is closed at once.
   */
  readonly maxConnections: number;
  /** Requests in progress at once on one connection (pipelining); a connection that sends more is closed. */
  readonly maxPipelined: number;
}

export const defaultServingLimits: ServingLimits = Object.freeze({
  helloMs: 10_000,
  handshakeMs: 10_000,
  idleMs: 30_000,
  headMs: 10_000,
  bodyWindowMs: 10_000,
  bodyMinBytes: 1_024,
  sendIdleMs: 30_000,
  maxConnections: 10_000,
  maxPipelined: 16,
});

/** The environment variable for each limit. */
export const servingLimitVariables: Readonly<Record<keyof ServingLimits, string>> = Object.freeze({
  helloMs: 'PORTCULLIS_EDGE_HELLO_TIMEOUT_MS',
  handshakeMs: 'PORTCULLIS_EDGE_HANDSHAKE_TIMEOUT_MS',
  idleMs: 'PORTCULLIS_EDGE_IDLE_TIMEOUT_MS',
  headMs: 'PORTCULLIS_EDGE_HEAD_TIMEOUT_MS',
  bodyWindowMs: 'PORTCULLIS_EDGE_BODY_WINDOW_MS',
  bodyMinBytes: 'PORTCULLIS_EDGE_BODY_MIN_BYTES',
  sendIdleMs: 'PORTCULLIS_EDGE_SEND_TIMEOUT_MS',
  maxConnections: 'PORTCULLIS_EDGE_MAX_CONNECTIONS',
  maxPipelined: 'PORTCULLIS_EDGE_MAX_PIPELINED',
});

/**
 * The limits set in `env` (each a positive integer; unset ones keep their default), or the
 * first variable that is wrong.
 */
export function servingLimitsFromEnv(
  env: NodeJS.ProcessEnv,
): { readonly ok: true; readonly limits: ServingLimits } | { readonly ok: false; readonly reason: string } {
  const limits: Record<string, number> = { ...defaultServingLimits };
  for (const [key, variable] of Object.entries(servingLimitVariables)) {
    const text = env[variable];
    if (text === undefined || text === '') continue;
    const value = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1)
      return { ok: false, reason: `${variable} must be a positive integer` };
    limits[key] = value;
  }
  return { ok: true, limits: limits as unknown as ServingLimits };
}
