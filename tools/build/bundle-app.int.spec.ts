import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@portcullis/testing';

/**
 * The container images run the bundle, not the sources: build it and run it with plain Node
 * the way the image does, so bundling mistakes (a dependency reading its own files, a missing
 * CommonJS global) fail here rather than in a container.
 */
const root = path.resolve(import.meta.dirname, '../..');
const work = mkdtempSync(path.join(os.tmpdir(), 'portcullis-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('control-plane bundle', () => {
  it('starts from dist and serves its API, OpenAPI document and docs UI', async () => {
    const outdir = path.join(work, 'dist');
    execFileSync(process.execPath, [path.join(root, 'tools/build/bundle-app.ts'), 'control-plane', outdir], { stdio: 'pipe' });
    const httpPort = await freePort();
    const grpcPort = await freePort();
    const discoveryPort = await freePort();
    const child = spawn(process.execPath, ['--enable-source-maps', path.join(outdir, 'main.mjs')], {
      cwd: work,
      env: {
        PATH: process.env['PATH'],
        PORTCULLIS_DATA_DIR: path.join(work, 'data'),
        PORTCULLIS_HTTP_PORT: String(httpPort),
        PORTCULLIS_GRPC_PORT: String(grpcPort),
        PORTCULLIS_DISCOVERY_PORT: String(discoveryPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    try {
      const base = `http://127.0.0.1:${httpPort}`;
      await waitFor(
        async () => (await fetch(`${base}/healthz`)).ok,
        () => output,
      );
      const token = readFileSync(path.join(work, 'data/admin-token'), 'utf8').trim();
      const created = await fetch(`${base}/v1/accounts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bundled' }),
      });
      expect(created.status).toBe(201);
      const openapi = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(openapi.paths)).toContain('/v1/sites/{siteId}/client-certificates');
      const docs = await fetch(`${base}/docs/static/index.html`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('swagger');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(child.exitCode ?? child.signalCode).toBe(0);
  });
});

async function waitFor(check: () => Promise<boolean>, log: () => string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`the bundle did not start:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
