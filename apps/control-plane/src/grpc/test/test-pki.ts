import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createCertificateAuthority } from '@portcullis/pki';

/** Runs the openssl CLI (never through a shell) and returns its standard output. */
export function openssl(args: readonly string[], input?: string | Uint8Array): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A temporary directory for openssl's files. */
export class TempDir {
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'grpc-pki-'));

  path(name: string): string {
    return path.join(this.root, name);
  }

  write(name: string, content: string | Uint8Array): string {
    writeFileSync(this.path(name), content);
    return this.path(name);
  }

  read(name: string): Buffer {
    return readFileSync(this.path(name));
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A key and CSR made by `openssl req`, as a user would make them. */
export function opensslCsr(dir: TempDir, name: string, subject: string): { csrPem: string; keyPem: string } {
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    dir.path(`${name}.key`),
    '-out',
    dir.path(`${name}.csr`),
    '-subj',
    subject,
  ]);
  return { csrPem: dir.read(`${name}.csr`).toString(), keyPem: dir.read(`${name}.key`).toString() };
}

/**
 * A user's own CA (made by libs/pki, as a valid upload) that signs leaves and CRLs with
 * `openssl x509` and `openssl ca`; each CRL it makes has a higher CRL number.
 */
export class TestCa {
  private readonly dir: TempDir;
  private readonly name: string;
  readonly certificatePem: string;

  private constructor(dir: TempDir, name: string, certificatePem: string) {
    this.dir = dir;
    this.name = name;
    this.certificatePem = certificatePem;
  }

  static async create(dir: TempDir, name: string): Promise<TestCa> {
    const ca = await createCertificateAuthority({ subject: { commonName: `${name} CA`, organization: 'Example' } });
    dir.write(`${name}.pem`, ca.certificatePem);
    dir.write(`${name}.key`, ca.privateKeyPem);
    dir.write(`${name}.index`, '');
    dir.write(`${name}.crlnumber`, '1000\n');
    const root = dir.path(name);
    dir.write(
      `${name}.cnf`,
      [
        '[ca]',
        'default_ca=ca_default',
        '[ca_default]',
        `database=${root}.index`,
        `new_certs_dir=${dir.root}`,
        `certificate=${root}.pem`,
        `private_key=${root}.key`,
        `serial=${root}.serial`,
        `crlnumber=${root}.crlnumber`,
        'default_md=sha256',
        'default_crl_days=7',
        'policy=any',
        '[any]',
        'commonName=supplied',
      ].join('\n'),
    );
    return new TestCa(dir, name, ca.certificatePem);
  }

  /** A leaf for TLS servers with these DNS names, and its key (PEM). */
  leaf(leafName: string, dnsNames: readonly string[]): { certificatePem: string; keyPem: string; file: string } {
    const { dir, name } = this;
    opensslCsr(dir, leafName, `/CN=${dnsNames[0] ?? leafName}`);
    const ext = dir.write(
      `${leafName}.ext`,
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
        ...(dnsNames.length > 0 ? [`subjectAltName=${dnsNames.map((d) => `DNS:${d}`).join(',')}`] : []),
      ].join('\n'),
    );
    openssl([
      'x509',
      '-req',
      '-in',
      dir.path(`${leafName}.csr`),
      '-CA',
      dir.path(`${name}.pem`),
      '-CAkey',
      dir.path(`${name}.key`),
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      ext,
      '-out',
      dir.path(`${leafName}.pem`),
    ]);
    return {
      certificatePem: dir.read(`${leafName}.pem`).toString(),
      keyPem: dir.read(`${leafName}.key`).toString(),
      file: dir.path(`${leafName}.pem`),
    };
  }

  /** Marks a certificate this CA issued as revoked in the next CRL. */
  revoke(certificateFile: string): void {
    openssl(['ca', '-config', this.dir.path(`${this.name}.cnf`), '-revoke', certificateFile]);
  }

  /** A new CRL (PEM) with every revoked certificate. */
  crl(): string {
    const out = this.dir.path(`${this.name}.crl`);
    openssl(['ca', '-config', this.dir.path(`${this.name}.cnf`), '-gencrl', '-out', out]);
    return readFileSync(out, 'utf8');
  }
}
