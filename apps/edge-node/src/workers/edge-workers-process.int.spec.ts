import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, parsePrometheusText } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorld, curl, sClient, startTestEdge, waitFor, type TestWorld } from '../test/edge-harness.ts';
import { siteResource } from '../test/resources.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/**
 * main.ts as a real process serving last-known-good (no control plane): SIGTERM with two
 * workers drains a slow request to completion and exits 0; the access log in each mode, with
 * the client address and a hostile user agent kept on one line.
 */
describe('edge process with workers', () => {
  let world: TestWorld;
  let slowOrigin: http.Server;
  let originUrl: string;
  /** Requests to /slow wait here until released. */
  const held: http.ServerResponse[] = [];
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edge-workers-process-'));
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    world = await createTestWorld();
    slowOrigin = http.createServer((req, res) => {
      if (req.url === '/slow') held.push(res);
      else res.end(`fast ${req.url}\n`);
    });
    await new Promise<void>((resolve) => slowOrigin.listen(0, '127.0.0.1', resolve));
    originUrl = `http://127.0.0.1:${(slowOrigin.address() as net.AddressInfo).port}`;
    // Last-known-good for the processes: the test world with the site's origin here.
    await world.server.push(siteResource('s1', 'example.com', originUrl, true));
    const edge = await startTestEdge(world.server, { stateDir });
    await edge.edge.flushLastKnownGood();
    await edge.stop();
  }, 30_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    for (const res of held) res.destroy();
    slowOrigin?.closeAllConnections();
    slowOrigin?.close();
    world?.server.close();
    await world?.remove();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function startEdge(env: Record<string, string>) {
    const [httpsPort, adminPort, closedPort] = [await freePort(), await freePort(), await freePort()];
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
    const child = spawn(process.execPath, ['apps/edge-node/src/main.ts'], {
      cwd: repoRoot,
      env: {
        ...inherited,
        PORTCULLIS_EDGE_HTTPS_PORT: String(httpsPort),
        PORTCULLIS_EDGE_ADMIN_PORT: String(adminPort),
        PORTCULLIS_NODE_ID: 'edge-workers-process',
        PORTCULLIS_STATE_DIR: stateDir,
        PORTCULLIS_DISCOVERY_ADDRESS: `127.0.0.1:${closedPort}`,
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
      const ready = await fetch(`http://127.0.0.1:${adminPort}/readyz`).catch(() => undefined);
      if (ready?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`edge not ready within 20 s: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const status = async () =>
      (await (await fetch(`http://127.0.0.1:${adminPort}/status`)).json()) as { workers: { pid: number; requestsServed: number }[] };
    /** SIGTERM, then the exit code (bounded: SIGKILL after 20 s). */
    const stop = async () => {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    };
    /** Parsed access-log lines so far (every stdout line must be JSON). */
    const accessLines = () =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line['msg'] === 'request');
    return { child, httpsPort, adminPort, status, stop, output: () => output, accessLines };
  }

  const get = (port: number, host: string, urlPath: string, args: string[] = []) =>
    curl(port, host, urlPath, { cacert: world.pki.serverCaFile, args });
  const refusesConnections = (port: number) =>
    new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });

  it('on SIGTERM stops accepting, lets a slow request in flight finish, then exits 0 (two workers)', async () => {
    const edge = await startEdge({ PORTCULLIS_EDGE_WORKERS: '2', PORTCULLIS_EDGE_DRAIN_MS: '15000' });
    expect((await edge.status()).workers).toHaveLength(2);
    const slow = get(edge.httpsPort, 'www.example.com', '/slow');
    await waitFor(() => held.length === 1, 10_000);
    const exited = edge.stop();
    const deadline = Date.now() + 10_000;
    while (!(await refusesConnections(edge.httpsPort))) {
      if (Date.now() > deadline) throw new Error('the edge still accepts connections 10 s after SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    held.shift()!.end('slow done\n');
    const result = await slow;
    expect(result.status).toBe(200);
    expect(result.body).toBe('slow done\n');
    expect(await exited).toBe(0);
    expect(edge.output()).toContain('"msg":"stopping"');
  }, 60_000);

  it('logs every request in full mode with the client address, and keeps a hostile user agent on one line', async () => {
    const edge = await startEdge({ PORTCULLIS_EDGE_WORKERS: '2' });
    expect((await get(edge.httpsPort, 'www.example.com', '/plain', ['-A', 'curl-test/1'])).status).toBe(200);
    // Node's parser refuses CR, LF and other C0 controls in a header value (access-log.spec.ts
    // covers those); what it lets through includes NEL (U+0085, a line break to some tools).
    const hostile = 'evil\u0085 {"msg":"request","status":200,"forged":true}';
    const answer = await sClient(
      edge.httpsPort,
      ['-servername', 'www.example.com', '-CAfile', world.pki.serverCaFile, '-quiet'],
      `GET /hostile HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: ${hostile}\r\nConnection: close\r\n\r\n`,
      1_000,
    );
    expect(answer).toContain('HTTP/1.1 200');
    expect(await edge.stop()).toBe(0);
    const lines = edge.accessLines();
    const plain = lines.find((line) => line['path'] === '/plain')!;
    expect(plain).toMatchObject({ clientIp: '127.0.0.1', userAgent: 'curl-test/1', status: 200, host: 'www.example.com' });
    const evil = lines.filter((line) => line['path'] === '/hostile');
    expect(evil).toHaveLength(1);
    // The UTF-8 bytes C2 85 read as Latin-1 (as Node reads header values): "Â" then NEL, escaped.
    expect(evil[0]!['userAgent']).toBe('evil\u00c2\\u0085 {"msg":"request","status":200,"forged":true}');
    expect(lines.some((line) => line['forged'] !== undefined)).toBe(false);
  }, 60_000);

  it("serves /metrics on the admin port with both workers' requests summed (main.ts, two workers)", async () => {
    const edge = await startEdge({ PORTCULLIS_EDGE_WORKERS: '2', PORTCULLIS_ACCESS_LOG: 'off' });
    for (let i = 0; i < 5; i++) expect((await get(edge.httpsPort, 'www.example.com', `/m${i}`)).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await get(edge.httpsPort, 'api.example.com', '/blocked')).status).toBe(403);
    const response = await fetch(`http://127.0.0.1:${edge.adminPort}/metrics`);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const metrics = parsePrometheusText(await response.text());
    expect(metrics.value('portcullis_edge_responses_total', { kind: 'forward', status: '200' })).toBe(5);
    expect(metrics.value('portcullis_edge_responses_total', { kind: 'block', status: '403' })).toBe(2);
    expect(metrics.value('portcullis_edge_tls_handshakes_total', { outcome: 'completed' })).toBe(7);
    // Serving last-known-good without a node identity: no stream runs, the configuration is served.
    expect(metrics.labelSets('portcullis_edge_stream_connected')).toEqual([]);
    expect(metrics.value('portcullis_edge_config_generation')).toBeGreaterThan(0);
    expect(metrics.value('portcullis_edge_ready')).toBe(1);
    expect(await edge.stop()).toBe(0);
  }, 60_000);

  it('samples 1 in N but logs every block in sampled mode, and logs nothing in off mode', async () => {
    const sampled = await startEdge({ PORTCULLIS_EDGE_WORKERS: '1', PORTCULLIS_ACCESS_LOG: 'sampled', PORTCULLIS_ACCESS_LOG_SAMPLE: '3' });
    for (let i = 0; i < 6; i++) expect((await get(sampled.httpsPort, 'www.example.com', `/s${i}`)).status).toBe(200);
    expect((await get(sampled.httpsPort, 'api.example.com', '/blocked')).status).toBe(403);
    expect(await sampled.stop()).toBe(0);
    const logged = sampled.accessLines().map((line) => line['path']);
    expect(logged).toEqual(['/s0', '/s3', '/blocked']);

    const off = await startEdge({ PORTCULLIS_EDGE_WORKERS: '1', PORTCULLIS_ACCESS_LOG: 'off' });
    expect((await get(off.httpsPort, 'www.example.com', '/o')).status).toBe(200);
    expect((await get(off.httpsPort, 'api.example.com', '/blocked')).status).toBe(403);
    expect(await off.stop()).toBe(0);
    expect(off.accessLines()).toEqual([]);
  }, 60_000);
});
