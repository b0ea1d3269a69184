import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm start` is the README's first command: it must bring the whole system up on a fresh
 * data directory, print curl commands that work, and come back up from the same directory.
 */
const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A port offset under which the demo's six ports (8000 … 9901 + base) are all free now. */
async function freeBase(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = net.createServer().once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const all = await Promise.all([8080, 9090, 9443, 8443, 9901, 8000].map((p) => free(p + base)));
    if (all.every(Boolean)) return base;
  }
  throw new Error('no free port range for the demo');
}

/** Starts the demo and resolves with its output once it says it is ready. */
function startDemo(base: number): Promise<{ child: ChildProcess; output: string }> {
  const env = { ...process.env, PORTCULLIS_DEMO_DIR: dir, PORTCULLIS_DEMO_PORT_BASE: String(base) };
  const child = spawn(process.execPath, [path.join(root, 'tools/demo/local.ts')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('demo ready')) resolve({ child, output });
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', (code) => reject(new Error(`the demo exited (${code}):\n${output}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  child.kill('SIGTERM');
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Runs one of the printed curl commands (with -s -o /dev/null -w status) and returns the status. */
function runCurl(line: string): number {
  const args = line.trim().split(/\s+/).slice(1);
  return Number(execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...args], { encoding: 'utf8' }));
}

describe('npm start (the local demo)', () => {
  it('serves the demo site: 200 with the printed client certificate, 403 without; and starts again from its data', async () => {
    const base = await freeBase();
    const first = await startDemo(base);
    const curls = first.output.split('\n').filter((line) => line.trim().startsWith('curl '));
    expect(curls).toHaveLength(2);
    const [withCert, withoutCert] = curls as [string, string];
    expect(withCert).toContain('--cert');
    expect(runCurl(withCert)).toBe(200);
    expect(runCurl(withoutCert.replace(/#.*$/, ''))).toBe(403);
    const apiKey = readFileSync(path.join(dir, 'demo', 'api-key'), 'utf8');
    expect(await stop(first.child)).toBe(0);

    const second = await startDemo(base);
    expect(readFileSync(path.join(dir, 'demo', 'api-key'), 'utf8')).toBe(apiKey);
    expect(runCurl(withCert)).toBe(200);
    expect(await stop(second.child)).toBe(0);
  });
});
