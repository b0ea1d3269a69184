import type net from 'node:net';
import type { Exchange } from './origin-exchange.ts';
import { OriginError } from './origin-error.ts';
import type { OriginPool } from './origin-pool.ts';
import { ResponseParser, type ResponseEvents } from './response-parser.ts';

const chunkEnd = '\r\n';
const lastChunk = '0\r\n\r\n';

/** Whether a 204/304 head says it has content anyway (which would then be read as the next response). */
function framesContent(fields: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i += 2) {
    const name = fields[i]!.toLowerCase();
    if (name === 'transfer-encoding' || (name === 'content-length' && fields[i + 1]!.trim() !== '0')) return true;
  }
  return false;
}

/**
 * One connection to an origin: a socket, its strict response parser, and at most one exchange at
 * a time (no pipelining). Created connecting, for the exchange that asked for it; afterwards it
 * is either carrying an exchange or idle in its pool. It is reused only after a response that
 * was whole, framed (not close-delimited), allowed keep-alive, had nothing after it, and whose
 * request body was all sent; anything else destroys it.
 */
export class OriginConnection implements ResponseEvents {
  readonly #socket: net.Socket;
  readonly #parser: ResponseParser;
  readonly #pool: OriginPool;
  #exchange: Exchange | undefined;
  #connected = false;
  /** Exchanges whose response was whole on this connection. */
  #served = 0;
  #sawResponseBytes = false;
  #keepAlive = false;
  /** A 204/304 whose fields frame content anyway: whatever follows would be read as the next response. */
  #framedBodyless = false;
  #reading = true;
  destroyed = false;
  /** performance.now() past which the sweep acts: connect deadline, origin idle timeout, or pooled idle time; Infinity for none. */
  deadline: number;

  constructor(pool: OriginPool, socket: net.Socket, exchange: Exchange, secure: boolean) {
    this.#pool = pool;
    this.#socket = socket;
    this.#exchange = exchange;
    exchange.connection = this;
    this.deadline = exchange.connectBy;
    this.#parser = new ResponseParser(this);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      this.#connected = true;
      const waiting = this.#exchange;
      this.#exchange = undefined;
      if (waiting && !waiting.over) this.begin(waiting);
      else this.#pool.release(this);
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code ?? error.message;
      this.fail(this.#connected ? new OriginError('reset', reason, error) : new OriginError('unreachable', reason, error));
    });
    socket.on('close', () => this.fail(new OriginError('reset', 'origin closed the connection')));
    socket.on('drain', () => this.#exchange?.drained());
  }

  /** Sends `exchange`'s head on this (connected, free) connection. */
  begin(exchange: Exchange): void {
    this.#exchange = exchange;
    exchange.connection = this;
    exchange.connectBy = Number.POSITIVE_INFINITY;
    this.#sawResponseBytes = false;
    this.#keepAlive = false;
    this.#parser.next(exchange.bodyless);
    this.deadline = performance.now() + this.#pool.timeouts.idleMs;
    if (!this.#reading) this.readMore();
    this.#socket.write(exchange.head, 'latin1');
    exchange.headWritten();
  }

  /** Writes request body bytes (framed as a chunk when `chunked`); false when the socket's buffer is full. */
  writeBody(chunk: Uint8Array, chunked: boolean): boolean {
    this.deadline = performance.now() + this.#pool.timeouts.idleMs;
    if (!chunked) return this.#socket.write(chunk);
    if (chunk.length === 0) return true;
    this.#socket.cork();
    this.#socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    this.#socket.write(chunk);
    const more = this.#socket.write(chunkEnd, 'latin1');
    this.#socket.uncork();
    return more;
  }

  endChunkedBody(): void {
    this.#socket.write(lastChunk, 'latin1');
  }

  /** Reads the socket again after the sink paused (and the idle timeout runs again). */
  readMore(): void {
    this.#reading = true;
    if (this.#exchange) this.deadline = performance.now() + this.#pool.timeouts.idleMs;
    this.#socket.resume();
  }

  /** Called by the sweep: acts on a deadline that has passed. */
  check(now: number): void {
    if (now <= this.deadline) return;
    const exchange = this.#exchange;
    if (exchange === undefined) this.destroy();
    else if (!this.#connected) this.fail(new OriginError('connect-timeout', 'connect timeout'));
    else if (!exchange.paused) this.fail(new OriginError('timeout', 'timeout'));
  }

  /** Ends the exchange on this connection with `error` (retried by the exchange when the connection proved stale) and destroys it. */
  fail(error: OriginError): void {
    const exchange = this.#exchange;
    this.#exchange = undefined;
    const stale = this.#connected && this.#served > 0 && !this.#sawResponseBytes && error.code === 'reset';
    this.destroy();
    exchange?.failed(error, stale);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.#socket.destroy();
    this.#parser.destroy();
    this.#pool.remove(this);
  }

  // ResponseEvents: called from inside the parser; they only queue.

  onInformational(status: number): void {
    this.#exchange!.informational(status);
  }

  onHead(status: number, headers: string[]): void {
    this.#framedBodyless = (status === 204 || status === 304) && framesContent(headers);
    this.#exchange!.queueHead(status, headers);
  }

  onBody(chunk: Buffer): void {
    this.#exchange!.queueData(chunk);
  }

  onComplete(trailers: string[], keepAlive: boolean): void {
    this.#keepAlive = keepAlive && !this.#framedBodyless;
    this.#exchange!.queueEnd(trailers);
  }

  #onData(chunk: Buffer): void {
    const exchange = this.#exchange;
    // Bytes from an origin nobody asked anything (while pooled, or after a whole response).
    if (exchange === undefined || !this.#connected) return this.destroy();
    this.#sawResponseBytes = true;
    this.deadline = performance.now() + this.#pool.timeouts.idleMs;
    const result = this.#parser.execute(chunk);
    // What was queued from this chunk is dropped: a head not yet delivered becomes a 502.
    if (result.kind === 'error') return this.fail(new OriginError('bad-response', result.reason));
    if (result.kind === 'complete') this.#completed(exchange, result.consumed === chunk.length);
    exchange.flush();
    if (exchange.paused && this.#exchange === exchange) {
      this.#reading = false;
      this.deadline = Number.POSITIVE_INFINITY;
      this.#socket.pause();
    }
  }

  #onEnd(): void {
    const exchange = this.#exchange;
    if (exchange === undefined || !this.#sawResponseBytes) return this.fail(new OriginError('reset', 'origin closed the connection'));
    const result = this.#parser.finish();
    if (result.kind === 'complete') {
      this.#completed(exchange, false);
      exchange.flush();
      return;
    }
    this.fail(
      result.kind === 'error'
        ? new OriginError('bad-response', result.reason)
        : new OriginError('reset', 'origin closed the connection mid-response'),
    );
  }

  /** The response is whole: the exchange lets go of the connection, which goes back to the pool if it may. */
  #completed(exchange: Exchange, clean: boolean): void {
    this.#exchange = undefined;
    this.#served++;
    const reusable = clean && this.#keepAlive && exchange.bodyDone && !exchange.over;
    if (reusable) this.#pool.release(this);
    else this.destroy();
  }
}
