import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@portcullis/testing';
import { rate, writeSection } from '../report.ts';
import { makeCertificates } from './fixtures.ts';
import { loadGenerator, type LoadResult } from './load-generator.ts';
import { cpuSecondsOf } from './process-cpu.ts';
import { startNginx, startNodeHttps, waitForLine, type ServerUnderTest } from './peers.ts';
import { startPortcullisEdge } from './portcullis-edge.ts';
import { spawn } from 'node:child_process';

/**
 * Edge benchmark: new mutual-TLS handshakes per second and kept-alive requests per second
 * (100 per connection) on one server core, for nginx (the peer), a plain Node 24 `https`
 * server (the ceiling for anything written on Node) and Portcullis servers added beside them.
 * The load comes from tlsload.c (C, OpenSSL, epoll) on the other core; rates are given per
 * second of the server's own CPU, with the generator's CPU beside them, as medians of three
 * interleaved rounds. Writes the `edge` section of docs/benchmarks.md.
 */
const hostname = 'bench.example.com';
const seconds = 5;
const rounds = 3;
const conns = 32;

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-edge-'));
const certs = makeCertificates(dir, hostname);
const load = loadGenerator(dir);
const clientCert = { cert: certs.clientCert, key: certs.clientKey };
const loadAtStart = os.loadavg()[0]!;

type Scenario = 'handshake' | 'keepalive';
const scenarios: Record<Scenario, string> = {
  handshake: 'New mTLS handshakes (full, no resumption; one GET each)',
  keepalive: 'Kept-alive requests with a client certificate (100 per connection)',
};

interface Sample {
  readonly perServerCpu: number;
  readonly perWall: number;
  readonly generatorCpu: number;
  readonly serverCpu: number;
  readonly non200: number;
}

// The origin behind both proxies, in its own process so its CPU is not the server's.
const originPort = await freePort();
const originProcess = spawn(process.execPath, [path.join(import.meta.dirname, 'origin-server.ts'), String(originPort)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
await waitForLine(originProcess, 'listening');
const origin = `http://127.0.0.1:${originPort}`;

async function starters(): Promise<(() => Promise<ServerUnderTest>)[]> {
  const [nginxPort, nginxProxyPort, nodePort, nodeProxyPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  return [
    () => startNginx(dir, nginxPort, hostname, certs),
    () => startNginx(dir, nginxProxyPort, hostname, certs, origin),
    () => startNodeHttps(nodePort, certs),
    () => startNodeHttps(nodeProxyPort, certs, originPort),
    () => startPortcullisEdge(mkdtempSync(path.join(dir, 'portcullis-')), hostname, certs, origin),
  ];
}

const samples = new Map<string, Sample[]>();
const names: string[] = [];
try {
  for (const start of await starters()) {
    const server = await start();
    names.push(server.name);
    await server.stop();
  }
  for (let round = 1; round <= rounds; round++) {
    for (const start of await starters()) {
      const server = await start();
      try {
        for (const scenario of Object.keys(scenarios) as Scenario[]) {
          load({ port: server.port, sni: hostname, mode: scenario, cert: clientCert, conns, seconds: 1, perConn: 100 }); // warm-up
          const before = cpuSecondsOf(server.pids);
          const result: LoadResult = load({
            port: server.port,
            sni: hostname,
            mode: scenario,
            cert: clientCert,
            conns,
            seconds,
            perConn: 100,
          });
          const serverCpu = cpuSecondsOf(server.pids) - before;
          const ok = result.statuses['200'] ?? 0;
          const sample: Sample = {
            perServerCpu: ok / serverCpu,
            perWall: ok / result.seconds,
            generatorCpu: result.cpuSeconds / result.seconds,
            serverCpu: serverCpu / result.seconds,
            non200: result.completed - ok + result.errors,
          };
          const key = `${server.name}|${scenario}`;
          samples.set(key, [...(samples.get(key) ?? []), sample]);
          console.log(`round ${round} ${server.name} ${scenario}: ${rate(sample.perServerCpu)}/server-CPU-s, ${rate(sample.perWall)}/s`);
        }
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  originProcess.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const med = (key: string, pick: (s: Sample) => number) => median((samples.get(key) ?? []).map(pick));
// The like-for-like peer of the edge: nginx verifying the certificate and proxying to the origin.
const peer = names[1]!;
let table =
  '| Server | Scenario | Per server CPU-second | Ratio to nginx (proxy) | Per second (wall) | Server CPU | Generator CPU | Non-200 |\n';
table += '|---|---|---:|---:|---:|---:|---:|---:|\n';
for (const scenario of Object.keys(scenarios) as Scenario[]) {
  for (const name of names) {
    const key = `${name}|${scenario}`;
    const perCpu = med(key, (s) => s.perServerCpu);
    const ratio = perCpu / med(`${peer}|${scenario}`, (s) => s.perServerCpu);
    table +=
      `| ${name} | ${scenarios[scenario]} | ${rate(perCpu)} | ${ratio.toFixed(2)}× | ${rate(med(key, (s) => s.perWall))} | ` +
      `${med(key, (s) => s.serverCpu).toFixed(2)} | ${med(key, (s) => s.generatorCpu).toFixed(2)} | ${(samples.get(key) ?? []).reduce((n, s) => n + s.non200, 0)} |\n`;
  }
}

const edgeName = names.find((n) => n.startsWith('Portcullis'))!;
const nodeProxyName = names.find((n) => n.includes('bare proxy'))!;
const ratioOf = (a: string, b: string, scenario: Scenario) =>
  (med(`${a}|${scenario}`, (s) => s.perServerCpu) / med(`${b}|${scenario}`, (s) => s.perServerCpu)).toFixed(2);
const reading = `Reading: the edge completes new mTLS handshakes at ${ratioOf(edgeName, peer, 'handshake')}× nginx's rate
(same work: verify, then proxy); on kept-alive connections a proxy built on Node's http client
reaches ${ratioOf(nodeProxyName, peer, 'keepalive')}× nginx, and the edge's own per-request work (revocation
check, WAF, header rewriting, request ids, logging) leaves it at ${ratioOf(edgeName, nodeProxyName, 'keepalive')}× of that bare proxy.`;

writeSection(
  'edge',
  'npm run bench -- edge',
  `Servers run one at a time on loopback, each with one process (nginx: one worker), TLS 1.3,
X25519, an ECDSA P-256 server certificate and P-256 client certificates from a P-256 CA; the
client certificate is verified on every connection. Load: \`tools/bench/edge/tlsload.c\` (C,
the system's OpenSSL, epoll, one thread) with ${conns} connections, ${seconds} s per run after a
1 s warm-up, ${rounds} interleaved rounds, medians shown. "Per server CPU-second" divides the
requests answered 200 by the CPU the server process used (user + system, from /proc), so it is
the per-core rate even when the generator competes for the second core; "Server CPU" and
"Generator CPU" are cores busy during the run. One-minute load average at start: ${loadAtStart.toFixed(2)}.
nginx here is Debian 12's (OpenSSL 3.0); Node 24 links OpenSSL 3.5.

${table}
${reading}`,
);
