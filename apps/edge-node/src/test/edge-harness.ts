import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { CreatedCertificateAuthority } from '@portcullis/pki';
import { createEdgeLogger, silentLogger, type EdgeLogger } from '../edge-logger.ts';
import { startEdgeNode, type EdgeNode } from '../edge-node.ts';
import type { OriginTimeouts } from '../origin/origin-contract.ts';
import type { ServingLimits } from '../http/serving-limits.ts';
import { FakeDiscoveryServer, memoryTransport } from './fake-discovery-server.ts';
import { credentialResource, revocationsResource, siteResource, trustResource, wafResource, type TypedResource } from './resources.ts';
import { createTestPki, type TestCertificate, type TestPki } from './test-pki.ts';

/** What an origin saw of one request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A plain Node origin that answers `<name> <method> <url>` and records every request with its body. */
export interface TestOrigin {
  readonly name: string;
  readonly url: string;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

export async function startOrigin(name: string): Promise<TestOrigin> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' };
    seen.push(request);
    req.on('data', (chunk: Buffer) => (request.body += chunk.toString()));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-origin': name, connection: 'keep-alive' });
      res.end(`${name} ${req.method} ${req.url}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The usual test world: one site `example.com` with an mTLS hostname per CA and plain ones. */
export interface TestWorld {
  readonly pki: TestPki;
  readonly server: FakeDiscoveryServer;
  readonly origin: TestOrigin;
  readonly accountCa: CreatedCertificateAuthority;
  readonly customCa: CreatedCertificateAuthority;
  readonly strangerCa: CreatedCertificateAuthority;
  /** Issued by the account CA, bound to api.example.com. */
  readonly alice: TestCertificate & { serial: string };
  /** Issued by the custom CA, bound to custom.example.com only. */
  readonly bob: TestCertificate & { serial: string };
  /** Issued by a CA bound nowhere. */
  readonly mallory: TestCertificate & { serial: string };
  readonly serverCert: TestCertificate;
  /** The resources of the world, to push again or change. */
  readonly resources: {
    site: TypedResource;
    credential: TypedResource;
    trust: TypedResource;
    waf: TypedResource;
    /** Empty revocation sets of the two bound CAs: a site is served only with every one (docs/edge-protocol.md). */
    accountRevocations: TypedResource;
    customRevocations: TypedResource;
  };
  remove(): Promise<void>;
}

export const mtlsRule = 'http.host in {"api.example.com" "custom.example.com"} and not ssl.client_cert.verified';

export async function createTestWorld(): Promise<TestWorld> {
  const pki = await createTestPki();
  const [accountCa, customCa, strangerCa] = await Promise.all([
    pki.clientCa('Account CA'),
    pki.clientCa('Custom CA'),
    pki.clientCa('Stranger CA'),
  ]);
  const [alice, bob, mallory] = await Promise.all([
    pki.clientCertificate(accountCa, 'alice'),
    pki.clientCertificate(customCa, 'bob'),
    pki.clientCertificate(strangerCa, 'mallory'),
  ]);
  const serverCert = await pki.serverCertificate(['example.com', '*.example.com']);
  const origin = await startOrigin('origin-a');
  const resources = {
    site: siteResource('s1', 'example.com', origin.url, true),
    credential: credentialResource('c1', 's1', ['example.com', '*.example.com'], serverCert),
    trust: trustResource(
      's1',
      { acct_1: accountCa.certificatePem, ca_custom: customCa.certificatePem },
      { 'api.example.com': ['acct_1'], 'custom.example.com': ['ca_custom'] },
    ),
    waf: wafResource('s1', [{ id: 'require-mtls', expression: mtlsRule, status: 403 }]),
    accountRevocations: revocationsResource('acct_1', []),
    customRevocations: revocationsResource('ca_custom', []),
  };
  const server = new FakeDiscoveryServer();
  await server.push(...Object.values(resources));
  return {
    pki,
    server,
    origin,
    accountCa,
    customCa,
    strangerCa,
    alice,
    bob,
    mallory,
    serverCert,
    resources,
    async remove() {
      await origin.close();
      pki.remove();
    },
  };
}

/** Starts an edge fed by `server` in memory, on free ports, with a fresh state directory unless given. */
export async function startTestEdge(
  server: FakeDiscoveryServer | undefined,
  options: {
    stateDir?: string;
    log?: EdgeLogger;
    originCaPems?: string[];
    originTimeouts?: OriginTimeouts;
    servingLimits?: Partial<ServingLimits>;
    /** False starts with the control plane unreachable; the edge must not wait for it. */
    controlPlaneUp?: boolean;
  } = {},
): Promise<{ edge: EdgeNode; stateDir: string; transport: ReturnType<typeof memoryTransport> | undefined; stop(): Promise<void> }> {
  const stateDir = options.stateDir ?? mkdtempSync(path.join(os.tmpdir(), 'edge-state-'));
  const transport = server ? memoryTransport(server) : undefined;
  if (transport && options.controlPlaneUp === false) transport.available = false;
  const edge = await startEdgeNode({
    nodeId: 'edge-test',
    httpsHost: '127.0.0.1',
    httpsPort: 0,
    adminHost: '127.0.0.1',
    adminPort: 0,
    stateDir,
    transport,
    log: options.log ?? silentLogger,
    backoff: { initialMs: 20, maxMs: 200 },
    ...(options.originCaPems ? { originCaPems: options.originCaPems } : {}),
    ...(options.originTimeouts ? { originTimeouts: options.originTimeouts } : {}),
    ...(options.servingLimits ? { servingLimits: options.servingLimits } : {}),
  });
  if (server && options.controlPlaneUp !== false) await waitFor(() => edge.store.current !== undefined, 5_000);
  return {
    edge,
    stateDir,
    transport,
    async stop() {
      await edge.close();
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes (then throws). */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What curl reported: status (0 when no HTTP response), body, response headers, stderr. */
export interface CurlResult {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly stderr: string;
}

/**
 * Runs the real curl against the edge: `host` resolves to 127.0.0.1:`port` (so SNI and Host
 * are `host`), the edge is verified against the test server CA, bounded by a timeout.
 */
export function curl(
  port: number,
  host: string,
  urlPath: string,
  options: { cacert: string; cert?: TestCertificate; args?: string[] },
): Promise<CurlResult> {
  const args = [
    '--silent',
    '--show-error',
    '--max-time',
    '10',
    '--resolve',
    `${host}:${port}:127.0.0.1`,
    '--cacert',
    options.cacert,
    '--dump-header',
    '-',
    ...(options.cert ? ['--cert', options.cert.certFile, '--key', options.cert.keyFile] : []),
    ...(options.args ?? []),
    `https://${host}:${port}${urlPath}`,
  ];
  return new Promise((resolve) => {
    execFile('curl', args, { encoding: 'utf8', timeout: 15_000 }, (_error, stdout, stderr) => {
      const split = stdout.indexOf('\r\n\r\n');
      const head = split < 0 ? '' : stdout.slice(0, split);
      const lines = head.split('\r\n');
      const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status, body: split < 0 ? '' : stdout.slice(split + 4), headers, stderr });
    });
  });
}

/**
 * Runs `openssl s_client` to 127.0.0.1:`port` with `args`, writing `input` then closing stdin
 * (or keeping it open `holdMs` so responses can arrive); resolves with stdout + stderr.
 */
export function sClient(port: number, args: string[], input = '', holdMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000 + holdMs);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(killer);
      resolve(output);
    });
    child.stdin.write(input);
    if (holdMs > 0) setTimeout(() => child.stdin.end(), holdMs);
    else child.stdin.end();
  });
}

/** A logger that keeps every line it is given, parsed. */
export function recordingLogger(): { log: EdgeLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return {
    log: createEdgeLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }),
    lines,
  };
}
