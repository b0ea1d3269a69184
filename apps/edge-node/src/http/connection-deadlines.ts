import type net from 'node:net';
import type tls from 'node:tls';
import type { EdgeLogger } from '../edge-logger.ts';
import type { ServingLimits } from './serving-limits.ts';

/**
 * What the deadlines read of a request (node:http's IncomingMessage has it): whether its body
 * is all in, and whether the edge is reading it now (`false`: paused by backpressure).
 */
export interface RequestProgress {
  readonly complete: boolean;
  readonly readableFlowing: boolean | null;
}

/** A response, for the moment it is over (node:http's ServerResponse has it). */
export interface ResponseEnd {
  once(event: 'close', listener: () => void): unknown;
}

/**
 * One client connection as the deadlines see it. The TLS front reports the end of each phase;
 * the request handler reports each request. Nothing here reads or parses bytes: progress is
 * the TLS socket's count of plaintext bytes read, so the unit works the same whatever parses
 * HTTP above it.
 */
export interface WatchedConnection {
  /** The ClientHello is whole; the TLS handshake starts on `secure`. */
  handshakeStarted(secure: tls.TLSSocket): void;
  /** The handshake is done: the connection waits for its first request. */
  secured(): void;
  /**
   * A request's head is whole. Its body, if any, must keep coming at the minimum rate; the
   * connection is idle again once every response in progress has closed. Closes the connection
   * (and answers false) when it has more requests in progress than `maxPipelined`.
   */
  requestStarted(req: RequestProgress, res: ResponseEnd): boolean;
}

export interface ConnectionDeadlines {
  /**
   * Starts watching a new connection, or answers undefined (and destroys it) when the cap is
   * reached and no idle connection can be shed for it.
   */
  admit(raw: net.Socket): WatchedConnection | undefined;
  /** Stops the sweep timer; connections are left to their owner. */
  stop(): void;
}

type Phase = 'hello' | 'handshake' | 'http';

/** How often deadlines are checked: an eighth of the shortest, between 25 ms and 500 ms. */
function sweepInterval(limits: ServingLimits): number {
  const shortest = Math.min(limits.helloMs, limits.handshakeMs, limits.idleMs, limits.headMs, limits.bodyWindowMs, limits.sendIdleMs);
  return Math.min(500, Math.max(25, Math.floor(shortest / 8)));
}

/**
 * Total deadlines for every phase of a client connection, and the connection cap. One timer
 * sweeps all connections (cheap: a few comparisons each), so a deadline is met within one
 * sweep interval of its limit; a per-byte timer would let a trickling client live forever.
 * Phases of a connection: hello (accept → whole ClientHello, `helloMs`), handshake
 * (`handshakeMs`), then HTTP: idle (no request in progress and no byte of the next one,
 * `idleMs`), head (first byte seen → whole head, `headMs`), body (the edge reading a body:
 * `bodyMinBytes` per `bodyWindowMs`), response (while the client leaves response bytes
 * waiting, it must take some every `sendIdleMs`; while the edge waits for the origin, the
 * origin timeouts apply).
 * Idle connections are kept in the order they became idle, so the one idle longest is the
 * first shed when the cap is reached.
 */
