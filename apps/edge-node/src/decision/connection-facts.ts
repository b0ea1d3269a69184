import { connectionCertificate, NO_CONNECTION_CERTIFICATE, type ConnectionCertificate } from '@portcullis/facts';
import type { HostnameTrust } from '../config/compiled-resources.ts';

/**
 * What a request decision knows of its connection, without the connection itself: the server
 * name it was opened for, whether a client certificate was requested in its handshake, the
 * client's address, and its certificate facts, computed once.
 */
export interface ConnectionFacts {
  readonly serverName: string;
  /** A CertificateRequest was sent in the handshake (the name had mTLS bindings then). */
  readonly requestedCertificate: boolean;
  readonly remoteAddress: string;
  /**
   * The connection's certificate checked against `trust` (the CAs its server name has now;
   * undefined when it has none, which means no certificate facts at all). Parses and verifies
   * the peer certificate on the first call and again only when `trust` is another object than
   * last time (a rebinding takes effect on kept-alive connections too); every other call costs
   * one identity comparison.
   */
  certificate(trust: HostnameTrust | undefined, now: Date): ConnectionCertificate;
  /** RFC 9440 `Client-Cert` value (`:base64 DER:`) of the presented certificate, else undefined. */
  clientCertHeader(): string | undefined;
}

/** How to make a connection's facts: `peerCertificate` is read at most once per trust change. */
export interface ConnectionFactsInput {
  readonly serverName: string;
  readonly requestedCertificate: boolean;
  readonly remoteAddress: string;
  /** The DER certificate the client presented in the handshake, if any. */
  peerCertificate(): Uint8Array | undefined;
}

/** Connection facts with the certificate memoised as `ConnectionFacts.certificate` promises. */
export function createConnectionFacts(input: ConnectionFactsInput): ConnectionFacts {
  let trusted: HostnameTrust | undefined;
  let certificate: ConnectionCertificate | undefined;
  let header: string | undefined;
  let address: string | undefined;
  return {
    serverName: input.serverName,
    requestedCertificate: input.requestedCertificate,
    // Read once, on first use: a transport may know it only once connected.
    get remoteAddress() {
      return (address ??= input.remoteAddress);
    },
    certificate(trust, now) {
      if (trust === undefined) return NO_CONNECTION_CERTIFICATE;
      if (certificate !== undefined && trusted === trust) return certificate;
      const peer = input.requestedCertificate ? input.peerCertificate() : undefined;
      certificate = connectionCertificate(peer, trust.store, now);
      trusted = trust;
      header = peer ? `:${Buffer.from(peer).toString('base64')}:` : undefined;
      return certificate;
    },
    clientCertHeader: () => header,
  };
}
