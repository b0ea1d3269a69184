import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/** What one tlsload run reports (see tlsload.c). */
export interface LoadResult {
  readonly mode: 'handshake' | 'keepalive';
  readonly completed: number;
  readonly errors: number;
  readonly seconds: number;
  /** CPU the generator itself used: it must stay below the server's to not be the bottleneck. */
  readonly cpuSeconds: number;
  readonly statuses: Readonly<Record<string, number>>;
}

export interface LoadOptions {
  readonly port: number;
  readonly sni: string;
  readonly mode: 'handshake' | 'keepalive';
  readonly cert?: { readonly cert: string; readonly key: string };
  readonly conns: number;
  readonly seconds: number;
  readonly perConn?: number;
}

/**
 * Compiles tlsload.c into `outDir` (once; needs cc and the OpenSSL headers, Debian:
 * libssl-dev) and returns a function that runs it against 127.0.0.1.
 */
export function loadGenerator(outDir: string): (options: LoadOptions) => LoadResult {
  const source = path.join(import.meta.dirname, 'tlsload.c');
  const binary = path.join(outDir, 'tlsload');
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
    try {
      execFileSync('cc', ['-O2', '-Wall', '-o', binary, source, '-lssl', '-lcrypto'], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`cannot build tlsload (install gcc and libssl-dev): ${(error as { stderr?: Buffer }).stderr?.toString() ?? error}`);
    }
  }
  return (options) => {
    const args = ['--port', String(options.port), '--sni', options.sni, '--mode', options.mode];
    args.push('--conns', String(options.conns), '--seconds', String(options.seconds));
    if (options.perConn) args.push('--per-conn', String(options.perConn));
    if (options.cert) args.push('--cert', options.cert.cert, '--key', options.cert.key);
    return JSON.parse(execFileSync(binary, args, { encoding: 'utf8', timeout: (options.seconds + 30) * 1000 })) as LoadResult;
  };
}
