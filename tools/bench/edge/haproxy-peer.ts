import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchCertificates } from './fixtures.ts';
import { stopChild, waitForPort, type PeerOptions, type ServerUnderTest } from './peers.ts';

/**
 * HAProxy (Debian 12's package, its service stopped) in the foreground with `nbthread` =
 * `cores`: TLS 1.3 on the P-256 certificate, `verify optional` against the client CA, 403 for
 * a client without a verified certificate, proxying to the origin with connection reuse.
 */
export async function startHaproxy(options: PeerOptions, certs: BenchCertificates): Promise<ServerUnderTest> {
  const { dir, port, origin, cores } = options;
  const pem = path.join(dir, 'haproxy.pem');
  writeFileSync(pem, readFileSync(certs.serverCert, 'utf8') + readFileSync(certs.serverKey, 'utf8'));
  const conf = path.join(dir, `haproxy-${port}.cfg`);
  writeFileSync(
    conf,
    `global
  nbthread ${cores}
  # Room for the 10,000 idle connections: it wants 2 descriptors per connection, more than
  # this machine's limit allows, but idle client connections share pooled origin connections.
  maxconn 12000
  no strict-limits
defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 120s
  timeout http-keep-alive 120s
  http-reuse always
frontend bench
  bind 127.0.0.1:${port} ssl crt ${pem} ca-file ${certs.clientCa} verify optional ssl-min-ver TLSv1.3
  http-request deny deny_status 403 unless { ssl_c_used } { ssl_c_verify 0 }
  default_backend origin
backend origin
  server origin ${new URL(origin).host}
`,
  );
  const child = spawn('haproxy', ['-db', '-f', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  await waitForPort(port).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}; haproxy said: ${log}`);
  });
  const version = /HAProxy version (\S+)/.exec(spawnSync('haproxy', ['-v'], { encoding: 'utf8' }).stdout)?.[1] ?? 'unknown';
  return { name: `HAProxy ${version.split('-')[0]}`, port, pids: [child.pid!], stop: () => stopChild(child) };
}