export function createConnectionDeadlines(limits: ServingLimits, log: EdgeLogger): ConnectionDeadlines {
  const watched = new Set<Watch>();
  const idle = new Set<Watch>();
  let timer: NodeJS.Timeout | undefined;

  class Watch implements WatchedConnection {
    phase: Phase = 'hello';
    since = performance.now();
    secure: tls.TLSSocket | undefined;
    inFlight = 0;
    /** The request whose body the edge is reading. */
    body: RequestProgress | undefined;
    windowStart = 0;
    windowBytes = 0;
    /** Plaintext bytes read when the connection last became idle. */
    idleBytes = 0;
    /** When the first byte of the next request was seen; undefined while none was. */
    headSince: number | undefined;
    /** Response bytes the client had taken (written to the socket's handle) at `sendSince`. */
    sent = 0;
    sendSince = 0;
    closed = false;
    readonly raw: net.Socket;

    constructor(raw: net.Socket) {
      this.raw = raw;
    }

    handshakeStarted(secure: tls.TLSSocket): void {
      this.secure = secure;
      // The TLS socket takes the raw socket's handle: its close is the connection's.
      secure.once('close', () => this.forget());
      this.enter('handshake');
    }

    secured(): void {
      this.enter('http');
      this.becomeIdle();
    }

    requestStarted(req: RequestProgress, res: ResponseEnd): boolean {
      if (this.closed) return false;
      this.inFlight++;
      idle.delete(this);
      this.headSince = undefined;
      if (this.inFlight > limits.maxPipelined) {
        this.close('too many pipelined requests');
        return false;
      }
      const now = performance.now();
      if (!req.complete) {
        this.body = req;
        this.startWindow(now);
      }
      if (this.inFlight === 1) {
        this.sent = this.secure!.bytesWritten - this.secure!.writableLength;
        this.sendSince = now;
      }
      res.once('close', () => {
        this.inFlight--;
        if (this.body === req) this.body = undefined;
        if (this.inFlight === 0 && !this.closed) this.becomeIdle();
      });
      return true;
    }

    enter(phase: Phase): void {
      this.phase = phase;
      this.since = performance.now();
    }

    becomeIdle(): void {
      this.since = performance.now();
      this.idleBytes = this.secure?.bytesRead ?? 0;
      this.headSince = undefined;
      idle.delete(this);
      idle.add(this);
    }

    startWindow(now: number): void {
      this.windowStart = now;
      this.windowBytes = this.secure?.bytesRead ?? 0;
    }

    /** Closes the connection when it is past a deadline. */
    check(now: number): void {
      if (this.phase === 'hello') {
        if (now - this.since > limits.helloMs) this.close('no whole ClientHello in time');
        return;
      }
      if (this.phase === 'handshake') {
        if (now - this.since > limits.handshakeMs) this.close('no TLS handshake in time');
        return;
      }
      const bytes = this.secure!.bytesRead;
      const body = this.body;
      if (body !== undefined && !body.complete) {
        // Paused by the edge (the origin is not reading): the client is not the one stalling.
        if (body.readableFlowing === false) this.startWindow(now);
        else if (now - this.windowStart >= limits.bodyWindowMs) {
          if (bytes - this.windowBytes < limits.bodyMinBytes) this.close('request body too slow');
          else this.startWindow(now);
        }
        return;
      }
      this.body = undefined;
      if (this.inFlight > 0) {
        this.checkSending(now);
        return;
      }
      if (this.headSince === undefined) {
        if (bytes > this.idleBytes) {
          this.headSince = now;
          idle.delete(this);
        } else if (now - this.since > limits.idleMs) this.close('idle');
        return;
      }
      if (now - this.headSince > limits.headMs) this.close('no whole request head in time');
    }

    /** Closes a connection whose client has left response bytes waiting, untaken, for `sendIdleMs`. */
    checkSending(now: number): void {
      const secure = this.secure!;
      const waiting = secure.writableLength;
      const sent = secure.bytesWritten - waiting;
      if (waiting === 0 || sent !== this.sent) {
        this.sent = sent;
        this.sendSince = now;
      } else if (now - this.sendSince > limits.sendIdleMs) this.close('response not read');
    }

    close(reason: string): void {
      if (this.closed) return;
      log.debug({ remote: this.raw.remoteAddress, phase: this.phase, reason }, 'client connection closed by the edge');
      this.forget();
      (this.secure ?? this.raw).destroy();
      this.raw.destroy();
    }

    forget(): void {
      this.closed = true;
      watched.delete(this);
      idle.delete(this);
      if (watched.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    }
  }

  const sweep = () => {
    const now = performance.now();
    for (const watch of watched) watch.check(now);
  };

  return {
    admit(raw) {
      if (watched.size >= limits.maxConnections) {
        const oldestIdle = idle.values().next().value;
        if (oldestIdle === undefined) {
          log.debug({ remote: raw.remoteAddress, limit: limits.maxConnections }, 'connection cap reached; new connection closed');
          raw.destroy();
          return undefined;
        }
        oldestIdle.close('shed for a new connection at the connection cap');
      }
      const watch = new Watch(raw);
      watched.add(watch);
      raw.once('close', () => watch.forget());
      timer ??= setInterval(sweep, sweepInterval(limits)).unref();
      return watch;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
