import type tls from 'node:tls';
import type { WatchedConnection } from '../http/connection-deadlines.ts';
import { createConnectionFacts, type ConnectionFacts } from '../decision/connection-facts.ts';

/**
 * What the edge keeps about one TLS connection, beside its socket: the facts a request
 * decision reads (server name, whether a certificate was requested, the certificate facts,
 * computed from the peer certificate once, not per request) and its deadlines.
 */
export interface ConnectionState {
  readonly facts: ConnectionFacts;
  /** The connection's deadlines, told of each request. */
  readonly deadlines: WatchedConnection;
}

const states = new WeakMap<tls.TLSSocket, ConnectionState>();

/** Keeps the state of a new connection beside its socket. */
export function attachConnectionState(
  socket: tls.TLSSocket,
  serverName: string,
  requestedCertificate: boolean,
  deadlines: WatchedConnection,
): ConnectionState {
  const facts = createConnectionFacts({
    serverName,
    requestedCertificate,
    // Read at the first request, once the handshake is over.
    get remoteAddress() {
      return socket.remoteAddress ?? '';
    },
    peerCertificate: () => socket.getPeerX509Certificate()?.raw,
  });
  const state: ConnectionState = { facts, deadlines };
  states.set(socket, state);
  return state;
}

/** The state of a connection the TLS front accepted; undefined for any other socket. */
export function connectionStateOf(socket: tls.TLSSocket): ConnectionState | undefined {
  return states.get(socket);
}
