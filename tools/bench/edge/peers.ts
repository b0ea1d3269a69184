import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
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
 * against the client CA, session tickets on (its default), refusing an unverified client with
 * 403 (the decision the edge's WAF rule makes) and either answering 200 "ok" itself or, with
 * `origin`, proxying to it over pooled keep-alive connections as the edge does.
 */
export async function startNginx(
  dir: string,
  port: number,
  hostname: string,
  certs: BenchCertificates,
  origin?: string,
): Promise<ServerUnderTest> {
  const conf = path.join(dir, `nginx-${port}.conf`);
  const upstream = origin ? `upstream origin { server ${new URL(origin).host}; keepalive 64; }` : '';
  const answer = origin ? 'proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection "";' : 'return 200 "ok\\n";';
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir};`).join(' ');
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${dir}/nginx-${port}.pid;
error_log ${dir}/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off; ${temp}
  ${upstream}
  server {
    listen 127.0.0.1:${port} ssl;
    server_name ${hostname};
    ssl_protocols TLSv1.3;
    ssl_certificate ${certs.serverCert}; ssl_certificate_key ${certs.serverKey};
    ssl_client_certificate ${certs.clientCa}; ssl_verify_client optional;
    keepalive_requests 100000;
    location / { if ($ssl_client_verify != SUCCESS) { return 403; } ${answer} }
  }
}
`,
  );
  execFileSync('nginx', ['-c', conf, '-g', 'daemon on;'], { stdio: 'pipe' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const master = Number(readFileSync(path.join(dir, `nginx-${port}.pid`), 'utf8').trim());
  const workers = execFileSync('pgrep', ['-P', String(master)], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map(Number);
  // nginx prints its version on stderr.
  const version = spawnSync('nginx', ['-v'], { encoding: 'utf8' }).stderr;
  return {
    name: `nginx ${/nginx\/(\S+)/.exec(version)?.[1] ?? ''} (${origin ? 'proxy to origin' : 'answers itself'})`,
    port,
    pids: workers,
    async stop() {
      execFileSync('nginx', ['-c', conf, '-s', 'stop'], { stdio: 'ignore' });
      await new Promise((resolve) => setTimeout(resolve, 300));
    },
  };
}

/**
 * A plain Node 24 `https` server with `requestCert`, answering itself or (given `originPort`)
 * proxying with nothing else: the ceilings for any edge written on Node.
 */
export async function startNodeHttps(port: number, certs: BenchCertificates, originPort?: number): Promise<ServerUnderTest> {
  const args = [path.join(import.meta.dirname, 'node-https-server.ts'), String(port), certs.serverCert, certs.serverKey, certs.clientCa];
  const child = spawn(process.execPath, originPort === undefined ? args : [...args, String(originPort)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitForLine(child, 'listening');
  return {
    name: `Node ${process.versions.node} https (${originPort === undefined ? 'answers itself' : 'bare proxy to origin'})`,
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
