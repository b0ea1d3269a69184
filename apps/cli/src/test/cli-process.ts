import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '@portcullis/testing';

export const repoRoot = path.resolve(import.meta.dirname, '../../../..');
export const cliEntry = path.join(repoRoot, 'apps/cli/src/main.ts');

/** The test runner's environment without any PORTCULLIS_* setting, so only what a test gives counts. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const inherited = Object.entries(process.env).filter(
    (entry): entry is [string, string] => !entry[0].startsWith('PORTCULLIS_') && entry[1] !== undefined,
  );
  return { ...Object.fromEntries(inherited), ...extra };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node apps/cli/src/main.ts …args` as a child process (stdin closed, stdout and stderr
 * pipes, so not a terminal) and resolves with its exit code and output; killed after 30 s.
 */
export function runCli(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliEntry, ...args], { env, cwd: repoRoot, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ControlPlane {
  readonly url: string;
  readonly adminToken: string;
  stop(): Promise<void>;
}

/**
 * The real control plane (apps/control-plane/src/main.ts) with the embedded store in `dataDir`
 * on free loopback ports, ready once /healthz answers (at most 20 s).
 */
export async function startControlPlane(dataDir: string): Promise<ControlPlane> {
  const [httpPort, grpcPort, discoveryPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const child: ChildProcess = spawn(process.execPath, ['apps/control-plane/src/main.ts'], {
    cwd: repoRoot,
    env: cleanEnv({
      PORTCULLIS_DATA_DIR: dataDir,
      PORTCULLIS_HTTP_PORT: String(httpPort),
      PORTCULLIS_GRPC_PORT: String(grpcPort),
      PORTCULLIS_DISCOVERY_PORT: String(discoveryPort),
      PORTCULLIS_LOG_LEVEL: 'warn',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${httpPort}`;
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the control plane exited: ${output}`);
    if ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok) break;
    if (Date.now() - started > 20_000) {
      child.kill('SIGKILL');
      throw new Error(`the control plane did not become healthy within 20 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    adminToken: readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim(),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
