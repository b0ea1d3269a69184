import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorld, curl, type TestWorld } from './test/edge-harness.ts';
import { createFakeFleet, type FakeFleet } from './test/fake-fleet.ts';
import { startGrpcDiscovery } from './test/grpc-discovery.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/**
 * main.ts as a real process: enrollment with a join token over HTTP, the discovery stream over
 * gRPC with mutual TLS (a fake control plane that follows docs/edge-protocol.md), curl through
 * the edge, a clean SIGTERM, and a restart that serves last-known-good with the control plane gone.
 */
describe('edge node process', () => {
  let world: TestWorld;
  let fleet: FakeFleet;
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edge-process-'));
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    [world, fleet] = await Promise.all([createTestWorld(), createFakeFleet()]);
    await fleet.listen();
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await fleet?.close();
    await world?.remove();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function startEdge(env: Record<string, string>) {
    const [httpsPort, adminPort] = [await freePort(), await freePort()];
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
    const child = spawn(process.execPath, ['apps/edge-node/src/main.ts'], {
      cwd: repoRoot,
      env: {
        ...inherited,
        PORTCULLIS_EDGE_HTTPS_PORT: String(httpsPort),
        PORTCULLIS_EDGE_ADMIN_PORT: String(adminPort),
        PORTCULLIS_NODE_ID: 'edge-process',
        PORTCULLIS_STATE_DIR: stateDir,
        PORTCULLIS_LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`edge exited early: ${output}`);
      const health = await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined);
      if (health?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`edge not healthy within 20 s: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { child, httpsPort, adminPort, exited, output: () => output };
  }

  it('enrolls, streams its configuration over mutual TLS, serves, and serves again from last-known-good with the control plane down', async () => {
    const discovery = await startGrpcDiscovery(world.server, fleet, { ipAddresses: ['127.0.0.1'] });
    fleet.tokens.set('jt_process_secret', 1);
    const tokenFile = path.join(stateDir, '..', `${path.basename(stateDir)}-token`);
    writeFileSync(tokenFile, 'jt_process_secret\n', { mode: 0o600 });
    const cacert = world.pki.serverCaFile;
    try {
      const first = await startEdge({
        PORTCULLIS_CONTROL_PLANE_URL: fleet.url,
        PORTCULLIS_JOIN_TOKEN_FILE: tokenFile,
        PORTCULLIS_FLEET_CA_SHA256: fleet.ca.info.fingerprintSha256,
        PORTCULLIS_DISCOVERY_ADDRESS: discovery.address,
      });
      expect((await curl(first.httpsPort, 'api.example.com', '/', { cacert })).status).toBe(403);
      expect((await curl(first.httpsPort, 'api.example.com', '/p', { cacert, cert: world.alice })).body).toBe('origin-a GET /p\n');
      const status = (await (await fetch(`http://127.0.0.1:${first.adminPort}/status`)).json()) as Record<string, unknown>;
      expect(status).toMatchObject({ nodeId: 'edge-process', ready: true, connected: true, loadedFrom: 'control-plane' });
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      expect(first.output()).toContain('"msg":"request"');
      expect(first.output()).not.toContain('jt_process_secret');
      expect(first.output()).not.toContain('PRIVATE KEY');
    } finally {
      await discovery.stop();
      rmSync(tokenFile, { force: true });
    }

    // The control plane is gone and no token is configured: identity and configuration come from disk.
    const second = await startEdge({ PORTCULLIS_DISCOVERY_ADDRESS: discovery.address });
    expect((await curl(second.httpsPort, 'api.example.com', '/', { cacert })).status).toBe(403);
    expect((await curl(second.httpsPort, 'api.example.com', '/', { cacert, cert: world.alice })).status).toBe(200);
    const status = (await (await fetch(`http://127.0.0.1:${second.adminPort}/status`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ ready: true, connected: false, loadedFrom: 'last-known-good' });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });
});
