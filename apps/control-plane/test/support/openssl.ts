import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A temporary directory for openssl's files; `remove()` it in afterAll. */
export class TempDir {
  readonly root: string;
  #counter = 0;

  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-test-'));
  }

  path(name: string): string {
    return path.join(this.root, name);
  }

  /** A name not used before in this directory, with `suffix`. */
  fresh(suffix: string): string {
    return this.path(`f${++this.#counter}${suffix}`);
  }

  write(name: string, content: string | Uint8Array): string {
    const file = this.path(name);
    fs.writeFileSync(file, content);
    return file;
  }

  text(name: string): string {
    return fs.readFileSync(this.path(name), 'utf8');
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export interface OpensslResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real openssl CLI; never throws. */
export function opensslResult(args: readonly string[], input?: string): OpensslResult {
  const result = spawnSync('openssl', args, { encoding: 'utf8', input, timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs openssl and returns stdout; throws with stderr when it fails. */
export function openssl(args: readonly string[], input?: string): string {
  const result = opensslResult(args, input);
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

/** An EC P-256 key and CSR made by `openssl req`; returns the file paths and the CSR PEM. */
export function opensslCsr(dir: TempDir, subject = '/CN=device-1/O=Example'): { keyFile: string; csrFile: string; csrPem: string } {
  const keyFile = dir.fresh('.key');
  const csrFile = dir.fresh('.csr');
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    csrFile,
    '-subj',
    subject,
  ]);
  return { keyFile, csrFile, csrPem: fs.readFileSync(csrFile, 'utf8') };
}

/** The public key (SPKI PEM) of a certificate, CSR or private key file, as openssl prints it. */
export function publicKeyOf(kind: 'x509' | 'req' | 'pkey', file: string): string {
  return kind === 'x509'
    ? openssl(['x509', '-in', file, '-noout', '-pubkey'])
    : kind === 'req'
      ? openssl(['req', '-in', file, '-noout', '-pubkey'])
      : openssl(['pkey', '-in', file, '-pubout']);
}

/**
 * A CA set up for `openssl ca` (index, serial, crlnumber, config) around a certificate and
 * key, to revoke certificates and generate CRLs the way operators do.
 */
export class OpensslCa {
  readonly config: string;
  readonly #dir: TempDir;
  readonly #name: string;

  constructor(dir: TempDir, name: string, certificatePem: string, privateKeyPem: string, crlNumber = 1000) {
    this.#dir = dir;
    this.#name = name;
    const root = dir.path(name);
    dir.write(`${name}.pem`, certificatePem);
    dir.write(`${name}.key`, privateKeyPem);
    dir.write(`${name}.index`, '');
    dir.write(`${name}.crlnumber`, `${crlNumber}\n`);
    this.config = dir.write(
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
        '[crl_ext]',
        'authorityKeyIdentifier=keyid:always',
      ].join('\n'),
    );
  }

  /** Marks a certificate (PEM) revoked in the CA's database. */
  revoke(certificatePem: string): void {
    const file = this.#dir.fresh('.pem');
    fs.writeFileSync(file, certificatePem);
    openssl(['ca', '-config', this.config, '-revoke', file]);
  }

  /** A CRL (PEM) with the next CRL number, listing every certificate revoked so far. */
  crl(): string {
    const out = this.#dir.fresh(`.${this.#name}.crl`);
    openssl(['ca', '-config', this.config, '-gencrl', '-crlexts', 'crl_ext', '-out', out]);
    return fs.readFileSync(out, 'utf8');
  }
}

/**
 * A TLS server certificate for `dnsNames`, signed by a throwaway CA made with openssl, with
 * its key: what a site owner uploads for the edges.
 */
export function serverCertificate(dir: TempDir, dnsNames: readonly string[], options: { days?: number; keyType?: 'ec' | 'rsa' } = {}) {
  const caKey = dir.fresh('.key');
  const caPem = dir.fresh('.pem');
  openssl([
    'req',
    '-x509',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caPem,
    '-days',
    '30',
    '-subj',
    '/CN=Server test CA',
  ]);
  const key = dir.fresh('.key');
  const csr = dir.fresh('.csr');
  const keyArgs = options.keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  openssl(['req', '-new', ...keyArgs, '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${dnsNames[0] ?? 'server'}`]);
  const ext = dir.fresh('.ext');
  fs.writeFileSync(
    ext,
    [
      `subjectAltName=${dnsNames.map((d) => `DNS:${d}`).join(',')}`,
      'basicConstraints=critical,CA:FALSE',
      'extendedKeyUsage=serverAuth',
    ].join('\n'),
  );
  const leaf = dir.fresh('.pem');
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caPem,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    leaf,
    '-days',
    String(options.days ?? 30),
    '-extfile',
    ext,
  ]);
  return { certificate: fs.readFileSync(leaf, 'utf8'), privateKey: fs.readFileSync(key, 'utf8'), caPem: fs.readFileSync(caPem, 'utf8') };
}
