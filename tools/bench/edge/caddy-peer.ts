import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchCertificates } from './fixtures.ts';
import { stopChild, waitForPort, type PeerOptions, type ServerUnderTest } from './peers.ts';

/**
 * Caddy (Debian 12's package, its service stopped) with GOMAXPROCS = `cores`, admin API and
 * automatic HTTPS off: TLS 1.3 on the P-256 certificate, client certificates verified if given
 * against the client CA, 403 for a client without one, reverse proxy to the origin (Go's
 * keep-alive transport).
 */
export async function startCaddy(options: PeerOptions, certs: BenchCertificates): Promise<ServerUnderTest> {
  const { dir, port, hostname, origin, cores } = options;
  const conf = path.join(dir, `Caddyfile-${port}`);
  writeFileSync(
    conf,
    `{
  admin off
  auto_https off
}
https://${hostname}:${port} {
  bind 127.0.0.1
  tls ${certs.serverCert} ${certs.serverKey} {
    protocols tls1.3
    client_auth {
      mode verify_if_given
      trusted_ca_cert_file ${certs.clientCa}
    }
  }
  @unverified not vars_regexp {http.request.tls.client.fingerprint} ^[0-9a-f]{64}$
  respond @unverified 403
  reverse_proxy ${new URL(origin).host}
}
`,
  );
  const child = spawn('caddy', ['run', '--adapter', 'caddyfile', '--config', conf], {
    env: { ...process.env, GOMAXPROCS: String(cores), HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  await waitForPort(port).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}; caddy said: ${log}`);
  });
  const version = /v?(\d+\.\d+\.\d+)/.exec(spawnSync('caddy', ['version'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown';
  return { name: `Caddy ${version}`, port, pids: [child.pid!], stop: () => stopChild(child) };
}
