import type tls from 'node:tls';
import { connectionCertificate, NO_CONNECTION_CERTIFICATE, type ConnectionCertificate } from './certificate-facts.ts';
import type { HostnameTrust } from './compiled-resources.ts';
import type { WatchedConnection } from './connection-deadlines.ts';

/**
 * What the edge keeps about one TLS connection, beside its socket: the server name it was
 * opened for, whether a client certificate was requested, and the certificate facts computed
 * from the peer certificate once, not per request.
 */
export interface ConnectionState {
  readonly serverName: string;
  /** A CertificateRequest was sent in the handshake (the name had mTLS bindings then). */
  readonly requestedCertificate: boolean;
  /** The trust the facts were computed against; facts are recomputed only when it changes. */
  trust: HostnameTrust | undefined;
  certificate: ConnectionCertificate | undefined;
  /** RFC 9440 `Client-Cert` value (`:base64 DER:`), made with the facts. */
  clientCertHeader: string | undefined;
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
  const state: ConnectionState = {
    serverName,
    requestedCertificate,
    deadlines,
    trust: undefined,
    certificate: undefined,
    clientCertHeader: undefined,
  };
  states.set(socket, state);
  return state;
}

/** The state of a connection the TLS front accepted; undefined for any other socket. */
export function connectionStateOf(socket: tls.TLSSocket): ConnectionState | undefined {
  return states.get(socket);
}

/**
 * The connection's certificate facts against `trust` (the CAs its server name has now;
 * undefined when the name has no bindings, which means no certificate facts at all). Parses
 * and verifies the peer certificate on the first request, and again only if the name's CAs
 * changed since (a rebinding takes effect on kept-alive connections too); every other request
 * costs one identity comparison.
 */
export function certificateFor(
  socket: tls.TLSSocket,
  state: ConnectionState,
  trust: HostnameTrust | undefined,
  now: Date,
): ConnectionCertificate {
  if (trust === undefined) return NO_CONNECTION_CERTIFICATE;
  if (state.certificate !== undefined && state.trust === trust) return state.certificate;
  const peer = state.requestedCertificate ? socket.getPeerX509Certificate() : undefined;
  state.certificate = connectionCertificate(peer, trust.store, now);
  state.trust = trust;
  state.clientCertHeader = peer ? `:${peer.raw.toString('base64')}:` : undefined;
  return state.certificate;
}
