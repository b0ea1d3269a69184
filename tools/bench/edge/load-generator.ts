import { execFileSync, spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';

/** Latency percentiles of one run, in milliseconds (from each request's scheduled start). */
export interface Latency {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** What one tlsload run reports (see tlsload.c). */
export interface LoadResult {
  readonly mode: 'handshake' | 'keepalive' | 'idle';
  readonly completed: number;
  readonly errors: number;
  readonly seconds: number;
  /** CPU the generator itself used: it must stay below the server's to not be the bottleneck. */
  readonly cpuSeconds: number;
  /** Response body bytes received. */
  readonly bodyBytes: number;
  readonly statuses: Readonly<Record<string, number>>;
  readonly latencyMs?: Latency;
  /** Idle mode: connections still open when all were idle. */
  readonly open?: number;
}

export interface LoadOptions {
  readonly port: number;
  readonly sni: string;
  readonly mode: 'handshake' | 'keepalive' | 'idle';
  readonly cert?: { readonly cert: string; readonly key: string };
  readonly conns: number;
  readonly seconds: number;
  readonly perConn?: number;
  readonly path?: string;
  /** Requests (handshake mode: new connections) started per second; closed loop if absent. */
  readonly rate?: number;
  /** Idle mode: connections being opened at once. */
  readonly concurrency?: number;
  /** Loopback source addresses 127.0.0.1 .. 127.0.0.N to spread connections over. */
  readonly sources?: number;
}

/** Parses and checks tlsload's JSON line; throws on anything else (a crashed or changed tool). */
export function parseLoadResult(line: string): LoadResult {
  const value = JSON.parse(line) as Partial<LoadResult>;
  const numbers = ['completed', 'errors', 'seconds', 'cpuSeconds', 'bodyBytes'] as const;
  if (!['handshake', 'keepalive', 'idle'].includes(value.mode ?? '') || numbers.some((k) => typeof value[k] !== 'number')) {
    throw new Error(`tlsload printed an unexpected result: ${line}`);
  }
  if (typeof value.statuses !== 'object' || value.statuses === null) throw new Error(`tlsload printed no statuses: ${line}`);
  return value as LoadResult;
}

/** The generator: `run` for timed runs, `idle` to hold connections open while `measure` looks. */
export interface LoadGenerator {
  run(options: LoadOptions): LoadResult;
  idle<T>(options: LoadOptions, measure: (result: LoadResult) => T): Promise<T>;
}

function argsOf(options: LoadOptions): string[] {
  const args = ['--port', String(options.port), '--sni', options.sni, '--mode', options.mode];
  args.push('--conns', String(options.conns), '--seconds', String(options.seconds));
  if (options.perConn) args.push('--per-conn', String(options.perConn));
  if (options.path) args.push('--path', options.path);
  if (options.rate) args.push('--rate', String(options.rate));
  if (options.concurrency) args.push('--concurrency', String(options.concurrency));
  if (options.sources) args.push('--sources', String(options.sources));
  if (options.cert) args.push('--cert', options.cert.cert, '--key', options.cert.key);
  return args;
}

/**
 * Compiles tlsload.c into `outDir` (once; needs cc and the OpenSSL headers, Debian:
 * libssl-dev) and returns the generator, run against 127.0.0.1.
 */
export function loadGenerator(outDir: string): LoadGenerator {
  const source = path.join(import.meta.dirname, 'tlsload.c');
  const binary = path.join(outDir, 'tlsload');
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
    try {
      execFileSync('cc', ['-O2', '-Wall', '-o', binary, source, '-lssl', '-lcrypto'], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`cannot build tlsload (install gcc and libssl-dev): ${(error as { stderr?: Buffer }).stderr?.toString() ?? error}`);
    }
  }
  return {
    run: (options) => parseLoadResult(execFileSync(binary, argsOf(options), { encoding: 'utf8', timeout: (options.seconds + 30) * 1000 })),
    idle<T>(options: LoadOptions, measure: (result: LoadResult) => T): Promise<T> {
      return new Promise((resolve, reject) => {
        const child = spawn(binary, [...argsOf(options), '--hold', '60'], { stdio: ['pipe', 'pipe', 'inherit'] });
        const timer = setTimeout(() => child.kill('SIGKILL'), (options.seconds + 90) * 1000);
        let out = '';
        let measured: { value: T } | undefined;
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (measured || !out.includes('\n')) return;
          try {
            measured = { value: measure(parseLoadResult(out.slice(0, out.indexOf('\n')))) };
          } catch (error) {
            reject(error as Error);
          }
          child.stdin.end(); // lets tlsload close its connections and exit
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          if (measured) resolve(measured.value);
          else reject(new Error(`tlsload idle run ended (${code}) without a result: ${out}`));
        });
      });
    },
  };
}
