import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { createCertificateAuthority, issueServerCertificate, loadIssuingCa, localCaSigner } from '@portcullis/pki';

/**
 * `npm start`: the whole system on this machine, without Docker — the control plane (embedded
 * store), a demo origin and one edge node enrolled with a join token — and, on first start, a
 * demo site configured through the control plane's API: `example.com` with a server
 * certificate for `*.example.com`, `api.example.com` bound to the account CA, a WAF rule that
 * refuses it without a verified client certificate, and one client certificate. Everything
 * lives under PORTCULLIS_DEMO_DIR (default ./data); a second start reuses it. Ctrl-C stops all.
 *
 * Ports (loopback): control plane HTTP 8080, gRPC 9090, discovery 9443; edge 8443 (admin 9901);
 * origin 8000. PORTCULLIS_DEMO_PORT_BASE shifts them all by the same offset (tests use it).
 */
const root = path.resolve(import.meta.dirname, '../..');
const dataDir = path.resolve(process.env['PORTCULLIS_DEMO_DIR'] || path.join(root, 'data'));
const demoDir = path.join(dataDir, 'demo');
const shift = Number(process.env['PORTCULLIS_DEMO_PORT_BASE'] || 0);
const ports = {
  http: 8080 + shift,
  grpc: 9090 + shift,
  discovery: 9443 + shift,
  edge: 8443 + shift,
  edgeAdmin: 9901 + shift,
  origin: 8000 + shift,
};
const zone = 'example.com';
const mtlsHost = `api.${zone}`;

const children: ChildProcess[] = [];
let stopping = false;
function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 2_000).unref();
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((resolve) => c.once('exit', resolve))))).then(() =>
    process.exit(code),
  );
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

/** Starts one part of the system; if it dies, the demo stops (its output says why). */
function start(name: string, args: string[], env: Record<string, string>): void {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PORTCULLIS_')));
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...inherited, PORTCULLIS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code) => {
    if (stopping) return;
    console.error(`demo: ${name} exited (${code}); stopping`);
    stopAll(1);
  });
  children.push(child);
}

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 60_000; ;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`demo: ${what} did not come up within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const api = `http://127.0.0.1:${ports.http}`;
async function call(method: string, route: string, token: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${api}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`demo: ${method} ${route} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

const demoFile = (name: string) => path.join(demoDir, name);
const writeSecret = (name: string, text: string) => writeFileSync(demoFile(name), text, { mode: 0o600 });

/** First start only: the demo account, site, certificates, binding and WAF rule. */
async function configureDemoSite(adminToken: string): Promise<void> {
  const account = await call('POST', '/v1/accounts', adminToken, { name: 'demo' });
  const apiKey = (account['apiKey'] as { secret: string }).secret;
  writeSecret('api-key', `${apiKey}\n`);
  const site = await call('POST', '/v1/sites', apiKey, {
    name: zone,
    originUrl: `http://127.0.0.1:${ports.origin}`,
    forwardClientCert: true,
  });
  const siteId = site['id'] as string;

  const serverCa = await createCertificateAuthority({ subject: { commonName: 'Portcullis demo server CA' } });
  const issuer = await loadIssuingCa(serverCa.certificatePem, localCaSigner(serverCa.privateKey));
  const server = await issueServerCertificate(issuer, { keyType: 'ec-p256', dnsNames: [zone, `*.${zone}`] });
  writeFileSync(demoFile('server-ca.pem'), serverCa.certificatePem);
  await call('POST', `/v1/sites/${siteId}/server-certificates`, apiKey, {
    certificate: server.certificatePem,
    privateKey: server.privateKeyPem!,
  });

  const client = await call('POST', `/v1/sites/${siteId}/client-certificates`, apiKey, {
    pkeyType: 'ECC',
    commonName: 'demo-device',
    validityDays: 365,
  });
  writeFileSync(demoFile('client.pem'), (client['certificate'] as { certificate: string }).certificate);
  writeSecret('client.key', client['privateKey'] as string);
  await call('PUT', `/v1/sites/${siteId}/ca-bindings/account`, apiKey, { hostnames: [mtlsHost] });
  await call('POST', `/v1/sites/${siteId}/waf-rules`, apiKey, {
    name: 'api needs a verified client certificate',
    expression: `http.host eq "${mtlsHost}" and not ssl.client_cert.verified`,
  });
}

