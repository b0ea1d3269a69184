import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createCertificateAuthority, issueServerCertificate, loadIssuingCa, localCaSigner } from '@portcullis/pki';
import { DemoLogs } from './demo-logs.ts';
import { demoPorts, portNames, takenPorts, type DemoPorts } from './demo-ports.ts';

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
 * A taken port stops the start before anything runs, naming the port.
 *
 * Logs (pino JSON, level info) go to `<data>/logs/`: control-plane.log, edge.log, access.log
 * (one line per request through the edge), origin.log; warnings and errors also reach the
 * terminal. It writes a CLI profile (`<data>/demo/profile.json`, and the default profile when
 * there is none or it points at this demo) so `npx portcullis` works at once.
 *
 * When the control plane exits after the start, the edge and the origin keep running: the edge
 * serves its last-known-good configuration (static stability), and the launcher says so.
 */
const root = path.resolve(import.meta.dirname, '../..');
const dataDir = path.resolve(process.env['PORTCULLIS_DEMO_DIR'] || path.join(root, 'data'));
const demoDir = path.join(dataDir, 'demo');
const zone = 'example.com';
const mtlsHost = `api.${zone}`;

const step = (text: string) => console.log(`demo: ${text}`);
function fail(text: string): never {
  console.error(`demo: ${text}`);
  process.exit(1);
}

let ports: DemoPorts;
try {
  ports = demoPorts(process.env['PORTCULLIS_DEMO_PORT_BASE']);
} catch (error) {
  fail((error as Error).message);
}
const taken = await takenPorts(ports);
if (taken.length > 0) {
  for (const { name, port } of taken) console.error(`demo: port ${port} (${portNames[name]}) on 127.0.0.1 is already in use`);
  fail(
    `cannot start: stop what listens there (is another npm start running?), or shift every port, e.g. PORTCULLIS_DEMO_PORT_BASE=1000 npm start`,
  );
}

mkdirSync(demoDir, { recursive: true, mode: 0o700 });
const logs = new DemoLogs(path.join(dataDir, 'logs'));

const children: ChildProcess[] = [];
let stopping = false;
/** Set once everything is up: from then on the control plane may go away without stopping the demo. */
let running = false;
const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;
function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (!exited(child)) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 5_000).unref();
  Promise.all(children.map((c) => (exited(c) ? null : new Promise((resolve) => c.once('exit', resolve))))).then(() => process.exit(code));
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
// A failed step of the start (an API call refused, a file missing) stops the parts already
// running instead of leaving them orphaned.
process.on('uncaughtException', (error) => {
  console.error(error.message.startsWith('demo: ') ? error.message : `demo: ${error.message}`);
  stopAll(1);
});

/**
 * Starts one part of the system, its output routed to `<data>/logs/<file>.log`. If a part dies
 * the demo stops, except the control plane once the demo runs: that is the point where static
 * stability can be seen, so the launcher explains it instead.
 */
