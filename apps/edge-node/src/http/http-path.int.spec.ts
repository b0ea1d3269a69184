import http from 'node:http';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorld, startTestEdge, waitFor, type TestWorld } from '../test/edge-harness.ts';
import { siteResource } from '../test/resources.ts';

/** What an origin got: method, target, headers and the whole body. */
interface Got {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * The lean HTTP/1.1 path through a real edge, with raw TLS clients and a Node origin that can
 * stream, send 1xx first, or answer before reading a body: framing both ways, pipelining in
 * order, 100-continue, HEAD, Connection: close, upgrades never made, strict parsing.
 */
describe('the lean HTTP/1.1 path', () => {
  let world: TestWorld;
  let edge: Awaited<ReturnType<typeof startTestEdge>>;
  let port: number;
  let origin: http.Server;
  const got: Got[] = [];

  beforeAll(async () => {
    world = await createTestWorld();
    origin = http.createServer((req, res) => {
      const entry: Got = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' };
      got.push(entry);
      if (req.url === '/early-hints') res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      if (req.url === '/refuse-body') {
        res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
        res.end('too big\n');
        return;
      }
      req.on('data', (chunk: Buffer) => (entry.body += chunk.toString('latin1')));
      req.on('end', () => {
        if (req.url === '/stream') {
          // No Content-Length: the edge frames it chunked for the client.
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          const piece = Buffer.alloc(64 * 1024, 'x');
          let left = 64;
          const pump = () => {
            while (left > 0) {
              left--;
              if (!res.write(piece)) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
          return;
        }
        const text = `${req.method} ${req.url} ${entry.body.length}\n`;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': text.length, 'x-request-id': 'origin-chosen' });
        res.end(req.method === 'HEAD' ? undefined : text);
      });
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(origin.address() as { port: number }).port}`;
    edge = await startTestEdge(world.server);
    port = edge.edge.httpsPort;
    await world.server.push(siteResource('s1', 'example.com', url, true));
    await waitFor(() => edge.edge.store.current?.route('www.example.com')?.origin.href === `${url}/`, 5_000);
  });
  afterAll(async () => {
    await edge?.stop();
    origin?.closeAllConnections();
    await new Promise((resolve) => origin?.close(resolve));
    await world?.remove();
  });

  /**
   * Writes `parts` (each after the previous got an answer byte, when `stepwise`) on one TLS
   * connection; resolves with all it got and whether the edge closed it within 5 s.
   */
  const exchange = (parts: string[], options: { stepwise?: boolean; readDelayMs?: number } = {}) =>
    new Promise<{ text: string; closed: boolean }>((resolve) => {
      const socket = tls.connect({ port, host: '127.0.0.1', servername: 'www.example.com', ca: world.pki.serverCaPem }, () => {
        socket.write(options.stepwise ? parts.shift()! : parts.splice(0).join(''));
      });
      let text = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ text, closed: false });
      }, 5_000);
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (options.stepwise && parts.length > 0) socket.write(parts.shift()!);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ text, closed: true });
      });
    });
  const statusesOf = (text: string) => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
  const host = 'Host: www.example.com\r\n';

  it('answers pipelined requests in order, bodies sized and chunked reaching the origin whole', async () => {
    const reply = await exchange([
      `GET /p/1 HTTP/1.1\r\n${host}\r\n`,
      `POST /p/2 HTTP/1.1\r\n${host}Content-Length: 5\r\n\r\nhello`,
      `PUT /p/3 HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n`,
      `GET /p/4 HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
    ]);
    expect(statusesOf(reply.text)).toEqual([200, 200, 200, 200]);
    expect([...reply.text.matchAll(/^(GET|POST|PUT) (\S+) (\d+)$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`)).toEqual([
      'GET /p/1 0',
      'POST /p/2 5',
      'PUT /p/3 7',
      'GET /p/4 0',
    ]);
    expect(reply.closed).toBe(true);
    expect(reply.text).toMatch(/connection: close\r\n\r\nGET \/p\/4 0\n$/);
    expect(reply.text.match(/connection: close/g)).toHaveLength(1);
    expect(got.filter((g) => g.url.startsWith('/p/')).map((g) => g.body)).toEqual(['', 'hello', 'abcdefg', '']);
    // The edge's request id replaces the origin's, and one id per request.
    const ids = [...reply.text.matchAll(/^x-request-id: (.+)\r$/gm)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(4);
    expect(ids).not.toContain('origin-chosen');
  });

  it('streams a large request body to the origin whole, sized and chunked', async () => {
    const body = 'y'.repeat(2 * 1024 * 1024);
    const sized = await exchange([`POST /large HTTP/1.1\r\n${host}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`]);
    expect(sized.text).toContain(`POST /large ${body.length}`);
    const chunks = Array.from({ length: 32 }, () => `10000\r\n${'z'.repeat(0x10000)}\r\n`).join('');
    const chunked = await exchange([
      `POST /large-chunked HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunks}0\r\n\r\n`,
    ]);
    expect(chunked.text).toContain(`POST /large-chunked ${32 * 0x10000}`);
  });

  it('sends 100 Continue when the origin asks for the body, and takes the body after it', async () => {
    const reply = await exchange(
      [`POST /continue HTTP/1.1\r\n${host}Content-Length: 4\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`, 'body'],
      {
        stepwise: true,
      },
    );
    expect(statusesOf(reply.text)).toEqual([100, 200]);
    expect(reply.text).toContain('POST /continue 4');
  });

  it('answers HEAD without a body, and passes no 1xx of the origin on', async () => {
    const head = await exchange([`HEAD /head HTTP/1.1\r\n${host}\r\nGET /early-hints HTTP/1.1\r\n${host}Connection: close\r\n\r\n`]);
    expect(statusesOf(head.text)).toEqual([200, 200]);
    expect(head.text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*?content-length: 13\r\n[^]*?\r\n\r\nHTTP\/1\.1 200/);
    expect(head.text.split('\r\n\r\n')[0]).not.toContain('connection: close');
    expect(head.text).toContain('GET /early-hints 0');
    expect(got.find((g) => g.url === '/head')?.method).toBe('HEAD');
  });

  it('streams a response without Content-Length to the client chunked, whole', async () => {
    const reply = await exchange([`GET /stream HTTP/1.1\r\n${host}Connection: close\r\n\r\n`]);
    expect(reply.text).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*transfer-encoding: chunked\r\n/);
    const body = reply.text.slice(reply.text.indexOf('\r\n\r\n') + 4);
    let bytes = 0;
    let at = 0;
    for (;;) {
      const end = body.indexOf('\r\n', at);
      const size = parseInt(body.slice(at, end), 16);
      if (size === 0) break;
      bytes += size;
      at = end + 2 + size + 2;
    }
    expect(bytes).toBe(64 * 64 * 1024);
  });

  it('closes after an origin answers before taking the body, so the rest is never read as a request', async () => {
    const reply = await exchange([
      `POST /refuse-body HTTP/1.1\r\n${host}Content-Length: 100000\r\n\r\n${'GET /smuggled HTTP/1.1\r\n\r\n'.repeat(10)}`,
    ]);
    expect(statusesOf(reply.text)).toEqual([413]);
    expect(reply.closed).toBe(true);
    expect(got.some((g) => g.url === '/smuggled')).toBe(false);
  });

  it('never upgrades: the request is answered as a plain one without its Upgrade, and the connection closed', async () => {
    const reply = await exchange([
      `GET /upgrade HTTP/1.1\r\n${host}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET /after HTTP/1.1\r\n${host}\r\n`,
    ]);
    expect(statusesOf(reply.text)).toEqual([200]);
    expect(reply.closed).toBe(true);
    const seen = got.find((g) => g.url === '/upgrade')!;
    expect(seen.headers.upgrade).toBeUndefined();
    expect(got.some((g) => g.url === '/after')).toBe(false);
  });

  it('refuses every ambiguous framing with 400 and closes, the origin seeing none', async () => {
    const refused = [
      `GET /bad HTTP/1.1\r\n${host}X-A: b\r\n  folded\r\n\r\n`,
      `GET /bad HTTP/1.1\n${host.replace('\r\n', '\n')}\n`,
      `GET /bad HTTP/1.1\r\n${host}X-A: b\x00c\r\n\r\n`,
      `GET /bad HTTP/1.1\r\n${host}X-A: b\rc\r\n\r\n`,
      `POST /bad HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`,
      `POST /bad HTTP/1.1\r\n${host}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST /bad HTTP/1.1\r\n${host}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc`,
    ];
    for (const request of refused) {
      const reply = await exchange([request]);
      expect(statusesOf(reply.text), JSON.stringify(request)).toEqual([400]);
      expect(reply.text).toMatch(/x-request-id: \S+/);
      expect(reply.closed).toBe(true);
    }
    const big = await exchange([`GET /bad HTTP/1.1\r\n${host}X-Big: ${'b'.repeat(40 * 1024)}\r\n\r\n`]);
    expect(statusesOf(big.text)).toEqual([431]);
    expect(got.some((g) => g.url === '/bad')).toBe(false);
  });

  it('answers after a bad pipelined head only the requests before it, never inside a response', async () => {
    const reply = await exchange([`GET /first HTTP/1.1\r\n${host}\r\nGET /second HTTP/1.1\r\n${host}X: a\x00\r\n\r\n`]);
    expect(statusesOf(reply.text)[0]).toBe(200);
    expect(reply.text).toContain('GET /first 0');
    expect(reply.closed).toBe(true);
    expect(got.some((g) => g.url === '/second')).toBe(false);
  });
});
