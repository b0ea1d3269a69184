import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from './free-port.ts';

describe('freePort', () => {
  it('hands out bindable loopback ports below the ephemeral range, so no client socket takes one during a restart', async () => {
    const ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeLessThan(ephemeralLow);
      expect(port).toBeGreaterThanOrEqual(1_024);
    }
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', resolve));
    server.close();
  });

  it('skips a port that is taken', async () => {
    const taken = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const server = net.createServer();
        const port = await freePort();
        await new Promise<void>((resolve) => server.once('error', () => resolve()).listen(port, '127.0.0.1', resolve));
        return { server, port };
      }),
    );
    const inUse = new Set(taken.filter((t) => t.server.listening).map((t) => t.port));
    for (let i = 0; i < 50; i++) expect(inUse.has(await freePort())).toBe(false);
    for (const { server } of taken) server.close();
  });
});
