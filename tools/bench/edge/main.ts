import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@portcullis/testing';
import { rate, writeSection } from '../report.ts';
import { startCaddy } from './caddy-peer.ts';
import { makeCertificates } from './fixtures.ts';
import { startHaproxy } from './haproxy-peer.ts';
import { loadGenerator, type LoadOptions, type LoadResult } from './load-generator.ts';
import { debian12Nginx, rootNginx, startNginx } from './nginx-peer.ts';
import { startNodeHttps } from './node-peer.ts';
import { stopChild, waitForLine, type ServerUnderTest } from './peers.ts';
import { edgeWorkersAvailable, startPortcullisEdge } from './portcullis-edge.ts';
import { cpuSecondsOf, rssBytesOf } from './process-cpu.ts';
import { evaluateTargets, latencyTable, memoryTable, Results, targetsTable, throughputTable, type Scenario } from './summary.ts';
import { ensureTrixieRoot } from './trixie-root.ts';

/**
 * Edge benchmark (issue 8): the Portcullis edge against nginx 1.26 and 1.22, HAProxy 2.6,
 * Caddy 2.6 and bare Node 24 servers doing the same job (verify an optional client
 * certificate against the same CA, 403 unless verified, proxy to the same origin over
 * kept-alive connections). Load comes from tlsload.c; rates are per second of the server's
 * own CPU, medians of three interleaved rounds. Then latency at a fixed rate, memory of idle
 * TLS connections, and issue 8's targets. Writes the `edge` section of docs/benchmarks.md.
 * PORTCULLIS_BENCH_SECONDS / _ROUNDS / _IDLE shorten a smoke run.
 */
const hostname = 'bench.example.com';
const seconds = Number(process.env['PORTCULLIS_BENCH_SECONDS'] ?? 4);
const rounds = Number(process.env['PORTCULLIS_BENCH_ROUNDS'] ?? 3);
const idleConnections = Number(process.env['PORTCULLIS_BENCH_IDLE'] ?? 10_000);
const conns = 32;
const bodyConns = 8;
const began = Date.now();

// The peers are Debian 12 packages; the harness installs none of them itself.
const missing = Object.entries({ nginx: 'nginx', haproxy: 'haproxy', caddy: 'caddy', cc: 'gcc libssl-dev', openssl: 'openssl' }).filter(
  ([command]) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0,
);
if (missing.length > 0) {
  console.error(
    `edge bench needs: apt-get install -y ${missing.map(([, pkg]) => pkg).join(' ')} (and debootstrap for the nginx 1.26 root)`,
  );
  process.exit(1);
}
const root = ensureTrixieRoot();
const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-edge-'));
const certs = makeCertificates(dir, hostname);
const load = loadGenerator(dir);
const clientCert = { cert: certs.clientCert, key: certs.clientKey };
const loadAtStart = os.loadavg();
const workersAvailable = edgeWorkersAvailable();

