import type { OriginError } from './origin-error.ts';
import type { OriginRequestHead } from './request-head.ts';

/**
 * Where the client writes a request body. Every method may be called only after
 * `BodySource.start()` and until `end()` or `fail()`.
 */
export interface BodyTarget {
  /**
   * Sends `chunk` (the client does not copy it: do not reuse it). Answers false when the
   * origin connection's buffer is full: write nothing more until `BodySource.resume()`.
   */
  write(chunk: Uint8Array): boolean;
  /** The body is whole. A body with a `length` that ends short fails the exchange (`request-body`). */
  end(): void;
  /** The body cannot be completed (the client went away mid-body): the exchange fails and its connection is closed. */
  fail(reason: string): void;
}

/** A request body, pushed by its owner (the edge's client connection) at the pace the origin takes it. */
export interface BodySource {
  /** The body's byte count (sent as `Content-Length`), or `null` to send it chunked. */
  readonly length: number | null;
  /**
   * Called once, when the head has been written (after the origin's `100 Continue`, or one
   * second without an answer, when the head asks for one): push the body into `target`.
   */
  start(target: BodyTarget): void;
  /** The origin took what was buffered: writing may go on. */
  resume(): void;
  /** The exchange no longer takes the body (it failed, was aborted, or the origin answered first): stop writing. Called at most once, also when never started. */
  stop(): void;
}

/**
 * Receives the origin's response. Calls come in this order, each from a socket event (never
 * from inside `request()`): `onHead`, any number of `onData`, then `onEnd`; or `onError` at any
 * point instead of what is left. After `onEnd`, `onError` or `OriginExchange.abort()`, nothing
 * more is called.
 */
export interface ResponseSink {
  /**
   * The final response head: status (200–599) and flat `[name, value, …]` fields as the origin
   * sent them, minus hop-by-hop fields (RFC 9110 §7.6.1 and those its `Connection` names). The
   * array is the sink's to keep. Interim 1xx responses are consumed by the client.
   */
  onHead(status: number, headers: string[]): void;
  /**
   * Body bytes (de-chunked). The buffer is the sink's to keep. Answer false to pause: no more
   * `onData` until `OriginExchange.resume()`; meanwhile the origin connection is not read (its
   * TCP window closes) and the origin idle timeout does not run. Responses without a body
   * (HEAD, 204, 304) get no `onData`.
   */
  onData(chunk: Buffer): boolean;
  /** The response is whole; `trailers` are a chunked body's trailer fields (flat; usually empty). */
  onEnd(trailers: string[]): void;
  /** The exchange failed. Before `onHead`, answer the client `error.status`; after it, the response can only be cut short. */
  onError(error: OriginError): void;
}

/** One request in progress. */
export interface OriginExchange {
  /** The sink is ready for more `onData` after answering false. Harmless at any other time. */
  resume(): void;
  /**
   * Gives the exchange up (the client went away): the origin connection is destroyed (never
   * reused mid-exchange) and nothing more reaches the sink or the body source, except
   * `BodySource.stop()`. Harmless once the exchange is over.
   */
  abort(): void;
}

/** A lean HTTP/1.1 client for origins: pooled keep-alive connections, one strict parser per connection. */
export interface OriginClient {
  /**
   * Sends `head` (and `body`, when not null) to `origin` (`http:` or `https:`; its path is put
   * before `head.path`) on a pooled connection, and the response to `sink`.
   * The head goes out in one write. An idempotent request (GET, HEAD, OPTIONS, TRACE, PUT,
   * DELETE) that meets a pooled connection the origin had closed or reset (no response byte
   * came), before any body byte was taken from `body`, is sent again once on a fresh connection;
   * other requests are not. Failures reach `sink.onError` with a closed code (`OriginError`).
   */
  request(origin: URL, head: OriginRequestHead, body: BodySource | null, sink: ResponseSink): OriginExchange;
  /** Per origin (`scheme:` + `//host:port`): connections busy and idle now, and opened in all, for tests and metrics. */
  connections(): Map<string, { busy: number; idle: number; opened: number }>;
  /** Destroys every connection; requests in progress fail (`reset`). The client is not usable after. */
  close(): void;
}

/** Bounds on talking to an origin. */
export interface OriginTimeouts {
  /** Until the TCP (and TLS) connection is up, including any wait for a free pooled connection. */
  readonly connectMs: number;
  /** Connected, the origin sending nothing while the edge waits on it (response head or body, request body not taken). */
  readonly idleMs: number;
  /** How long an unused pooled connection is kept; below common origin keep-alive timeouts (Node's is 5 s). */
  readonly poolIdleMs: number;
}

export const defaultOriginTimeouts: OriginTimeouts = { connectMs: 5_000, idleMs: 30_000, poolIdleMs: 4_000 };
