import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

/** The PEM files a benchmark run uses. */
export interface BenchCertificates {
  /** Server leaf for the hostname (CA:FALSE, serverAuth), and its key. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** The client CA (keyCertSign, as an uploaded CA must have) and a client certificate it issued. */
  readonly clientCa: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/**
 * Makes the ECDSA P-256 set-up of PERFORMANCE-NOTES.md with the openssl CLI in `dir`: a server
 * CA and a leaf for `hostname`, a client CA and a client certificate (clientAuth) it issued.
 */
export function makeCertificates(dir: string, hostname: string): BenchCertificates {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const caExtensions = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  const issue = (name: string, ca: string, extensions: string) => {
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('req', '-new', ...ec, '-subj', `/CN=${name}`, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`));
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${ca}.pem`),
      '-CAkey',
      file(`${ca}.key`),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.pem`),
    );
  };
  openssl(
    'req',
    '-x509',
    ...ec,
    '-subj',
    '/CN=Bench server CA',
    ...caExtensions,
    '-days',
    '2',
    '-keyout',
    file('server-ca.key'),
    '-out',
    file('server-ca.pem'),
  );
  openssl(
    'req',
    '-x509',
    ...ec,
    '-subj',
    '/CN=Bench client CA',
    ...caExtensions,
    '-days',
    '2',
    '-keyout',
    file('client-ca.key'),
    '-out',
    file('client-ca.pem'),
  );
  issue(
    'server',
    'server-ca',
    `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${hostname}\n`,
  );
  issue('client', 'client-ca', 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  return {
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    clientCa: file('client-ca.pem'),
    clientCert: file('client.pem'),
    clientKey: file('client.key'),
  };
}
