import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeldResources } from './config/config-store.ts';
import { lastKnownGoodFile, saveLastKnownGood } from './config/last-known-good.ts';
import { checkNodeIdentity, saveNodeIdentity } from './identity/node-identity.ts';
import { createTestWorld, curl, type TestWorld } from './test/edge-harness.ts';
import { createFakeFleet, type FakeFleet } from './test/fake-fleet.ts';
import { revocationsResource } from './test/resources.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const nodeId = 'edge-lkg';

/**
 * main.ts as a real process restarted with no control plane reachable (the discovery address
 * is a closed port) and a last-known-good file in its state directory: intact, it is served;
 * with one character of the WAF ruleset or of a revocation set changed, it is refused whole,
 * the edge serves nothing (no handshake completes) and says it is not ready. curl is the client.
 */
describe('edge process with a damaged last-known-good file', () => {
  let world: TestWorld;
  let fleet: FakeFleet;
  let saved: HeldResources;
  const dirs: string[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    [world, fleet] = await Promise.all([createTestWorld(), createFakeFleet()]);
    const r = world.resources;
    // Alice (account CA) is revoked: served intact, her certificate gets the WAF's 403.
    const revoked = revocationsResource('acct_1', [world.alice.serial]);
    saved = {
      site: [r.site.resource],
      credential: [r.credential.resource],
      trust: [r.trust.resource],
      revocations: [revoked.resource, r.customRevocations.resource],
      waf: [r.waf.resource],
    };
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await world?.remove();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A state directory with a node identity and the saved file, changed by `damage`. */
  async function stateDirWith(damage: (text: string) => string): Promise<string> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-lkg-process-'));
    dirs.push(dir);
    const credential = await fleet.nodeCredential(nodeId);
    await saveNodeIdentity(dir, checkNodeIdentity({ ...credential, fleetCaPem: fleet.ca.certificatePem }, undefined));
    const file = path.join(dir, lastKnownGoodFile);
    await saveLastKnownGood(file, saved);
    const text = readFileSync(file, 'utf8');
    const damaged = damage(text);
    writeFileSync(file, damaged, { mode: 0o600 });
    return dir;
  }

  /** Starts main.ts on `stateDir`; resolves once its admin port answers /status (last-known-good is decided before). */
  async function startEdge(stateDir: string) {
    const [httpsPort, adminPort, closedPort] = [await freePort(), await freePort(), await freePort()];
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
    const child = spawn(process.execPath, ['apps/edge-node/src/main.ts'], {
      cwd: repoRoot,
      env: {
        ...inherited,
        PORTCULLIS_EDGE_HTTPS_PORT: String(httpsPort),
        PORTCULLIS_EDGE_ADMIN_PORT: String(adminPort),
        PORTCULLIS_NODE_ID: nodeId,
        PORTCULLIS_STATE_DIR: stateDir,
        PORTCULLIS_LOG_LEVEL: 'info',
        PORTCULLIS_DISCOVERY_ADDRESS: `127.0.0.1:${closedPort}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    let status: Record<string, unknown> | undefined;
    while (!status) {
      if (child.exitCode !== null) throw new Error(`edge exited early: ${output}`);
      const answer = await fetch(`http://127.0.0.1:${adminPort}/status`).catch(() => undefined);
      if (answer?.status === 200) status = (await answer.json()) as Record<string, unknown>;
      else if (Date.now() > deadline) throw new Error(`edge admin port not answering within 20 s: ${output}`);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const readyz = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
    return {
      httpsPort,
      status,
      readyz: readyz.status,
      output: () => output,
      async stop() {
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      },
    };
  }

  /** `text` with one character in the middle of the base64 body of the saved resource `name` changed. */
  const flipBodyOf = (name: string) => (text: string) => {
    const resources = Object.values(JSON.parse(text).resources as Record<string, { name: string; body: string }[]>).flat();
    const body = resources.find((r) => r.name === name)!.body;
    const at = text.indexOf(body) + Math.floor(body.length / 2);
    return `${text.slice(0, at)}${text[at] === 'A' ? 'B' : 'A'}${text.slice(at + 1)}`;
  };

  const get = (port: number, host: string, cert?: TestWorld['alice']) =>
    curl(port, host, '/', { cacert: world.pki.serverCaFile, ...(cert ? { cert } : {}) });

  it('serves an intact file: no certificate and the revoked one get 403, a valid one 200', async () => {
    const edge = await startEdge(await stateDirWith((text) => text));
    try {
      expect(edge.status).toMatchObject({ ready: true, readiness: 'ready', loadedFrom: 'last-known-good', connected: false });
      expect(edge.readyz).toBe(200);
      expect((await get(edge.httpsPort, 'api.example.com')).status).toBe(403);
      expect((await get(edge.httpsPort, 'api.example.com', world.alice)).status).toBe(403);
      expect((await get(edge.httpsPort, 'custom.example.com', world.bob)).status).toBe(200);
    } finally {
      await edge.stop();
    }
  });

  it.each([
    ['the WAF ruleset', 'waf/s1'],
    ['a revocation set', 'revocations/acct_1'],
  ])('refuses the whole file when one character of %s changed, serves nothing and is not ready', async (_what, name) => {
    const edge = await startEdge(await stateDirWith(flipBodyOf(name)));
    try {
      // No handshake completes on any name: no 200 without a certificate, none for the revoked one.
      for (const [host, cert] of [
        ['api.example.com', undefined],
        ['api.example.com', world.alice],
        ['custom.example.com', world.bob],
        ['www.example.com', undefined],
      ] as const) {
        const result = await get(edge.httpsPort, host, cert);
        expect(result.status, `${host} ${cert ? 'with' : 'without'} a certificate: ${result.stderr}`).toBe(0);
      }
      expect(edge.status).toMatchObject({
        ready: false,
        readiness: 'last-known-good-refused',
        notReadyReason: expect.stringMatching(/^last-known-good refused: the file does not match its sha256 digest \(damaged\); waiting/),
      });
      // JSON leaves out what is undefined: no configuration generation, loaded from nowhere.
      expect([edge.status['generation'], edge.status['loadedFrom']]).toEqual([undefined, undefined]);
      expect(Object.values(edge.status['resources'] as Record<string, { count: number }>).map((r) => r.count)).toEqual([0, 0, 0, 0, 0]);
      expect(edge.readyz).toBe(503);
      const warning = edge
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => String(line['msg']).startsWith('last-known-good configuration refused'));
      expect(warning).toMatchObject({ level: 40, reason: 'the file does not match its sha256 digest (damaged)' });
    } finally {
      await edge.stop();
    }
  });
});
