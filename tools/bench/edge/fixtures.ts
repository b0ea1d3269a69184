import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** The PEM files a benchmark run uses: a server certificate, a client CA and a client certificate. */
export interface BenchCertificates {
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCa: string;
  readonly clientCaKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/**
 * Makes ECDSA P-256 certificates with the openssl CLI in `dir`: a self-signed server
 * certificate for `hostname`, a client CA, and a client certificate it issued — the set-up of
 * PERFORMANCE-NOTES.md (P-256 server and client certificates, P-256 CA).
 */
export function makeCertificates(dir: string, hostname: string): BenchCertificates {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-subj',
    `/CN=${hostname}`,
    '-addext',
    `subjectAltName=DNS:${hostname}`,
    '-days',
    '2',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.pem'),
  );
  openssl('req', '-x509', ...ec, '-subj', '/CN=Bench client CA', '-days', '2', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-new', ...ec, '-subj', '/CN=bench-client', '-keyout', file('client.key'), '-out', file('client.csr'));
  openssl(
    'x509',
    '-req',
    '-in',
    file('client.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    file('client.pem'),
  );
  return {
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCa: file('ca.pem'),
    clientCaKey: file('ca.key'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
}