// The origin behind every proxy, in its own process so its CPU is not the server's.
const originPort = await freePort();
const originProcess = spawn(process.execPath, [path.join(import.meta.dirname, 'origin-server.ts'), String(originPort)], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
await waitForLine(originProcess, 'listening');
const origin = `http://127.0.0.1:${originPort}`;

/** A server of the comparison: how to start it on one or two cores, and what it takes part in. */
interface Peer {
  readonly key: 'nginx126' | 'nginx122' | 'haproxy' | 'caddy' | 'nodeSelf' | 'nodeProxy' | 'edge';
  readonly twoCores: boolean;
  /** Whether it proxies (answers 1 MiB bodies from the origin). */
  readonly proxies: boolean;
  start(cores: 1 | 2): Promise<ServerUnderTest>;
}
const options = async (cores: 1 | 2) => ({ dir, port: await freePort(), hostname, origin, cores });
const peers: Peer[] = [
  { key: 'nginx126', twoCores: true, proxies: true, start: async (c) => startNginx(rootNginx(root), await options(c), certs) },
  { key: 'nginx122', twoCores: true, proxies: true, start: async (c) => startNginx(debian12Nginx, await options(c), certs) },
  { key: 'haproxy', twoCores: true, proxies: true, start: async (c) => startHaproxy(await options(c), certs) },
  { key: 'caddy', twoCores: true, proxies: true, start: async (c) => startCaddy(await options(c), certs) },
  { key: 'nodeSelf', twoCores: false, proxies: false, start: async () => startNodeHttps(await freePort(), certs) },
  { key: 'nodeProxy', twoCores: false, proxies: true, start: async () => startNodeHttps(await freePort(), certs, originPort) },
  {
    key: 'edge',
    twoCores: workersAvailable,
    proxies: true,
    start: (c) => startPortcullisEdge(mkdtempSync(path.join(dir, 'portcullis-')), hostname, certs, origin, c),
  },
];

const results = new Results();
const names = new Map<Peer['key'], string>();
const failures: string[] = [];
const label = (p: Peer) => names.get(p.key) ?? p.key;

/** Starts a peer and runs `body` against it; a peer that fails is reported, not fatal. */
async function withServer(peer: Peer, cores: 1 | 2, body: (server: ServerUnderTest) => Promise<void> | void): Promise<void> {
  let server: ServerUnderTest | undefined;
  try {
    server = await peer.start(cores);
    names.set(peer.key, server.name);
    await body(server);
  } catch (error) {
    const message = `${label(peer)} (${cores} core${cores > 1 ? 's' : ''}): ${(error as Error).message.split('\n')[0]}`;
    failures.push(message);
    console.error(`FAILED ${message}`);
  } finally {
    await server?.stop();
  }
}

/** One timed run (after a 1 s warm-up): the sample, per server CPU-second. */
function measure(
  server: ServerUnderTest,
  run: Omit<LoadOptions, 'port' | 'sni' | 'cert' | 'seconds'>,
  unit = (r: LoadResult) => r.statuses['200'] ?? 0,
) {
  const base = { ...run, port: server.port, sni: hostname, cert: clientCert };
  load.run({ ...base, seconds: 1 });
  const before = cpuSecondsOf(server.pids);
  const result = load.run({ ...base, seconds });
  const serverCpu = cpuSecondsOf(server.pids) - before;
  const ok = unit(result);
  return {
    perServerCpu: ok / serverCpu,
    perWall: ok / result.seconds,
    serverCpu: serverCpu / result.seconds,
    generatorCpu: result.cpuSeconds / result.seconds,
    non200: result.completed - (result.statuses['200'] ?? 0) + result.errors,
    latency: result.latencyMs,
  };
}

const runs: Record<Scenario, Omit<LoadOptions, 'port' | 'sni' | 'cert' | 'seconds'>> = {
  handshake: { mode: 'handshake', conns },
  keepalive: { mode: 'keepalive', conns, perConn: 100 },
  handshake2: { mode: 'handshake', conns },
  keepalive2: { mode: 'keepalive', conns, perConn: 100 },
  body: { mode: 'keepalive', conns: bodyConns, perConn: 100, path: '/1mb' },
};
const megabytes = (r: LoadResult) => ((r.statuses['200'] ?? 0) === r.completed ? r.bodyBytes / 1e6 : 0);
const record = (server: ServerUnderTest, scenario: string, sample: ReturnType<typeof measure>) => {
  results.add(server.name, scenario, sample);
  console.log(
    `${server.name} ${scenario}: ${rate(sample.perServerCpu)}/server-CPU-s, ${rate(sample.perWall)}/s, p99 ${sample.latency?.p99 ?? '-'} ms`,
  );
};

try {
  // 1. Throughput, interleaved rounds.
  for (let round = 1; round <= rounds; round++) {
    console.log(`-- throughput round ${round}`);
    for (const peer of peers) {
      await withServer(peer, 1, (server) => {
        for (const scenario of ['handshake', 'keepalive', ...(peer.proxies ? ['body'] : [])] as Scenario[]) {
          record(server, scenario, measure(server, runs[scenario], scenario === 'body' ? megabytes : undefined));
        }
      });
      if (peer.twoCores) {
        await withServer(peer, 2, (server) => {
          for (const scenario of ['handshake2', 'keepalive2'] as Scenario[]) record(server, scenario, measure(server, runs[scenario]));
        });
      }
    }
  }

  // 2. Latency at a fixed rate: about half the edge's closed-loop maximum (wall clock).
  const edgeName = names.get('edge');
  const half = (scenario: Scenario) =>
    Math.max(50, Math.round(((edgeName && results.median(edgeName, scenario, (s) => s.perWall)) || 2000) / 2));
  const fixed = { keepalive: half('keepalive'), handshake: half('handshake') };
  for (let round = 1; round <= rounds; round++) {
    console.log(`-- latency round ${round}: ${fixed.keepalive} requests/s, ${fixed.handshake} handshakes/s`);
    for (const peer of peers) {
      await withServer(peer, 1, (server) => {
        record(server, 'latency-keepalive', measure(server, { mode: 'keepalive', conns, perConn: 1_000_000, rate: fixed.keepalive }));
        record(server, 'latency-handshake', measure(server, { mode: 'handshake', conns, rate: fixed.handshake }));
      });
    }
  }

  // 3. Memory of idle TLS connections, each after one proxied request.
  console.log(`-- memory: ${idleConnections} idle connections`);
  for (const peer of peers.filter((p) => p.proxies)) {
    await withServer(peer, 1, async (server) => {
      load.run({ port: server.port, sni: hostname, cert: clientCert, mode: 'keepalive', conns, perConn: 100, seconds: 1 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      const rssBeforeBytes = rssBytesOf(server.pids);
      const sample = await load.idle(
        {
          port: server.port,
          sni: hostname,
          cert: clientCert,
          mode: 'idle',
          conns: idleConnections,
          concurrency: 32,
          sources: 4,
          seconds: 120,
        },
        (result) => ({ rssBeforeBytes, rssAfterBytes: rssBytesOf(server.pids), connections: idleConnections, open: result.open ?? 0 }),
      );
      results.memory.set(server.name, sample);
      console.log(
        `${server.name}: ${((sample.rssAfterBytes - sample.rssBeforeBytes) / 1024 / Math.max(1, sample.open)).toFixed(1)} KB per connection`,
      );
    });
  }

  writeReport(fixed);
} finally {
  await stopChild(originProcess);
  rmSync(dir, { recursive: true, force: true });
}

function writeReport(fixed: { keepalive: number; handshake: number }): void {
  const all = peers.map(label);
  const edge = label(peers.find((p) => p.key === 'edge')!);
  const nginx126 = names.get('nginx126') ?? 'nginx126';
  const nginx122 = names.get('nginx122') ?? 'nginx122';
  const targets = evaluateTargets(results, {
    edge,
    nginx126,
    nginx122,
    haproxy: names.get('haproxy') ?? 'haproxy',
    caddy: names.get('caddy') ?? 'caddy',
  });
  const expected = (server: string, scenario: string) => {
    const peer = peers.find((p) => label(p) === server)!;
    if (scenario.endsWith('2')) return peer.twoCores || peer.key === 'edge';
    return scenario !== 'body' || peer.proxies;
  };
  const minutes = ((Date.now() - began) / 60_000).toFixed(1);
  const unmet = targets.filter((t) => t.met === false).map((t) => t.target);
  writeSection(
    'edge',
    'npm run bench -- edge',
    `Every server runs alone on loopback and does the same job: TLS 1.3, X25519, an ECDSA P-256
server certificate, the client certificate (P-256, from a P-256 CA) verified against the same CA
when given, 403 without a verified one, and a proxy to the same origin (a Node \`http\` server in
its own process, answering "ok" or, at \`/1mb\`, 1 MiB) over kept-alive connections. One core:
nginx \`worker_processes 1\`, HAProxy \`nbthread 1\`, Caddy \`GOMAXPROCS=1\`, one edge process (\`PORTCULLIS_EDGE_WORKERS=1\`);
two cores: 2 of each (edge: \`PORTCULLIS_EDGE_WORKERS=2\`, its primary and both workers counted${workersAvailable ? '' : ', **not available in this build**: the setting does not exist yet'}).
nginx 1.26 is Debian 13's (OpenSSL 3.5, run from a debootstrap root), nginx 1.22, HAProxy 2.6 and
Caddy 2.6 are Debian 12's (OpenSSL 3.0; Caddy: Go's TLS); Node 24 links OpenSSL 3.5.
Load: \`tools/bench/edge/tlsload.c\` (C, the system's OpenSSL 3.0, epoll, one thread): ${conns}
connections (1 MiB bodies: ${bodyConns}), full handshakes without resumption, ${seconds} s per run
after a 1 s warm-up, ${rounds} interleaved rounds, medians shown. "Per server CPU-second" divides
the 200 answers (or MB of body) by the CPU the server's processes used (user + system, /proc), so
it is the per-core rate even when the generator shares the machine; "Server CPU" and "Generator
CPU" are cores busy. The machine is shared: one-minute load average ${loadAtStart[0]!.toFixed(2)} at start
(5 min: ${loadAtStart[1]!.toFixed(2)}), ${os.loadavg()[0]!.toFixed(2)} at the end, on ${os.cpus().length} cores. Whole run: ${minutes} min.
${failures.length > 0 ? `\nServers that failed during the run (their rows say "not available"):\n${failures.map((f) => `- ${f}`).join('\n')}\n` : ''}
### Throughput

${throughputTable(results, all, nginx126, nginx122, expected)}
On 2 cores the generator and the origin share the machine with the server, so no server can
double its wall rate here; compare the 2-core rows with each other (and with nginx's own ratio).

### Latency at a fixed rate

Requests start on a fixed schedule at about half the edge's closed-loop rate in the same run
(${rate(fixed.keepalive)} kept-alive requests/s over ${conns} connections that are never
re-opened; ${rate(fixed.handshake)} new connections/s, each a full handshake and one GET), one
server core. Latency runs from each request's scheduled start to the last byte of its answer
(a server that falls behind shows its queue).

${latencyTable(results, all, { 'latency-keepalive': `Kept-alive, ${rate(fixed.keepalive)}/s`, 'latency-handshake': `New connection, ${rate(fixed.handshake)}/s` })}
### Memory of idle TLS connections

${idleConnections.toLocaleString('en-US')} connections opened 32 at a time from 127.0.0.1–4, each after a
handshake and one proxied GET, then left open and silent; resident memory (RSS) of the server's
processes before (after a 1 s warm-up) and with all of them open; one run each, one core.

${memoryTable(
  results,
  all.filter((n) => expected(n, 'body')),
)}
### Issue 8's targets (the edge)

${targetsTable(targets)}
${unmet.length > 0 ? `Not reached: ${unmet.join('; ')}. Profile of the edge for these: (left for the engineers: \`node --cpu-prof\` of the edge under the same load).` : 'All targets reached in this run.'}`,
  );
}
