import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
  loadIssuingCa,
  localCaSigner,
  type CreatedCertificateAuthority,
} from '@portcullis/pki';

/** A certificate and its key, PEM, and files holding them for curl and openssl. */
export interface TestCertificate {
  readonly chainPem: string;
  readonly keyPem: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * Test certificates in a temporary directory: client CAs and client certificates from
 * libs/pki, TLS server certificates signed by one test server CA,
 * so clients verify the edge against `serverCaFile`.
 */
export interface TestPki {
  readonly dir: string;
  readonly serverCaFile: string;
  readonly serverCaPem: string;
  clientCa(commonName: string): Promise<CreatedCertificateAuthority>;
  clientCertificate(
    ca: CreatedCertificateAuthority,
    commonName: string,
    options?: { now?: Date; validityDays?: number },
  ): Promise<TestCertificate & { serial: string }>;
  /** A server certificate (serverAuth) for DNS names and IP addresses. */
  serverCertificate(names: readonly string[], options?: { commonName?: string }): Promise<TestCertificate>;
  /** Writes `text` to a file in the directory and returns its path. */
  file(name: string, text: string): string;
  remove(): void;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-pki-'));
  const file = (name: string, text: string) => {
    const target = path.join(dir, name);
    writeFileSync(target, text, { mode: 0o600 });
    return target;
  };
  const serverCa = await createCertificateAuthority({ subject: { commonName: 'Portcullis Test Server CA' } });
  const serverCaFile = file('server-ca.pem', serverCa.certificatePem);
  const serverIssuer = await loadIssuingCa(serverCa.certificatePem, localCaSigner(serverCa.privateKey));
  let count = 0;
  return {
    dir,
    serverCaFile,
    serverCaPem: serverCa.certificatePem,
    clientCa: (commonName) => createCertificateAuthority({ subject: { commonName } }),
    async clientCertificate(ca, commonName, options = {}) {
      const issuer = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKey));
      const issued = await issueClientCertificate(
        issuer,
        { keyType: 'ec-p256', commonName, ...(options.validityDays ? { validityDays: options.validityDays } : {}) },
        options.now ? { now: options.now } : {},
      );
      const name = `client-${++count}`;
      return {
        chainPem: issued.certificatePem,
        keyPem: issued.privateKeyPem!,
        certFile: file(`${name}.pem`, issued.certificatePem),
        keyFile: file(`${name}.key`, issued.privateKeyPem!),
        serial: issued.info.serialNumber,
      };
    },
    async serverCertificate(names, options = {}) {
      const issued = await issueServerCertificate(serverIssuer, {
        keyType: 'ec-p256',
        dnsNames: names.filter((n) => isIP(n) === 0),
        ipAddresses: names.filter((n) => isIP(n) !== 0),
        ...(options.commonName ? { commonName: options.commonName } : {}),
      });
      const name = `server-${++count}`;
      return {
        chainPem: issued.certificatePem,
        keyPem: issued.privateKeyPem!,
        certFile: file(`${name}.pem`, issued.certificatePem),
        keyFile: file(`${name}.key`, issued.privateKeyPem!),
      };
    },
    file,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
