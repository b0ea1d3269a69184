import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '@portcullis/testing';

/**
 * The real nginx as an origin on 127.0.0.1: it answers every request with a line showing the
 * certificate and forwarding headers it received, so tests see what an unmodified origin sees.
 */
export async function startNginxOrigin(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const root = path.join(dir, 'nginx');
  mkdirSync(root, { recursive: true });
  const conf = path.join(root, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
worker_processes 1;
pid ${root}/nginx.pid;
error_log ${root}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${root}/body;
  proxy_temp_path ${root}/proxy;
  fastcgi_temp_path ${root}/fastcgi;
  uwsgi_temp_path ${root}/uwsgi;
  scgi_temp_path ${root}/scgi;
  server {
    listen 127.0.0.1:${port};
    location / {
      default_type text/plain;
      return 200 "nginx host=$host verified=$http_x_client_cert_verified serial=$http_x_client_cert_serial proto=$http_x_forwarded_proto cert=$http_client_cert\\n";
    }
  }
}
`,
  );
  const child: ChildProcess = spawn('nginx', ['-p', root, '-c', conf, '-e', path.join(root, 'error.log')], { stdio: 'ignore' });
  const deadline = Date.now() + 5_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}; see ${root}/error.log`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('nginx did not start listening within 5 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
