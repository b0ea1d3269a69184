import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A temporary directory for openssl's input and output files, removed by `remove()`.
 * Tests create one per `describe` block (beforeAll) and remove it in afterAll.
 */
export class TempDir {
  readonly root: string;

  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'pki-test-'));
  }

  path(name: string): string {
    return path.join(this.root, name);
  }

  write(name: string, content: string | Uint8Array): string {
    const file = this.path(name);
    fs.writeFileSync(file, content);
    return file;
  }

  read(name: string): Buffer {
    return fs.readFileSync(this.path(name));
  }

  text(name: string): string {
    return fs.readFileSync(this.path(name), 'utf8');
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Runs the openssl CLI (never through a shell) and returns its standard output; throws on failure. */
export function openssl(args: readonly string[], options: { cwd?: string; input?: string | Uint8Array } = {}): string {
  return execFileSync('openssl', args, { cwd: options.cwd, input: options.input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs openssl and returns its exit status with both outputs, for commands expected to fail. */
export function opensslResult(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `-newkey` arguments for the key kinds tests ask openssl to make. */
export const opensslNewKey = {
  'ec-p256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ec-p384': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  secp256k1: ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
  'rsa-1024': ['-newkey', 'rsa:1024'],
  'rsa-2048': ['-newkey', 'rsa:2048'],
  ed25519: ['-newkey', 'ed25519'],
} as const;

/** Makes a key and CSR with `openssl req -new` and returns the CSR PEM (key left in `dir`). */
export function opensslCsr(
  dir: TempDir,
  name: string,
  key: keyof typeof opensslNewKey,
  subject: string,
  extra: readonly string[] = [],
): string {
  openssl([
    'req',
    '-new',
    ...opensslNewKey[key],
    '-nodes',
    '-keyout',
    dir.path(`${name}.key`),
    '-out',
    dir.path(`${name}.csr`),
    '-subj',
    subject,
    ...extra,
  ]);
  return dir.text(`${name}.csr`);
}

/** The lines `key=value` of openssl's `-serial -fingerprint -subject …` output as a map. */
export function opensslFields(output: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of output.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) out.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return out;
}

/** Returns a copy of `der` with the byte at `index` (negative counts from the end) XORed with `mask`. */
export function flipByte(der: Uint8Array, index: number, mask = 0xff): Uint8Array {
  const copy = new Uint8Array(der);
  const at = index < 0 ? copy.length + index : index;
  copy[at] = copy[at]! ^ mask;
  return copy;
}

/** PEM text of one block → DER bytes, without going through the code under test. */
export function pemToDer(pem: string): Uint8Array {
  const body = pem
    .split('\n')
    .filter((l) => l.length > 0 && !l.startsWith('-----'))
    .join('');
  return new Uint8Array(Buffer.from(body, 'base64'));
}
