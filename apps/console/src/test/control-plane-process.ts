import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@portcullis/testing';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers are checked by the assertions
export type Json = Record<string, any>;

/** A control plane process (embedded store, temp dir, free loopback ports) and an API caller. */
export interface RunningControlPlane {
  readonly origin: string;
  readonly adminToken: string;
  /** The loopback port of its discovery (edge config) server. */
  readonly discoveryPort: number;
  call(method: string, route: string, token: string, body?: unknown): Promise<Json>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts the control plane — apps/control-plane/src/main.ts, or `entry` (a bundled main.mjs,
 * run from the temp dir) — and waits (at most 30 s) for /readyz to answer 200.
 */
export async function startControlPlane(entry?: string): Promise<RunningControlPlane> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-console-'));
  const [httpPort, grpcPort, discoveryPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
  const child: ChildProcess = spawn(process.execPath, [entry ?? 'apps/control-plane/src/main.ts'], {
    cwd: entry ? dir : repoRoot,
    env: {
      ...inherited,
      PORTCULLIS_DATA_DIR: path.join(dir, 'data'),
      PORTCULLIS_HTTP_PORT: String(httpPort),
      PORTCULLIS_GRPC_PORT: String(grpcPort),
      PORTCULLIS_DISCOVERY_PORT: String(discoveryPort),
      PORTCULLIS_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const origin = `http://127.0.0.1:${httpPort}`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (const started = Date.now(); ;) {
    if (child.exitCode !== null) throw new Error(`control plane exited: ${output}`);
    if ((await fetch(`${origin}/readyz`).catch(() => undefined))?.ok) break;
    if (Date.now() - started > 30_000) {
      await stop();
      throw new Error(`control plane not ready within 30 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const adminToken = readFileSync(path.join(dir, 'data', 'admin-token'), 'utf8').trim();
  return {
    origin,
    adminToken,
    discoveryPort,
    output: () => output,
    stop,
    async call(method, route, token, body) {
      const response = await fetch(`${origin}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = response.status === 204 ? {} : ((await response.json()) as Json);
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    },
  };
}
