import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { freePort } from '@portcullis/testing';
import type { BenchCertificates } from './fixtures.ts';
import { withFileLimit, type ServerUnderTest } from './peers.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/**
 * The Portcullis edge as users run it: a control plane (embedded store) and an edge node as
 * processes, the edge enrolled with a join token, and the site configured through the HTTP
 * API — server certificate, the client CA uploaded and bound to `hostname`, and the WAF rule
 * `http.host eq "<hostname>" and not ssl.client_cert.verified` → 403. Requests that pass are
 * proxied to `origin`. Only the edge process's CPU is the server's.
 */
export async function startPortcullisEdge(
  dir: string,
  hostname: string,
  certs: BenchCertificates,
  origin: string,
  workers: 1 | 2 = 1,
): Promise<ServerUnderTest> {
  const [httpPort, grpcPort, discoveryPort, httpsPort, adminPort] = (await Promise.all(Array.from({ length: 5 }, () => freePort()))) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const controlPlane = startProcess('apps/control-plane/src/main.ts', {
    PORTCULLIS_DATA_DIR: path.join(dir, 'control-plane'),
    PORTCULLIS_HTTP_PORT: String(httpPort),
    PORTCULLIS_GRPC_PORT: String(grpcPort),
    PORTCULLIS_DISCOVERY_PORT: String(discoveryPort),
    PORTCULLIS_LOG_LEVEL: 'warn',
  });
  let edge: ChildProcess | undefined;
  const stop = async () => {
    for (const child of [edge, controlPlane]) {
      if (!child || child.exitCode !== null) continue;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  };
  try {
    const api = `http://127.0.0.1:${httpPort}`;
    await until('control plane', async () => (await fetch(`${api}/healthz`)).ok);
    const admin = readFileSync(path.join(dir, 'control-plane', 'admin-token'), 'utf8').trim();
    const call = async (method: string, route: string, token: string, body: unknown) => {
      const response = await fetch(`${api}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await response.json()) as Record<string, unknown>;
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };

    const joinToken = await call('POST', '/v1/edge-join-tokens', admin, { name: 'bench' });
    const tokenFile = path.join(dir, 'join-token');
    writeFileSync(tokenFile, `${joinToken['token'] as string}\n`, { mode: 0o600 });
    edge = startProcess('apps/edge-node/src/main.ts', {
      PORTCULLIS_NODE_ID: 'bench-edge',
      PORTCULLIS_CONTROL_PLANE_URL: api,
      PORTCULLIS_JOIN_TOKEN_FILE: tokenFile,
      PORTCULLIS_DISCOVERY_ADDRESS: `127.0.0.1:${discoveryPort}`,
      PORTCULLIS_EDGE_HTTPS_PORT: String(httpsPort),
      PORTCULLIS_EDGE_ADMIN_PORT: String(adminPort),
      PORTCULLIS_STATE_DIR: path.join(dir, 'edge'),
      PORTCULLIS_LOG_LEVEL: 'error',
      // As the peers are configured: idle connections kept 120 s, room for the 10,000 idle ones.
      PORTCULLIS_EDGE_IDLE_TIMEOUT_MS: '120000',
      PORTCULLIS_EDGE_MAX_CONNECTIONS: '20000',
      // Always explicit: the edge's default is one worker per core.
      PORTCULLIS_EDGE_WORKERS: String(workers),
    });

    const account = await call('POST', '/v1/accounts', admin, { name: 'bench' });
    const key = (account['apiKey'] as { secret: string }).secret;
    const site = await call('POST', '/v1/sites', key, { name: hostname.slice(hostname.indexOf('.') + 1), originUrl: origin });
    const siteId = site['id'] as string;
    await call('POST', `/v1/sites/${siteId}/server-certificates`, key, {
      certificate: readFileSync(certs.serverCert, 'utf8'),
      privateKey: readFileSync(certs.serverKey, 'utf8'),
    });
    const ca = await call('POST', `/v1/sites/${siteId}/client-ca-certificates`, key, { certificate: readFileSync(certs.clientCa, 'utf8') });
    await call('PUT', `/v1/sites/${siteId}/ca-bindings/${ca['id'] as string}`, key, { hostnames: [hostname] });
    await call('POST', `/v1/sites/${siteId}/waf-rules`, key, { expression: `http.host eq "${hostname}" and not ssl.client_cert.verified` });
    await until('edge serving the site', async () => (await get(httpsPort, hostname, certs)) === 200);
    return { name: 'Portcullis edge', port: httpsPort, pids: [edge.pid!], stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function startProcess(entry: string, env: Record<string, string>): ChildProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
  const [shell, flag, script] = withFileLimit;
  return spawn(shell, [flag, script, process.execPath, entry], {
    cwd: repoRoot,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** One GET through the edge with the client certificate; the status code. */
function get(port: number, hostname: string, certs: BenchCertificates): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      {
        host: '127.0.0.1',
        port,
        servername: hostname,
        headers: { host: hostname },
        cert: readFileSync(certs.clientCert),
        key: readFileSync(certs.clientKey),
        rejectUnauthorized: false,
        agent: false,
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', reject);
  });
}

/** Whether this edge build has the workers setting (PORTCULLIS_EDGE_WORKERS) at all. */
export function edgeWorkersAvailable(): boolean {
  return readFileSync(path.join(repoRoot, 'apps/edge-node/src/edge-settings.ts'), 'utf8').includes('PORTCULLIS_EDGE_WORKERS');
}
