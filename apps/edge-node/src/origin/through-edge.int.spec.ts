import http from 'node:http';
import type net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorld, startTestEdge, waitFor, type TestWorld } from '../test/edge-harness.ts';
import { listening } from '../test/origin-servers.ts';
import { siteResource } from '../test/resources.ts';

/** The origin client as the edge's request path uses it: what a client and the origin see. */
describe('the origin client through a real edge', () => {
  let world: TestWorld;
  let edge: Awaited<ReturnType<typeof startTestEdge>>;
  const originSockets: net.Socket[] = [];
  let silentSeen: (() => void) | undefined;
  let requestClosed: (() => void) | undefined;
  let origin: Awaited<ReturnType<typeof listening<http.Server>>>;

  beforeAll(async () => {
    world = await createTestWorld();
    origin = await listening(
      http.createServer((req, res) => {
        if (req.url === '/silent') {
          req.on('close', () => requestClosed?.());
          return void silentSeen?.();
        }
        res.writeHead(200, [
          'set-cookie',
          'a=1',
          'set-cookie',
          'b=2',
          'x-request-id',
          'from-the-origin',
          'connection',
          'x-hop',
          'x-hop',
          'secret',
          'content-length',
          '2',
        ]);
        res.end('ok');
      }),
    );
    origin.server.on('connection', (socket: net.Socket) => originSockets.push(socket));
    edge = await startTestEdge(world.server, { originTimeouts: { connectMs: 1_000, idleMs: 60_000, poolIdleMs: 5_000 } });
    await world.server.push(siteResource('s1', 'example.com', origin.url));
  });
  afterAll(async () => {
    await edge?.stop();
    await origin?.close();
    await world?.remove();
  });

  const connect = async () => {
    const socket = tls.connect({ port: edge.edge.httpsPort, host: '127.0.0.1', servername: 'www.example.com', ca: world.pki.serverCaPem });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    return socket;
  };

  it('keeps every Set-Cookie, replaces the origin’s X-Request-Id, drops fields the origin’s Connection names, and reuses one origin connection', async () => {
    const socket = await connect();
    let text = '';
    socket.on('data', (data: Buffer) => (text += data.toString('latin1')));
    const before = originSockets.length;
    try {
      for (let i = 0; i < 3; i++) {
        text = '';
        socket.write('GET /cookies HTTP/1.1\r\nHost: www.example.com\r\n\r\n');
        await waitFor(() => text.endsWith('\r\n\r\nok'), 5_000);
        const head = text.slice(0, text.indexOf('\r\n\r\n')).toLowerCase().split('\r\n');
        expect(head.filter((line) => line.startsWith('set-cookie:'))).toEqual(['set-cookie: a=1', 'set-cookie: b=2']);
        expect(head.filter((line) => line.startsWith('x-request-id:'))).toHaveLength(1);
        expect(head.find((line) => line.startsWith('x-request-id:'))).toMatch(/^x-request-id: [0-9a-f-]{36}$/);
        expect(head.some((line) => line.startsWith('x-hop'))).toBe(false);
      }
      expect(originSockets.length - before).toBeLessThanOrEqual(1);
    } finally {
      socket.destroy();
    }
  });

  it('aborts the origin request when the client goes away before the response', async () => {
    const seen = new Promise<void>((resolve) => (silentSeen = resolve));
    const closed = new Promise<void>((resolve) => (requestClosed = resolve));
    const socket = await connect();
    socket.write('GET /silent HTTP/1.1\r\nHost: www.example.com\r\n\r\n');
    await seen;
    socket.destroy();
    // The origin's request closes: the edge destroyed its origin connection rather than wait for an answer (60 s idle timeout here).
    const bound = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000).unref());
    expect(await Promise.race([closed.then(() => true), bound])).toBe(true);
  });
});