function start(name: string, file: string, args: string[], env: Record<string, string>): ChildProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('PORTCULLIS_')));
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...inherited, PORTCULLIS_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  logs.follow(name, file, child.stdout!);
  logs.follow(name, file, child.stderr!);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (file === 'control-plane' && running) {
      console.error(`demo: the control plane exited (${how}; its log: ${rel(logs.path(file))}).
demo: the edge and the demo origin keep running: the edge serves its last-known-good configuration
demo: (static stability) and reports the control plane lost at http://127.0.0.1:${ports.edgeAdmin}/status.
demo: the curl commands above still work; API calls and configuration changes do not. Ctrl-C stops the rest.`);
      return;
    }
    console.error(`demo: ${name} exited (${how}); stopping everything (its log: ${rel(logs.path(file))})`);
    stopAll(1);
  });
  children.push(child);
  return child;
}

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 60_000; ;) {
    if (await probe().catch(() => false)) return;
    // A part died and stopAll is ending the process: wait for that rather than probe on.
    if (stopping) await new Promise(() => undefined);
    if (Date.now() > deadline) {
      console.error(`demo: ${what} did not come up within 60 s (logs in ${rel(logs.dir)}); stopping`);
      stopAll(1);
      await new Promise(() => undefined);
    }
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
function rel(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
}

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

/**
 * The demo site's id, looked up with the demo account's key (so older data directories work
 * too). A start with another PORTCULLIS_DEMO_PORT_BASE than the last one moves the site's origin
 * to this start's origin port.
 */
async function demoSiteId(apiKey: string): Promise<string> {
  const page = await call('GET', '/v1/sites?pageSize=100', apiKey);
  const site = (page['items'] as { id: string; name: string; originUrl: string }[]).find((item) => item.name === zone);
  if (!site) throw new Error(`demo: the demo account has no site ${zone}`);
  const originUrl = `http://127.0.0.1:${ports.origin}`;
  if (site.originUrl !== originUrl) await call('PATCH', `/v1/sites/${site.id}`, apiKey, { originUrl });
  return site.id;
}

/** The CLI's default profile path, as `portcullis` resolves it (PORTCULLIS_PROFILE, XDG_CONFIG_HOME, ~/.config). */
function defaultProfilePath(): string {
  if (process.env['PORTCULLIS_PROFILE']) return path.resolve(process.env['PORTCULLIS_PROFILE']);
  const configHome = process.env['XDG_CONFIG_HOME'] || path.join(process.env['HOME'] || os.homedir(), '.config');
  return path.join(configHome, 'portcullis', 'profile.json');
}

/** Writes a `portcullis` profile (`{ url, apiKey }`, mode 0600) atomically. */
function writeProfile(file: string, apiKey: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ url: api, apiKey }, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

/**
 * The demo account's profile: always `<data>/demo/profile.json`; also the default profile when
 * there is none or it points at this demo's URL (another control plane's profile is left as it
 * is). Returns the default path when it was written.
 */
function writeDemoProfiles(apiKey: string): string | undefined {
  writeProfile(demoFile('profile.json'), apiKey);
  const target = defaultProfilePath();
  let existingUrl: unknown;
  try {
    existingUrl = (JSON.parse(readFileSync(target, 'utf8')) as { url?: unknown }).url;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    existingUrl = api;
  }
  if (existingUrl !== api) return undefined;
  writeProfile(target, apiKey);
  return target;
}

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

step(
  `starting the control plane (HTTP ${ports.http}, gRPC ${ports.grpc}, discovery ${ports.discovery}) and the demo origin (${ports.origin})`,
);
const controlPlane = start('control plane', 'control-plane', ['apps/control-plane/src/main.ts'], {
  PORTCULLIS_DATA_DIR: path.join(dataDir, 'control-plane'),
  PORTCULLIS_HTTP_PORT: String(ports.http),
  PORTCULLIS_GRPC_PORT: String(ports.grpc),
  PORTCULLIS_DISCOVERY_PORT: String(ports.discovery),
});
start('demo origin', 'origin', ['apps/edge-node/src/main.ts', 'demo-origin'], { PORTCULLIS_DEMO_ORIGIN_PORT: String(ports.origin) });
await until('the control plane', async () => (await fetch(`${api}/readyz`)).ok);
step('control plane ready');
const adminToken = readFileSync(path.join(dataDir, 'control-plane', 'admin-token'), 'utf8').trim();

const edgeState = path.join(dataDir, 'edge');
const edgeEnv: Record<string, string> = {
  PORTCULLIS_NODE_ID: 'demo-edge',
  PORTCULLIS_CONTROL_PLANE_URL: api,
  PORTCULLIS_DISCOVERY_ADDRESS: `127.0.0.1:${ports.discovery}`,
  // The discovery certificate always names localhost; a name (not the IP) goes into SNI.
  PORTCULLIS_DISCOVERY_SERVER_NAME: 'localhost',
  PORTCULLIS_EDGE_HTTPS_PORT: String(ports.edge),
  PORTCULLIS_EDGE_ADMIN_PORT: String(ports.edgeAdmin),
  PORTCULLIS_STATE_DIR: edgeState,
};
if (!existsSync(path.join(edgeState, 'node-cert.pem'))) {
  step('creating a join token for the edge');
  const joinToken = await call('POST', '/v1/edge-join-tokens', adminToken, { name: 'demo edge', ttlSeconds: 600 });
  writeSecret('join-token', `${joinToken['token'] as string}\n`);
  Object.assign(edgeEnv, {
    PORTCULLIS_JOIN_TOKEN_FILE: demoFile('join-token'),
    PORTCULLIS_FLEET_CA_SHA256: joinToken['fleetCaFingerprintSha256'] as string,
  });
}
step(`starting the edge (TLS ${ports.edge}, admin ${ports.edgeAdmin})`);
start('edge', 'edge', ['apps/edge-node/src/main.ts'], edgeEnv);
if (!existsSync(demoFile('client.pem'))) {
  step(`configuring the demo site ${zone} through the API (first start)`);
  await configureDemoSite(adminToken);
}
const apiKey = readFileSync(demoFile('api-key'), 'utf8').trim();
const siteId = await demoSiteId(apiKey);
const profile = writeDemoProfiles(apiKey);
step('waiting for the edge to receive its configuration');
await until('the edge', async () => (await fetch(`http://127.0.0.1:${ports.edgeAdmin}/readyz`)).ok);
await until('the demo site at the edge', async () => (await demoSiteStatus()) === 200);
running = true;

const curl = `curl --resolve ${mtlsHost}:${ports.edge}:127.0.0.1 --cacert ${rel(demoFile('server-ca.pem'))}`;
const cli = profile ? 'npx portcullis' : `PORTCULLIS_PROFILE=${rel(demoFile('profile.json'))} npx portcullis`;
console.log(`
Portcullis is running (Ctrl-C stops it):
  control plane  ${api}  (API docs ${api}/docs; admin token in ${rel(path.join(dataDir, 'control-plane', 'admin-token'))},
                 demo account API key in ${rel(demoFile('api-key'))})
  console        ${api}/console/
  gRPC admin     127.0.0.1:${ports.grpc}   discovery (edges) 127.0.0.1:${ports.discovery}
  edge           https://127.0.0.1:${ports.edge}  (status http://127.0.0.1:${ports.edgeAdmin}/status)
  demo origin    http://127.0.0.1:${ports.origin}
  logs           ${rel(logs.dir)}/ (control-plane.log, edge.log, access.log, origin.log)

Try the demo site (api.${zone} needs a client certificate from the account CA):
  ${curl} --cert ${rel(demoFile('client.pem'))} --key ${rel(demoFile('client.key'))} https://${mtlsHost}:${ports.edge}/
  ${curl} https://${mtlsHost}:${ports.edge}/        # 403: no certificate

The command line, as the demo account (profile ${rel(profile ?? demoFile('profile.json'))}${profile ? '' : '; your default profile points elsewhere and was left alone'}):
  ${cli} certs list --site ${siteId}

Static stability: stop the control plane alone (kill ${controlPlane.pid}) and the edge keeps serving.
demo ready`);
