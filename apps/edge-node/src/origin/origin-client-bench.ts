/**
 * A short, bounded benchmark of the edge's origin client against node:http's `http.request`
 * with a keep-alive Agent and undici's `Pool.dispatch()` with a handler object, all to the
 * same local nginx origin (another process, so the rates are the clients' own). Each client
 * runs `requests` GETs one at a time, then with `concurrency` in flight, in interleaved rounds;
 * printed per client: requests per wall second and per second of this process's CPU.
 *
 *   node apps/edge-node/src/origin/origin-client-bench.ts [requests=20000] [concurrency=32] [rounds=3]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { createOriginClient } from './origin-client.ts';

const requests = Number(process.argv[2] ?? 20_000);
const concurrency = Number(process.argv[3] ?? 32);
const rounds = Number(process.argv[4] ?? 3);

/** Sends one GET and resolves when its whole response was read. */
type Send = () => Promise<void>;

function originClientSend(url: string): { send: Send; close(): void } {
  const client = createOriginClient();
  const origin = new URL(url);
  const head = { method: 'GET', path: '/', headers: ['host', 'bench.example', 'x-request-id', '0'] };
  return {
    send: () =>
      new Promise((resolve, reject) => {
        client.request(origin, head, null, {
          onHead: () => undefined,
          onData: () => true,
          onEnd: () => resolve(),
          onError: reject,
        });
      }),
    close: () => client.close(),
  };
}

function nodeHttpSend(url: string): { send: Send; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, scheduling: 'lifo' });
  const { hostname, port } = new URL(url);
  return {
    send: () =>
      new Promise((resolve, reject) => {
        const req = http.request({ hostname, port, path: '/', agent, headers: { host: 'bench.example', 'x-request-id': '0' } }, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve());
        });
        req.on('error', reject);
        req.end();
      }),
    close: () => agent.destroy(),
  };
}

function undiciSend(url: string): { send: Send; close(): void } {
  const pool = new Pool(url, { connections: 256 });
  return {
    send: () =>
      new Promise((resolve, reject) => {
        pool.dispatch(
          { method: 'GET', path: '/', headers: ['host', 'bench.example', 'x-request-id', '0'] },
          {
            onRequestStart: () => undefined,
            onResponseStart: () => undefined,
            onResponseData: () => undefined,
            onResponseEnd: () => resolve(),
            onResponseError: (_controller, error) => reject(error),
          },
        );
      }),
    close: () => void pool.close(),
  };
}

async function run(send: Send, inFlight: number): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let left = requests;
  const lane = async () => {
    while (left-- > 0) await send();
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const wallS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { wall: requests / wallS, cpu: requests / ((used.user + used.system) / 1e6) };
}

/**
 * nginx answering `ok` on a free port, with room for every client's connections (the test
 * origin's 64 worker connections make nginx close kept-alive ones under load) and no cap on
 * requests per connection, so no client meets a closing connection mid-run.
 */
async function startBenchOrigin(dir: string): Promise<{ url: string; stop(): void }> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 10000000; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; location / { return 200 "ok\\n"; } } }
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], { stdio: 'ignore' });
  for (let tries = 0; ; tries++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(!!socket.destroy()));
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (tries > 200 || child.exitCode !== null) throw new Error(`nginx did not start; see ${dir}/error.log`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'origin-bench-'));
const nginx = await startBenchOrigin(dir);
const clients = {
  'origin client (llhttp wasm)': originClientSend,
  'undici Pool.dispatch()': undiciSend,
  'http.request + keep-alive Agent': nodeHttpSend,
};
const results = new Map<string, { wall: number; cpu: number }[]>();
try {
  for (let round = 0; round < rounds; round++) {
    for (const [name, make] of Object.entries(clients)) {
      for (const inFlight of [1, concurrency]) {
        const client = make(nginx.url);
        const key = `${name}, ${inFlight} in flight`;
        try {
          results.set(key, [...(results.get(key) ?? []), await run(client.send, inFlight)]);
        } catch (error) {
          console.log(`${key}: failed: ${(error as Error).message}`);
        }
        client.close();
      }
    }
  }
} finally {
  nginx.stop();
  rmSync(dir, { recursive: true, force: true });
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`${requests} GETs per run, ${rounds} interleaved rounds, medians; origin: nginx (${process.version})`);
for (const [key, runs] of results) {
  console.log(
    `${key.padEnd(52)} ${Math.round(median(runs.map((r) => r.wall)))
      .toString()
      .padStart(7)} req/s wall ${Math.round(median(runs.map((r) => r.cpu)))
      .toString()
      .padStart(7)} req/CPU-s`,
  );
}
