import type { BodySource, BodyTarget, OriginExchange, ResponseSink } from './origin-contract.ts';
import type { OriginConnection } from './origin-connection.ts';
import { OriginError } from './origin-error.ts';
import type { OriginPool } from './origin-pool.ts';
import { withoutHopByHop } from './response-fields.ts';

/** Methods whose request may be sent twice with the effect of once (RFC 9110 §9.2.2). */
const idempotent = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** How long a request that expects `100 Continue` waits for it before sending its body anyway (as curl does). */
const continueWaitMs = 1_000;

interface QueuedHead {
  readonly status: number;
  readonly headers: string[];
}
interface QueuedEnd {
  readonly trailers: string[];
}
type Queued = Buffer | QueuedHead | QueuedEnd;

/**
 * One request through the client: its head, body and sink, across at most two attempts (the
 * second on a fresh connection, when the first met a stale pooled one). The connection parses
 * and queues what the origin sent; the exchange hands the queue to the sink outside the
 * parser, at the sink's pace.
 */
export class Exchange implements OriginExchange, BodyTarget {
  readonly head: string;
  /** A HEAD request: its response has no body whatever its fields say. */
  readonly bodyless: boolean;
  readonly #body: BodySource | null;
  readonly #sink: ResponseSink;
  readonly #idempotent: boolean;
  readonly #expectContinue: boolean;
  readonly #pool: OriginPool;
  /** The connection carrying (or being opened for) this exchange; undefined while queued for one or once parsed. */
  connection: OriginConnection | undefined;
  /** performance.now() by which a connection must be up; Infinity once one is. */
  connectBy: number;
  #retried = false;
  #bodyStarted = false;
  /** The whole body was written (true from the start for a request without one). */
  bodyDone: boolean;
  /** `BodySource.stop()` was called: the body will not be whole. */
  #bodyStopped = false;
  #bodySent = 0;
  #continueTimer: NodeJS.Timeout | undefined;
  #queue: Queued[] = [];
  #next = 0;
  #paused = false;
  #flushing = false;
  /** Nothing more reaches the sink: ended, failed or aborted. */
  over = false;

  constructor(pool: OriginPool, method: string, head: string, body: BodySource | null, sink: ResponseSink, expectContinue: boolean) {
    this.#pool = pool;
    this.head = head;
    this.bodyless = method === 'HEAD';
    this.#body = body;
    this.#sink = sink;
    this.#idempotent = idempotent.has(method);
    this.#expectContinue = expectContinue && body !== null;
    this.bodyDone = body === null;
    this.connectBy = performance.now() + pool.timeouts.connectMs;
  }

  /** The head is on the wire: send the body now, or once the origin says `100 Continue`. */
  headWritten(): void {
    if (this.#body === null || this.#bodyStarted) return;
    // Not from inside request(): a body that fails at once must not reach the sink before request() returns.
    if (!this.#expectContinue) return queueMicrotask(() => this.#startBody());
    this.#continueTimer = setTimeout(() => this.#startBody(), continueWaitMs);
  }

  /** An interim response came: `100` lets a waiting body go. */
  informational(status: number): void {
    if (status === 100 && this.#continueTimer !== undefined) this.#startBody();
  }

  #startBody(): void {
    clearTimeout(this.#continueTimer);
    this.#continueTimer = undefined;
    if (this.#bodyStarted || this.over || this.connection === undefined) return;
    this.#bodyStarted = true;
    this.#body!.start(this);
  }

  queueHead(status: number, fields: string[]): void {
    this.#queue.push({ status, headers: withoutHopByHop(fields) });
  }

  queueData(chunk: Buffer): void {
    this.#queue.push(chunk);
  }

  /** The response is parsed whole; the connection is already let go of. A body not yet all sent is stopped. */
  queueEnd(trailers: string[]): void {
    this.#queue.push({ trailers });
    this.connection = undefined;
    this.#stopBody();
  }

  /** Whether the sink asked to pause and has not resumed. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Hands queued events to the sink until it pauses or the queue is empty. */
  flush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    const queue = this.#queue;
    while (this.#next < queue.length && !this.#paused && !this.over) {
      const item = queue[this.#next++]!;
      if (item instanceof Uint8Array) {
        if (!this.#sink.onData(item)) this.#paused = true;
      } else if ('status' in item) {
        this.#sink.onHead(item.status, item.headers);
      } else {
        this.over = true;
        this.#sink.onEnd(item.trailers);
      }
    }
    if (this.#next === queue.length) {
      queue.length = 0;
      this.#next = 0;
    }
    this.#flushing = false;
  }

  resume(): void {
    if (!this.#paused || this.over) return;
    this.#paused = false;
    this.flush();
    if (!this.#paused && this.#next === 0) this.connection?.readMore();
  }

  abort(): void {
    if (this.over) return;
    this.over = true;
    this.#queue = [];
    this.#stopBody();
    const connection = this.connection;
    this.connection = undefined;
    if (connection) connection.destroy();
    else this.#pool.cancel(this);
  }

  /**
   * The attempt failed. `stale`: on a pooled connection that had served an exchange, before any
   * response byte: sent again once on a fresh connection when the request may be, else failed.
   */
  failed(error: OriginError, stale: boolean): void {
    this.connection = undefined;
    if (this.over) return;
    if (stale && this.#idempotent && !this.#bodyStarted && !this.#retried) {
      this.#retried = true;
      clearTimeout(this.#continueTimer);
      this.#continueTimer = undefined;
      this.connectBy = performance.now() + this.#pool.timeouts.connectMs;
      this.#pool.acquire(this, true);
      return;
    }
    this.over = true;
    this.#queue = [];
    this.#stopBody();
    this.#sink.onError(error);
  }

  #stopBody(): void {
    clearTimeout(this.#continueTimer);
    this.#continueTimer = undefined;
    if (this.#body !== null && !this.bodyDone && !this.#bodyStopped) {
      this.#bodyStopped = true;
      this.#body.stop();
    }
  }

  /** The origin connection took what was buffered. */
  drained(): void {
    if (this.#bodyStarted && !this.bodyDone && !this.#bodyStopped) this.#body!.resume();
  }

  // BodyTarget: where the body source writes.

  write(chunk: Uint8Array): boolean {
    const connection = this.connection;
    if (connection === undefined || this.#bodyStopped || this.bodyDone) return false;
    this.#bodySent += chunk.length;
    const length = this.#body!.length;
    if (length !== null && this.#bodySent > length) {
      connection.fail(new OriginError('request-body', 'request body longer than its length'));
      return false;
    }
    return connection.writeBody(chunk, length === null);
  }

  end(): void {
    const connection = this.connection;
    if (connection === undefined || this.#bodyStopped || this.bodyDone) return;
    const length = this.#body!.length;
    if (length !== null && this.#bodySent !== length) {
      connection.fail(new OriginError('request-body', 'request body ended short of its length'));
      return;
    }
    this.bodyDone = true;
    if (length === null) connection.endChunkedBody();
  }

  fail(reason: string): void {
    const connection = this.connection;
    if (connection === undefined || this.over) return;
    connection.fail(new OriginError('request-body', reason));
  }
}