mkdirSync(demoDir, { recursive: true, mode: 0o700 });
start('control plane', ['apps/control-plane/src/main.ts'], {
  PORTCULLIS_DATA_DIR: path.join(dataDir, 'control-plane'),
  PORTCULLIS_HTTP_PORT: String(ports.http),
  PORTCULLIS_GRPC_PORT: String(ports.grpc),
  PORTCULLIS_DISCOVERY_PORT: String(ports.discovery),
});
start('demo origin', ['apps/edge-node/src/main.ts', 'demo-origin'], { PORTCULLIS_DEMO_ORIGIN_PORT: String(ports.origin) });
await until('the control plane', async () => (await fetch(`${api}/readyz`)).ok);
const adminToken = readFileSync(path.join(dataDir, 'control-plane', 'admin-token'), 'utf8').trim();

const edgeState = path.join(dataDir, 'edge');
const edgeEnv: Record<string, string> = {
  PORTCULLIS_NODE_ID: 'demo-edge',
  PORTCULLIS_CONTROL_PLANE_URL: api,
  PORTCULLIS_DISCOVERY_ADDRESS: `127.0.0.1:${ports.discovery}`,
  PORTCULLIS_EDGE_HTTPS_PORT: String(ports.edge),
  PORTCULLIS_EDGE_ADMIN_PORT: String(ports.edgeAdmin),
  PORTCULLIS_STATE_DIR: edgeState,
};
if (!existsSync(path.join(edgeState, 'node-cert.pem'))) {
  const joinToken = await call('POST', '/v1/edge-join-tokens', adminToken, { name: 'demo edge', ttlSeconds: 600 });
  writeSecret('join-token', `${joinToken['token'] as string}\n`);
  Object.assign(edgeEnv, {
    PORTCULLIS_JOIN_TOKEN_FILE: demoFile('join-token'),
    PORTCULLIS_FLEET_CA_SHA256: joinToken['fleetCaFingerprintSha256'] as string,
  });
}
start('edge', ['apps/edge-node/src/main.ts'], edgeEnv);
if (!existsSync(demoFile('client.pem'))) await configureDemoSite(adminToken);
await until('the edge', async () => (await fetch(`http://127.0.0.1:${ports.edgeAdmin}/readyz`)).ok);
await until('the demo site at the edge', async () => (await demoSiteStatus()) === 200);

/** The status of one GET of the demo site through the edge, with the demo client certificate. */
function demoSiteStatus(): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.get(
      {
        host: '127.0.0.1',
        port: ports.edge,
        servername: mtlsHost,
        headers: { host: mtlsHost },
        ca: readFileSync(demoFile('server-ca.pem')),
        cert: readFileSync(demoFile('client.pem')),
        key: readFileSync(demoFile('client.key')),
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

const rel = (file: string) => {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
};
const curl = `curl --resolve ${mtlsHost}:${ports.edge}:127.0.0.1 --cacert ${rel(demoFile('server-ca.pem'))}`;
console.log(`
Portcullis is running (Ctrl-C stops it):
  control plane  ${api}  (API docs ${api}/docs; admin token in ${rel(path.join(dataDir, 'control-plane', 'admin-token'))},
                 demo account API key in ${rel(demoFile('api-key'))})
  edge           https://127.0.0.1:${ports.edge}  (status http://127.0.0.1:${ports.edgeAdmin}/status)
  demo origin    http://127.0.0.1:${ports.origin}

Try the demo site (api.${zone} needs a client certificate from the account CA):
  ${curl} --cert ${rel(demoFile('client.pem'))} --key ${rel(demoFile('client.key'))} https://${mtlsHost}:${ports.edge}/
  ${curl} https://${mtlsHost}:${ports.edge}/        # 403: no certificate
demo ready`);
