import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@portcullis/testing';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/** An edge node process enrolled with a join token; `stop` ends it and removes its state. */
export interface RunningEdge {
  readonly nodeId: string;
  /** True once the process has ended (it should not before `stop`). */
  exited(): boolean;
  output(): string;
  stop(): Promise<void>;
}

/** Starts apps/edge-node/src/main.ts against a control plane, enrolling with `joinToken`. */
export async function startEdge(options: {
  readonly nodeId: string;
  readonly controlPlane: string;
  readonly discoveryPort: number;
  readonly joinToken: string;
  readonly fleetCaSha256: string;
}): Promise<RunningEdge> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-console-edge-'));
  const tokenFile = path.join(dir, 'join-token');
  writeFileSync(tokenFile, `${options.joinToken}\n`, { mode: 0o600 });
  const [httpsPort, adminPort] = await Promise.all([freePort(), freePort()]);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
  const child = spawn(process.execPath, ['apps/edge-node/src/main.ts'], {
    cwd: repoRoot,
    env: {
      ...inherited,
      PORTCULLIS_NODE_ID: options.nodeId,
      PORTCULLIS_CONTROL_PLANE_URL: options.controlPlane,
      PORTCULLIS_JOIN_TOKEN_FILE: tokenFile,
      PORTCULLIS_FLEET_CA_SHA256: options.fleetCaSha256,
      PORTCULLIS_DISCOVERY_ADDRESS: `127.0.0.1:${options.discoveryPort}`,
      PORTCULLIS_EDGE_HTTPS_PORT: String(httpsPort),
      PORTCULLIS_EDGE_ADMIN_PORT: String(adminPort),
      PORTCULLIS_STATE_DIR: path.join(dir, 'state'),
      PORTCULLIS_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    nodeId: options.nodeId,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
