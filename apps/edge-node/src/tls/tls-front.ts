import net from 'node:net';
import tls from 'node:tls';
import { readClientHello } from './client-hello.ts';
import type { ConfigSnapshot } from '../config/config-snapshot.ts';
import { createConnectionDeadlines } from '../http/connection-deadlines.ts';
import { attachConnectionState } from './connection-state.ts';
import type { EdgeLogger } from '../edge-logger.ts';
import type { ServingMetrics } from '../metrics/serving-metrics.ts';
import { defaultServingLimits, type ServingLimits } from '../http/serving-limits.ts';

export interface TlsFrontOptions {
  /** The snapshot handshakes use now; undefined refuses every connection (no configuration yet). */
  snapshot(): ConfigSnapshot | undefined;
  /** Receives each TLS socket as its handshake starts, its connection state attached. */
  onTlsSocket(socket: tls.TLSSocket): void;
  readonly log: EdgeLogger;
  /** Deadlines and the connection cap; unset ones keep `defaultServingLimits`. */
  readonly limits?: Partial<ServingLimits>;
  /** Counts handshakes (by hostname kind and outcome) and open connections. */
  readonly metrics?: ServingMetrics;
}

/**
 * Reads a ClientHello may take. Real clients send it in one to three segments; each read
 * re-assembles and re-parses what came so far (up to 32 KiB), so a client sending it a byte
 * at a time must not get thousands of them.
 */
export const maxClientHelloReads = 64;

/** A fatal unrecognized_name alert (RFC 6066): the polite way to refuse an unknown server name. */
const unrecognizedName = Buffer.from([21, 3, 3, 0, 2, 2, 112]);

/**
 * The one listening socket for every site. Node decides whether to request a client
 * certificate per socket (`requestCert`), not per SecureContext, so an SNICallback, which
 * only swaps the context, cannot ask on some names and not on others. The front therefore
 * reads the ClientHello itself on the raw TCP socket (bounded in size and time, see
 * client-hello.ts), looks the server name up in the current snapshot, puts the bytes back
 * (`unshift`) and only then starts TLS on the socket with the name's cached context and
 * `requestCert` exactly when the name has mTLS bindings. `rejectUnauthorized: false`: a
 * missing or bad certificate never aborts the handshake; it becomes facts for the WAF.
 * ALPN offers http/1.1 only: no HTTP/2, so a client cannot coalesce requests for several
 * hostnames (with different CAs) onto one connection. An unknown server name, or none, is
 * refused with an unrecognized_name alert, and a ClientHello in more than
 * `maxClientHelloReads` reads is closed (renegotiation is off in every context,
 * secure-contexts.ts). Every connection is watched by the connection deadlines (total time
 * for the ClientHello, the handshake, request heads and idle time, a minimum body rate, a
 * send deadline) and counts against the connection cap (connection-deadlines.ts).
 */
export function createTlsFront(options: TlsFrontOptions): net.Server {
  const { log, metrics } = options;
  const connectionClosed = () => metrics?.connectionClosed();
  const deadlines = createConnectionDeadlines({ ...defaultServingLimits, ...options.limits }, log);
  const server = net.createServer({ noDelay: true }, (socket) => {
    const watch = deadlines.admit(socket);
    if (!watch) {
      metrics?.handshake('unknown', 'capacity');
      return;
    }
    metrics?.connectionOpened();
    socket.once('close', connectionClosed);
    let received: Buffer | undefined;
    let reads = 0;
    socket.on('error', () => socket.destroy());
    const onData = (chunk: Buffer) => {
      received = received ? Buffer.concat([received, chunk]) : chunk;
      const hello = readClientHello(received);
      if (hello.status === 'incomplete') {
        if (++reads < maxClientHelloReads) return;
        log.debug({ remote: socket.remoteAddress, reads }, 'ClientHello in too many pieces; closed');
        metrics?.handshake('unknown', 'invalid');
        socket.destroy();
        return;
      }
      socket.removeListener('data', onData);
      socket.pause();
      if (hello.status === 'invalid') {
        log.debug({ remote: socket.remoteAddress, reason: hello.reason }, 'not a TLS ClientHello; closed');
        metrics?.handshake('unknown', 'invalid');
        socket.destroy();
        return;
      }
      const serverName = hello.serverName;
      const choice = serverName === undefined ? undefined : options.snapshot()?.tlsFor(serverName);
      if (serverName === undefined || !choice) {
        log.debug({ remote: socket.remoteAddress, serverName: serverName ?? null }, 'no credential for the server name; handshake refused');
        metrics?.handshake('unknown', 'refused');
        socket.end(unrecognizedName);
        return;
      }
      socket.unshift(received);
      const secure = new tls.TLSSocket(socket, {
        isServer: true,
        secureContext: choice.context,
        requestCert: choice.trust !== undefined,
        rejectUnauthorized: false,
        ALPNProtocols: ['http/1.1'],
      });
      attachConnectionState(secure, serverName, choice.trust !== undefined, watch);
      watch.handshakeStarted(secure);
      const kind = choice.trust !== undefined ? 'mtls' : 'plain';
      let secured = false;
      secure.once('secure', () => {
        secured = true;
        metrics?.handshake(kind, 'completed');
        watch.secured();
      });
      secure.once('close', () => {
        if (!secured) metrics?.handshake(kind, 'failed');
      });
      secure.on('error', (error) => {
        log.debug({ remote: socket.remoteAddress, serverName, error: error.message }, 'TLS connection error');
        secure.destroy();
      });
      options.onTlsSocket(secure);
    };
    socket.on('data', onData);
  });
  server.on('close', () => deadlines.stop());
  return server;
}
