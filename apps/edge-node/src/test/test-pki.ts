import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  createCertificateAuthority,
  issueClientCertificate,
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
 * libs/pki, TLS server certificates signed by one test server CA (made by `openssl`, since
 * libs/pki issues client certificates only), so clients verify the edge against `serverCaFile`.
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
  /** A server certificate for DNS names; `extendedKeyUsage` defaults to serverAuth. */
  serverCertificate(names: readonly string[], options?: { commonName?: string; extendedKeyUsage?: string }): TestCertificate;
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
  const serverCaKey = file('server-ca.key', serverCa.privateKeyPem);
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
    serverCertificate(names, options = {}) {
      const name = `server-${++count}`;
      const keyFile = path.join(dir, `${name}.key`);
      const csrFile = path.join(dir, `${name}.csr`);
      const certFile = path.join(dir, `${name}.pem`);
      const extFile = file(
        `${name}.ext`,
        `subjectAltName=${names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',')}\n` +
          `extendedKeyUsage=${options.extendedKeyUsage ?? 'serverAuth'}\nbasicConstraints=critical,CA:FALSE\n`,
      );
      const subject = `/CN=${options.commonName ?? names[0]}`;
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-subj',
          subject,
          '-keyout',
          keyFile,
          '-out',
          csrFile,
        ],
        {
          stdio: 'ignore',
        },
      );
      execFileSync(
        'openssl',
        [
          'x509',
          '-req',
          '-in',
          csrFile,
          '-CA',
          serverCaFile,
          '-CAkey',
          serverCaKey,
          '-CAcreateserial',
          '-days',
          '2',
          '-extfile',
          extFile,
          '-out',
          certFile,
        ],
        { stdio: 'ignore' },
      );
      return { chainPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8'), certFile, keyFile };
    },
    file,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
