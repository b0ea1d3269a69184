import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchCertificates } from './fixtures.ts';

/** A server under test: where it listens and which processes do its work. */
export interface ServerUnderTest {
  readonly name: string;
  readonly port: number;
  /** The processes whose CPU counts as the server's (nginx: its worker). */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

/**
 * nginx with one worker, TLS 1.3 on the same P-256 certificate, `ssl_verify_client optional`
 * against the client CA, session tickets on (its default), answering 200 "ok" to a verified
 * client and 403 otherwise: the same decision the edge's WAF rule makes.
 */
export async function startNginx(dir: string, port: number, hostname: string, certs: BenchCertificates): Promise<ServerUnderTest> {
  const conf = path.join(dir, 'nginx.conf');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir};`).join(' ');
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off; ${temp}
  server {
    listen 127.0.0.1:${port} ssl;
    server_name ${hostname};
    ssl_protocols TLSv1.3;
    ssl_certificate ${certs.serverCert}; ssl_certificate_key ${certs.serverKey};
    ssl_client_certificate ${certs.clientCa}; ssl_verify_client optional;
    keepalive_requests 100000;
    location / { if ($ssl_client_verify != SUCCESS) { return 403; } return 200 "ok\\n"; }
  }
}
`,
  );
  execFileSync('nginx', ['-c', conf, '-g', 'daemon on;'], { stdio: 'pipe' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const master = Number(readFileSync(path.join(dir, 'nginx.pid'), 'utf8').trim());
  const workers = execFileSync('pgrep', ['-P', String(master)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map(Number);
  const version = execFileSync('nginx', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return {
    name: `nginx ${/nginx\/(\S+)/.exec(version)?.[1] ?? ''}`.trim(),
    port,
    pids: workers,
    async stop() {
      execFileSync('nginx', ['-c', conf, '-s', 'stop'], { stdio: 'ignore' });
      await new Promise((resolve) => setTimeout(resolve, 300));
    },
  };
}

/** A plain Node 24 `https` server with `requestCert`: the ceiling for any edge written on Node. */
export async function startNodeHttps(port: number, certs: BenchCertificates): Promise<ServerUnderTest> {
  const child = spawn(
    process.execPath,
    [path.join(import.meta.dirname, 'node-https-server.ts'), String(port), certs.serverCert, certs.serverKey, certs.clientCa],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await waitForLine(child, 'listening');
  return {
    name: `Node ${process.versions.node} https`,
    port,
    pids: [child.pid!],
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Resolves when the child prints `text` on stdout; rejects if it exits first. */
export function waitForLine(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before "${text}": ${seen}`)));
  });
}
