import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultServingLimits } from './http/serving-limits.ts';
import { createTestWorld, curl, sClient, startTestEdge, type TestWorld } from './test/edge-harness.ts';

/**
 * What the edge refuses in a request head, and what it never lets through to the origin, with
 * real clients (curl, openssl, raw TLS sockets) and the recording test origin: look-alikes of
 * the edge's own headers, a second Host, heads the edge cannot read one way only, pipelined
 * floods, renegotiation.
 */
describe('request heads the edge refuses or cleans', () => {
  let world: TestWorld;
  let edge: Awaited<ReturnType<typeof startTestEdge>>;
  let port: number;

  beforeAll(async () => {
    world = await createTestWorld();
    edge = await startTestEdge(world.server);
    port = edge.edge.httpsPort;
  });
  afterAll(async () => {
    await edge?.stop();
    await world?.remove();
  });

  /** Writes `head` on a new TLS connection for `servername`; resolves with all it got back and whether the edge closed it within 5 s. */
  const exchange = (head: string, servername = 'www.example.com') =>
    new Promise<{ text: string; closed: boolean }>((resolve) => {
      const socket = tls.connect({ port, host: '127.0.0.1', servername, ca: world.pki.serverCaPem }, () => socket.write(head));
      let text = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ text, closed: false });
      }, 5_000);
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ text, closed: true });
      });
    });
  const statusesOf = (text: string) => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
  const originSaw = (path: string) => world.origin.seen.filter((r) => r.url.startsWith(path)).length;

  it('lets no spelling of a header the edge sets reach the origin, with a certificate or without', async () => {
    const plain = await curl(port, 'www.example.com', '/names', { cacert: world.pki.serverCaFile });
    expect(plain.status).toBe(200);
    const withCert = await curl(port, 'api.example.com', '/names', { cacert: world.pki.serverCaFile, cert: world.alice });
    expect(withCert.status).toBe(200);
    const added = (headers: Record<string, unknown>) =>
      Object.keys(headers).filter((n) => /^(x-client-cert-|client-cert|x-forwarded-|x-request-id)/.test(n));
    const edgeSet = new Set([
      ...added(world.origin.seen.at(-2)!.headers),
      ...added(world.origin.seen.at(-1)!.headers),
      'client-cert-chain',
      'forwarded',
      'x-forwarded-port',
      'x-client-cert-chain',
    ]);
    expect([...edgeSet]).toEqual(
      expect.arrayContaining(['x-client-cert-verified', 'x-client-cert-serial', 'client-cert', 'x-forwarded-for', 'x-request-id']),
    );
    const title = (name: string) => name.replace(/(^|[-_])([a-z])/g, (_, sep: string, ch: string) => sep + ch.toUpperCase());
    const spellings = new Set<string>();
    for (const name of edgeSet) {
      spellings.add(name.replaceAll('-', '_').toUpperCase());
      spellings.add(title(name));
      const dashes = [...name.matchAll(/-/g)].map((m) => m.index);
      for (const at of dashes) spellings.add(title(`${name.slice(0, at)}_${name.slice(at + 1)}`));
    }
    const args = [...spellings].flatMap((spelling) => ['-H', `${spelling}: SPOOFED`]);
    for (const [host, cert] of [
      ['www.example.com', undefined],
      ['api.example.com', world.alice],
    ] as const) {
      const result = await curl(port, host, '/look-alikes', { cacert: world.pki.serverCaFile, ...(cert ? { cert } : {}), args });
      expect(result.status).toBe(200);
      const seen = world.origin.seen.at(-1)!;
      expect(seen.url).toBe('/look-alikes');
      expect(Object.entries(seen.headers).filter(([, value]) => String(value).includes('SPOOFED'))).toEqual([]);
      expect(seen.headers['x-client-cert-verified']).toBe(cert ? 'SUCCESS' : 'NONE');
      expect(seen.headers['x-request-id']).toBe(result.headers['x-request-id']);
    }
    expect(spellings.size).toBeGreaterThan(30);
  });

  it('answers 400 to two Host headers, whatever their case or values, and never proxies them', async () => {
    for (const hosts of ['Host: www.example.com\r\nHost: other.example.com', 'Host: www.example.com\r\nhost: www.example.com']) {
      const reply = await exchange(`GET /two-hosts HTTP/1.1\r\n${hosts}\r\n\r\n`);
      expect(statusesOf(reply.text)).toEqual([400]);
      expect(reply.text).toContain('one Host header only');
      expect(reply.closed).toBe(true);
    }
    expect(originSaw('/two-hosts')).toBe(0);
  });

  it('refuses other heads that two parsers could read two ways, and proxies none of them', async () => {
    const refused = [
      'GET https://other.example.com/bad HTTP/1.1\r\nHost: www.example.com\r\n\r\n',
      'GET /bad HTTP/1.1\r\nHost: user@www.example.com\r\n\r\n',
      'GET /bad HTTP/1.1\r\nHost: www.example.com/path\r\n\r\n',
      'POST /bad HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /bad HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    ];
    for (const head of refused) {
      const reply = await exchange(head);
      expect(statusesOf(reply.text), head).toEqual([400]);
      expect(reply.closed, head).toBe(true);
    }
    expect(originSaw('/bad')).toBe(0);
  });

  it('answers 431 to more than 100 header fields, rather than reading part of them', async () => {
    const fields = (count: number) => Array.from({ length: count - 1 }, (_, i) => `X-Field-${i}: ${i}\r\n`).join('');
    const atLimit = await exchange(`GET /fields HTTP/1.1\r\nHost: www.example.com\r\n${fields(99)}Connection: close\r\n\r\n`);
    expect(statusesOf(atLimit.text)).toEqual([200]);
    const over = await exchange(`GET /fields-over HTTP/1.1\r\nHost: www.example.com\r\n${fields(101)}\r\n`);
    expect(statusesOf(over.text)).toEqual([431]);
    expect(over.closed).toBe(true);
    expect(originSaw('/fields-over')).toBe(0);
  });

  it('closes a connection that pipelines more requests than it may have in progress', async () => {
    const limit = defaultServingLimits.maxPipelined;
    const flood = Array.from({ length: 3 * limit }, (_, i) => `GET /pipelined/${i} HTTP/1.1\r\nHost: www.example.com\r\n\r\n`).join('');
    const reply = await exchange(flood);
    expect(reply.closed).toBe(true);
    expect(statusesOf(reply.text).length).toBeLessThanOrEqual(limit);
    expect(originSaw('/pipelined/')).toBeLessThanOrEqual(limit);
    // Up to the limit at once is served.
    const atLimit = Array.from({ length: limit - 1 }, (_, i) => `GET /at-limit/${i} HTTP/1.1\r\nHost: www.example.com\r\n\r\n`).join('');
    const served = await exchange(`${atLimit}GET /at-limit/last HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n\r\n`);
    expect(statusesOf(served.text)).toEqual(Array.from({ length: limit }, () => 200));
  });

  it('refuses TLS renegotiation', async () => {
    // s_client renegotiates on an "R" line, then sends the request on the same connection.
    const output = await sClient(
      port,
      ['-servername', 'www.example.com', '-tls1_2', '-CAfile', world.pki.serverCaFile],
      'R\nGET /after-renegotiation HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\n\r\n',
      1_500,
    );
    expect(output).toContain('RENEGOTIATING');
    expect(output).toMatch(/no renegotiation/i);
    expect(output).not.toContain('HTTP/1.1 200');
    expect(originSaw('/after-renegotiation')).toBe(0);
  });
});
