import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Ports handed out lie below the kernel's ephemeral range (where outgoing connections get
 * their local ports), so a server that a test stops and starts again on the same port (a
 * Redis restart, a replica brought back) cannot find it taken by some client socket in the
 * meantime, as it could with a port the kernel picked.
 */
const range = (() => {
  let ephemeralLow = 32_768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    // Not Linux: keep the IANA ephemeral range's lower bound.
  }
  const high = Math.min(ephemeralLow, 65_536) - 1;
  return { low: Math.max(1_024, high - 12_000), high };
})();

const attempts = 100;

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, outside the ephemeral range. Another
 * process may take it before the caller binds it; callers that start a server on it should
 * fail loudly if that happens.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = range.low + Math.floor(Math.random() * (range.high - range.low + 1));
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port found in ${range.low}–${range.high} after ${attempts} tries`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
