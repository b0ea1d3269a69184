import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchCertificates } from './fixtures.ts';
import type { PeerOptions, ServerUnderTest } from './peers.ts';
import { childPids, until } from './process-cpu.ts';

/** How to run one nginx build: the command line before nginx's own arguments. */
export interface NginxBuild {
  readonly command: readonly string[];
}

/** Debian 12's nginx, installed on this machine. */
export const debian12Nginx: NginxBuild = { command: ['nginx'] };

/** Debian 13's nginx from a debootstrap root (trixie-root.ts), run through that root's loader. */
export function rootNginx(root: string): NginxBuild {
  const libraries = [path.join(root, 'usr/lib/x86_64-linux-gnu'), path.join(root, 'lib/x86_64-linux-gnu')].join(':');
  return { command: [path.join(root, 'lib64/ld-linux-x86-64.so.2'), '--library-path', libraries, path.join(root, 'usr/sbin/nginx')] };
}

/**
 * nginx with `cores` workers, TLS 1.3 on the P-256 certificate, `ssl_verify_client optional`
 * against the client CA, session tickets on (its default), refusing an unverified client with
 * 403 (the decision the edge's WAF rule makes) and proxying to the origin over pooled
 * keep-alive connections, streaming large bodies without temporary files.
 */
export async function startNginx(build: NginxBuild, options: PeerOptions, certs: BenchCertificates): Promise<ServerUnderTest> {
  const { dir, port, hostname, origin, cores } = options;
  const conf = path.join(dir, `nginx-${port}.conf`);
  const pidFile = path.join(dir, `nginx-${port}.pid`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${dir};`).join(' ');
  writeFileSync(
    conf,
    `worker_processes ${cores};
worker_rlimit_nofile 20000;
pid ${pidFile};
error_log ${dir}/nginx-error.log;
events { worker_connections 20000; }
http {
  access_log off; ${temp}
  upstream origin { server ${new URL(origin).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} ssl;
    server_name ${hostname};
    ssl_protocols TLSv1.3;
    ssl_certificate ${certs.serverCert}; ssl_certificate_key ${certs.serverKey};
    ssl_client_certificate ${certs.clientCa}; ssl_verify_client optional;
    keepalive_requests 100000; keepalive_timeout 120s;
    location / {
      if ($ssl_client_verify != SUCCESS) { return 403; }
      proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_max_temp_file_size 0;
    }
  }
}
`,
  );
  const [command, ...prefix] = build.command;
  const nginx = (...args: string[]) => execFileSync(command!, [...prefix, ...args], { encoding: 'utf8', stdio: 'pipe' });
  nginx('-e', path.join(dir, 'nginx-error.log'), '-c', conf, '-g', 'daemon on;');
  let workers: number[] = [];
  await until('nginx workers', () => {
    if (!existsSync(pidFile)) return false;
    workers = childPids(Number(readFileSync(pidFile, 'utf8').trim()));
    return workers.length === cores;
  });
  const master = Number(readFileSync(pidFile, 'utf8').trim());
  return {
    name: `nginx ${nginxVersion(build)}`,
    port,
    pids: workers,
    async stop() {
      nginx('-e', path.join(dir, 'nginx-error.log'), '-c', conf, '-s', 'stop');
      await until('nginx exit', () => !existsSync(`/proc/${master}`));
    },
  };
}

/** The version an nginx build reports (`nginx -v` writes it on stderr). */
export function nginxVersion(build: NginxBuild): string {
  const [command, ...prefix] = build.command;
  const out = spawnSync(command!, [...prefix, '-v'], { encoding: 'utf8' }).stderr ?? '';
  return /nginx\/(\S+)/.exec(out)?.[1] ?? 'unknown';
}
