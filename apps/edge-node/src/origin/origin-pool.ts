import net from 'node:net';
import tls from 'node:tls';
import type { OriginTimeouts } from './origin-contract.ts';
import { OriginConnection } from './origin-connection.ts';
import type { Exchange } from './origin-exchange.ts';
import { OriginError } from './origin-error.ts';

/** How many connections one origin gets at most, and how many of them may wait idle. */
export interface PoolLimits {
  readonly maxConnections: number;
  readonly maxIdle: number;
}

/** Where and how to connect: one pool per origin scheme, host and port. */
export interface OriginAddress {
  readonly secure: boolean;
  /** Host name or address, without IPv6 brackets. */
  readonly host: string;
  readonly port: number;
  /** Trust for an https origin (the system roots plus the edge's origin CAs), built once per client; undefined for Node's default (the system roots). */
  readonly secureContext: tls.SecureContext | undefined;
}

/**
 * The connections to one origin. Idle connections are reused last-in first-out (the warmest
 * first, so the rest age out); at `maxConnections` a request waits, within its connect
 * deadline, for one to come free. A connection that errs, closes or is not reusable leaves the
 * pool; one idle past `poolIdleMs` is closed by the sweep.
 */
export class OriginPool {
  /** `scheme:` + `//host:port`, as the client's map holds it. */
  readonly key: string;
  readonly timeouts: OriginTimeouts;
  readonly #address: OriginAddress;
  readonly #limits: PoolLimits;
  readonly #idle: OriginConnection[] = [];
  readonly #waiting: Exchange[] = [];
  /** Every connection open or opening, busy or idle. */
  readonly all = new Set<OriginConnection>();
  /** Connections opened since the pool was made. */
  opened = 0;
  /** The latest TLS session an https origin gave: a new connection resumes it (an abbreviated handshake). */
  #session: Buffer | undefined;

  constructor(address: OriginAddress, timeouts: OriginTimeouts, limits: PoolLimits, key: string) {
    this.key = key;
    this.#address = address;
    this.timeouts = timeouts;
    this.#limits = limits;
  }

  get idle(): number {
    return this.#idle.length;
  }

  /** Gives `exchange` a connection: an idle one (unless `fresh`), a new one, or the next to come free. */
  acquire(exchange: Exchange, fresh: boolean): void {
    if (!fresh) {
      const idle = this.#idle.pop();
      if (idle) return idle.begin(exchange);
    }
    if (this.all.size >= this.#limits.maxConnections) {
      // A retry needs a new connection: an idle one makes room for it.
      const idle = fresh ? this.#idle.shift() : undefined;
      if (!idle) {
        this.#waiting.push(exchange);
        return;
      }
      idle.destroy();
    }
    this.#open(exchange);
  }

  /** `connection` is whole and free: the next waiting exchange takes it, or it waits idle. */
  release(connection: OriginConnection): void {
    const next = this.#waiting.shift();
    if (next) return connection.begin(next);
    if (this.#idle.length >= this.#limits.maxIdle) return connection.destroy();
    connection.deadline = performance.now() + this.timeouts.poolIdleMs;
    this.#idle.push(connection);
  }

  /** `connection` is gone: a waiting exchange gets a new one in its place. */
  remove(connection: OriginConnection): void {
    if (!this.all.delete(connection)) return;
    const at = this.#idle.indexOf(connection);
    if (at >= 0) this.#idle.splice(at, 1);
    const next = this.#waiting.shift();
    if (next) this.#open(next);
  }

  /** `exchange` gave up before it had a connection. */
  cancel(exchange: Exchange): void {
    const at = this.#waiting.indexOf(exchange);
    if (at >= 0) this.#waiting.splice(at, 1);
  }

  /** Acts on passed deadlines: connects and waits (504), origin silence (504), pooled idle time (closed). */
  sweep(now: number): void {
    for (const connection of this.all) connection.check(now);
    while (this.#waiting.length > 0 && this.#waiting[0]!.connectBy < now) {
      this.#waiting.shift()!.failed(new OriginError('connect-timeout', 'connect timeout'), false);
    }
  }

  /** Destroys every connection; exchanges waiting for one fail. */
  close(): void {
    for (const connection of [...this.all]) connection.fail(new OriginError('reset', 'origin client closed'));
    for (const exchange of this.#waiting.splice(0)) exchange.failed(new OriginError('reset', 'origin client closed'), false);
  }

  #open(exchange: Exchange): void {
    const { secure, host, port, secureContext } = this.#address;
    let socket: net.Socket;
    if (secure) {
      const tlsSocket = tls.connect({
        host,
        port,
        // SNI and the verified name are the origin's own, never the client's Host; an address gets no SNI (RFC 6066 §3).
        ...(net.isIP(host) === 0 ? { servername: host } : {}),
        ...(secureContext ? { secureContext } : {}),
        ...(this.#session ? { session: this.#session } : {}),
      });
      tlsSocket.on('session', (session: Buffer) => (this.#session = session));
      socket = tlsSocket;
    } else socket = net.connect({ host, port });
    socket.setNoDelay(true);
    this.opened++;
    this.all.add(new OriginConnection(this, socket, exchange, secure));
  }
}
