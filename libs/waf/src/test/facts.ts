import { NO_CLIENT_CERT, type ClientCertFacts, type RequestFacts } from '../request-facts.ts';

/** Facts of a plain HTTPS GET to a.example.com without a client certificate, with `overrides`. */
export function request(overrides: Partial<RequestFacts> = {}): RequestFacts {
  return {
    host: 'a.example.com',
    method: 'GET',
    path: '/',
    query: '',
    userAgent: 'curl/8.5.0',
    headers: {},
    sourceIp: '192.0.2.10',
    tls: true,
    clientCert: NO_CLIENT_CERT,
    ...overrides,
  };
}

/** Facts of a presented, chain-verified, unrevoked certificate, with `overrides`. */
export function cert(overrides: Partial<ClientCertFacts> = {}): ClientCertFacts {
  return {
    presented: true,
    chainVerified: true,
    revoked: false,
    serial: '0a1b2c',
    fingerprintSha256: 'ab'.repeat(32),
    subjectDn: 'CN=client-1,O=Example',
    issuerDn: 'CN=Example Client CA,O=Example',
    issuerSki: 'DEADBEEF',
    notBefore: 1_700_000_000,
    notAfter: 1_731_536_000,
    error: '',
    ...overrides,
  };
}
