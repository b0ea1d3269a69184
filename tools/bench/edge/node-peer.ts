import { spawn } from 'node:child_process';
import path from 'node:path';
import type { BenchCertificates } from './fixtures.ts';
import { stopChild, waitForLine, withFileLimit, type ServerUnderTest } from './peers.ts';

/**
 * A plain Node 24 `https` server with `requestCert` (node-https-server.ts), answering itself
 * or (given `originPort`) proxying with nothing else: the ceilings for any edge written on Node.
 * One process, so one core only.
 */
export async function startNodeHttps(port: number, certs: BenchCertificates, originPort?: number): Promise<ServerUnderTest> {
  const args = [path.join(import.meta.dirname, 'node-https-server.ts'), String(port), certs.serverCert, certs.serverKey, certs.clientCa];
  const [shell, flag, script] = withFileLimit;
  const child = spawn(shell, [flag, script, process.execPath, ...args, ...(originPort === undefined ? [] : [String(originPort)])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await waitForLine(child, 'listening');
  return {
    name: `Node ${process.versions.node} https (${originPort === undefined ? 'answers itself' : 'bare proxy'})`,
    port,
    pids: [child.pid!],
    stop: () => stopChild(child),
  };
}
