import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../test/edge-harness.ts';
import { startNginxOrigin } from '../test/nginx-origin.ts';
import { chunksBody, collect, listening, rawOrigin } from '../test/origin-servers.ts';
import { createTestPki, type TestPki } from '../test/test-pki.ts';
import type { BodyTarget, OriginClient } from './origin-contract.ts';
import { OriginError } from './origin-error.ts';
import { createOriginClient } from './origin-client.ts';

const timeouts = { connectMs: 1_000, idleMs: 400, poolIdleMs: 5_000 };

/** A Node origin answering `<method> <url> <body>` and counting the connections it accepted. */
async function nodeOrigin(handler?: http.RequestListener) {
  const connections: net.Socket[] = [];
  const bodies: string[] = [];
  const server = http.createServer(
    handler ??
      ((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          bodies.push(body);
          res.end(`${req.method} ${req.url} ${body}`);
        });
      }),
  );
  server.on('connection', (socket: net.Socket) => connections.push(socket));
  return { ...(await listening(server)), connections, bodies };
}

describe('origin client against real origins', () => {
  let client: OriginClient;
  const closers: Array<() => Promise<void>> = [];
  const track = <T extends { close(): Promise<void> }>(origin: T): T => {
    closers.push(() => origin.close());
    return origin;
  };

  beforeAll(() => {
    client = createOriginClient({ timeouts });
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  afterAll(() => client.close());

  it('reuses one pooled connection for sequential requests, and writes the head as given', async () => {
    const origin = track(await nodeOrigin());
    for (let i = 0; i < 20; i++) {
      const result = await collect(client, origin.url, { path: `/n/${i}?q=1`, headers: ['x-test', 'yes', 'host', 'site.example'] });
      expect(result).toMatchObject({ status: 200, error: undefined });
      expect(result.body.toString()).toBe(`GET /n/${i}?q=1 `);
    }
    expect(origin.connections).toHaveLength(1);
    expect(client.connections().get(origin.url)).toEqual({ busy: 0, idle: 1, opened: 1 });
  });

  it('answers the origin URL’s path before the request path, and a Host of its own when none is given', async () => {
    const origin = track(await rawOrigin((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n')));
    await collect(client, `${origin.url}/base/`, { path: '/x' });
    expect(origin.heads[0]).toBe(`GET /base/x HTTP/1.1\r\nhost: ${new URL(origin.url).host}\r\n\r\n`);
  });

  it('sends an idempotent request again, once, on a fresh connection when the pooled one proves stale', async () => {
    // The first connection answers its first request, then drops the next one unanswered (as an
    // origin closing an idle connection just as the edge reuses it).
    const origin = track(
      await rawOrigin((socket, connection, request) => {
        if (connection === 0 && request === 1) return void socket.destroy();
        socket.write(`HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nconn ${connection}`);
      }),
    );
    expect((await collect(client, origin.url, { path: '/a' })).body.toString()).toBe('conn 0');
    const retried = await collect(client, origin.url, { method: 'DELETE', path: '/b' });
    expect(retried).toMatchObject({ status: 200, error: undefined });
    expect(retried.body.toString()).toBe('conn 1');
    expect(origin.heads.map((head) => head.split('\r\n')[0])).toEqual(['GET /a HTTP/1.1', 'DELETE /b HTTP/1.1', 'DELETE /b HTTP/1.1']);
    expect(origin.sockets).toHaveLength(2);
  });

  it('drops a pooled connection the origin closed while idle, and one whose response said Connection: close', async () => {
    const origin = track(await nodeOrigin());
    origin.server.keepAliveTimeout = 50;
    expect((await collect(client, origin.url, {})).status).toBe(200);
    await waitFor(() => client.connections().get(origin.url)!.idle === 0, 2_000);
    expect((await collect(client, origin.url, {})).status).toBe(200);
    expect(client.connections().get(origin.url)).toMatchObject({ opened: 2 });

    const closing = track(await rawOrigin((socket) => socket.write('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok')));
    expect((await collect(client, closing.url, {})).body.toString()).toBe('ok');
    expect((await collect(client, closing.url, {})).body.toString()).toBe('ok');
    expect(closing.sockets).toHaveLength(2);
    expect(client.connections().get(closing.url)).toMatchObject({ idle: 0, opened: 2 });
  });

  it('sends it again only once: a retry that fails too is a 502', async () => {
    const origin = track(
      await rawOrigin((socket, connection, request) => {
        if (connection === 0 && request === 0) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
        else socket.destroy();
      }),
    );
    expect((await collect(client, origin.url, {})).status).toBe(200);
    const failed = await collect(client, origin.url, { path: '/twice' });
    expect(failed.error).toMatchObject({ code: 'reset', status: 502 });
    expect(origin.heads.filter((head) => head.startsWith('GET /twice'))).toHaveLength(2);
    expect(origin.sockets).toHaveLength(2);
  });

  it('does not send a POST again: the stale connection is a 502', async () => {
    const origin = track(
      await rawOrigin((socket, connection, request) => {
        if (connection === 0 && request === 1) return void socket.destroy();
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }),
    );
    expect((await collect(client, origin.url, {})).status).toBe(200);
    const post = await collect(client, origin.url, { method: 'POST', path: '/pay' });
    expect(post.status).toBeUndefined();
    expect(post.error).toMatchObject({ code: 'reset', status: 502 });
    expect(origin.heads.filter((head) => head.startsWith('POST'))).toHaveLength(1);
    expect(origin.sockets).toHaveLength(1);
  });

  it('does not retry on a fresh connection: a reset before any response is a 502', async () => {
    const origin = track(await rawOrigin((socket) => socket.resetAndDestroy()));
    const result = await collect(client, origin.url, {});
    expect(result.error).toMatchObject({ code: 'reset', status: 502 });
    expect(origin.heads).toHaveLength(1);
  });

  it.each([
    ['garbage', 'HELLO\r\n\r\n'],
    [
      'Content-Length with Transfer-Encoding',
      'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    ],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'],
    ['a bare LF in the head', 'HTTP/1.1 200 OK\nx-a: 1\r\ncontent-length: 0\r\n\r\n'],
    ['a header with a space before its colon', 'HTTP/1.1 200 OK\r\nx-a : 1\r\ncontent-length: 0\r\n\r\n'],
  ])('answers 502 to a response with %s, before any head reaches the sink', async (_what, response) => {
    const origin = track(await rawOrigin((socket) => socket.write(response)));
    const result = await collect(client, origin.url, {});
    expect(result.status).toBeUndefined();
    expect(result.error).toMatchObject({ code: 'bad-response', status: 502 });
    expect(client.connections().get(origin.url)).toMatchObject({ busy: 0, idle: 0 });
  });

  it('cuts a response whose chunked body turns bad after its head was delivered, and drops the connection', async () => {
    let originSocket!: net.Socket;
    const origin = track(
      await rawOrigin((socket) => {
        originSocket = socket;
        socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n');
      }),
    );
    const seen: string[] = [];
    const error = await new Promise<OriginError>((resolve) => {
      client.request(new URL(origin.url), { method: 'GET', path: '/', headers: [] }, null, {
        onHead: (status) => void seen.push(`head ${status}`),
        onData(chunk) {
          seen.push(chunk.toString());
          // The bad chunk comes only once the good one was delivered.
          originSocket.write('zz\r\n');
          return true;
        },
        onEnd: () => seen.push('end'),
        onError: resolve,
      });
    });
    expect(seen).toEqual(['head 200', 'abc']);
    expect(error).toMatchObject({ code: 'bad-response' });
    expect(client.connections().get(origin.url)).toMatchObject({ busy: 0, idle: 0 });
  });

  it('answers 504 when the origin accepts and says nothing within the idle timeout', async () => {
    const origin = track(await rawOrigin(() => undefined));
    const asked = performance.now();
    const result = await collect(client, origin.url, {});
    const waited = performance.now() - asked;
    expect(result.error).toMatchObject({ code: 'timeout', status: 504 });
    expect(waited).toBeGreaterThanOrEqual(timeouts.idleMs - 5);
    expect(waited).toBeLessThan(timeouts.idleMs + 1_000);
  });

  it('answers 504 when no connection comes free within the connect timeout (pool at its bound)', async () => {
    const small = createOriginClient({ timeouts: { ...timeouts, idleMs: 5_000 }, limits: { maxConnections: 1, maxIdle: 1 } });
    const origin = track(await rawOrigin(() => undefined));
    try {
      const held = collect(small, origin.url, { path: '/held' });
      const waiting = await collect(small, origin.url, { path: '/waiting' });
      expect(waiting.error).toMatchObject({ code: 'connect-timeout', status: 504 });
      expect(origin.heads.map((head) => head.split(' ')[1])).toEqual(['/held']);
      small.close();
      expect((await held).error).toMatchObject({ code: 'reset' });
    } finally {
      small.close();
    }
  });

  it('answers 502 with the system error when the origin refuses connections', async () => {
    const origin = await rawOrigin(() => undefined);
    await origin.close();
    const result = await collect(client, origin.url, {});
    expect(result.error).toMatchObject({ code: 'unreachable', status: 502, reason: 'ECONNREFUSED' });
  });

  it('destroys the origin connection when the exchange is aborted (the client went away)', async () => {
    let originClosed!: (finished: boolean) => void;
    const closed = new Promise<boolean>((resolve) => (originClosed = resolve));
    const origin = track(
      await nodeOrigin((_req, res) => {
        res.on('close', () => originClosed(res.writableFinished));
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first part');
      }),
    );
    const exchange = await new Promise<{ abort(): void }>((resolve) => {
      const handle = client.request(new URL(origin.url), { method: 'GET', path: '/', headers: [] }, null, {
        onHead: () => undefined,
        onData: () => {
          resolve(handle);
          return true;
        },
        onEnd: () => undefined,
        onError: () => undefined,
      });
    });
    exchange.abort();
    expect(await closed).toBe(false);
    await waitFor(() => client.connections().get(origin.url)!.busy === 0, 2_000);
    expect(client.connections().get(origin.url)).toMatchObject({ idle: 0 });
  });

  it('holds a 64 MiB response to the pace of a slow sink: no data while paused, the origin never far ahead, every byte arrives', async () => {
    const total = 64 * 1024 * 1024;
    const piece = Buffer.alloc(64 * 1024, 97);
    /** Bytes the origin handed to its kernel (written, less what waits in its own stream buffer). */
    let handedOver = () => 0;
    const origin = track(
      await nodeOrigin((_req, res) => {
        res.writeHead(200, { 'content-length': total });
        let written = 0;
        handedOver = () => written - res.writableLength;
        const pump = () => {
          while (written < total) {
            written += piece.length;
            if (!res.write(piece)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      }),
    );
    let received = 0;
    let whilePaused = 0;
    let peakAhead = 0;
    let paused = false;
    let exchange!: { resume(): void };
    await new Promise<void>((resolve, reject) => {
      exchange = client.request(new URL(origin.url), { method: 'GET', path: '/big', headers: [] }, null, {
        onHead: () => undefined,
        onData(chunk) {
          if (paused) whilePaused++;
          received += chunk.length;
          // What the origin got rid of and the sink has not had: in kernel buffers or held by the client.
          peakAhead = Math.max(peakAhead, handedOver() - received);
          // A slow reader: every chunk pauses the exchange for a turn of the event loop.
          paused = true;
          setImmediate(() => {
            paused = false;
            exchange.resume();
          });
          return false;
        },
        onEnd: () => resolve(),
        onError: reject,
      });
    });
    expect(received).toBe(total);
    expect(whilePaused).toBe(0);
    // Loopback socket buffers hold a few MiB; a client reading ahead of its sink would let the origin run far ahead.
    expect(peakAhead).toBeLessThan(16 * 1024 * 1024);
  });

  it('streams a request body chunked, and a sized one to an origin slower than the body (write answers false, resume goes on)', async () => {
    const origin = track(await nodeOrigin());
    const chunked = await collect(client, origin.url, { method: 'POST', path: '/up' }, chunksBody(['ab', 'c', '', 'def'], null));
    expect(chunked.body.toString()).toBe('POST /up abcdef');

    const size = 8 * 1024 * 1024;
    let falses = 0;
    let resumes = 0;
    let target!: BodyTarget;
    let sent = 0;
    const piece = Buffer.alloc(64 * 1024, 98);
    const push = () => {
      while (sent < size) {
        sent += piece.length;
        if (!target.write(piece)) {
          falses++;
          return;
        }
      }
      target.end();
    };
    const slowOrigin = track(
      await nodeOrigin((req, res) => {
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          req.pause();
          setImmediate(() => req.resume());
        });
        req.on('end', () => res.end(`got ${bytes} ${req.headers['content-length']} ${req.headers['transfer-encoding'] ?? 'sized'}`));
      }),
    );
    const sized = await collect(
      client,
      slowOrigin.url,
      { method: 'PUT', path: '/big' },
      {
        length: size,
        start(into) {
          target = into;
          push();
        },
        resume() {
          resumes++;
          push();
        },
        stop() {},
      },
    );
    expect(sized.body.toString()).toBe(`got ${size} ${size} sized`);
    expect(falses).toBeGreaterThan(0);
    expect(resumes).toBe(falses);
  });

  it('fails a body longer or shorter than its length (request-body), never from inside request()', async () => {
    const origin = track(await nodeOrigin());
    for (const chunks of [['abc', 'def'], ['ab']]) {
      // A pooled connection: the head (and so the body) can go out at once.
      expect((await collect(client, origin.url, {})).status).toBe(200);
      let returned = false;
      const error = await new Promise<OriginError>((resolve) => {
        client.request(new URL(origin.url), { method: 'PUT', path: '/', headers: [] }, chunksBody(chunks, 3), {
          onHead: () => undefined,
          onData: () => true,
          onEnd: () => undefined,
          onError: (failure) => resolve(returned ? failure : new OriginError('reset', 'called from inside request()')),
        });
        returned = true;
      });
      expect(error).toMatchObject({ code: 'request-body', status: 502 });
    }
  });

  it('reads HEAD, 204 and 304 responses as bodyless and keeps the connection', async () => {
    const origin = track(
      await nodeOrigin((req, res) => {
        if (req.url === '/204') res.writeHead(204).end();
        else if (req.url === '/304') res.writeHead(304, { etag: '"x"' }).end();
        else res.writeHead(200, { 'content-length': 11 }).end(req.method === 'HEAD' ? undefined : 'hello world');
      }),
    );
    const head = await collect(client, origin.url, { method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, error: undefined });
    expect(head.headers).toContain('11');
    expect(head.body.length).toBe(0);
    expect((await collect(client, origin.url, { path: '/204' })).status).toBe(204);
    expect((await collect(client, origin.url, { path: '/304' })).status).toBe(304);
    const get = await collect(client, origin.url, {});
    expect(get.body.toString()).toBe('hello world');
    expect(origin.connections).toHaveLength(1);
  });

  it('sends the body after the origin’s 100 Continue, and not at all when the origin answers first', async () => {
    const origin = track(
      await nodeOrigin((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => res.end(`after continue: ${body}`));
      }),
    );
    origin.server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.url === '/refuse') return void res.writeHead(401, { 'content-length': 2 }).end('no');
      res.writeContinue();
      origin.server.emit('request', req, res);
    });
    const body = chunksBody(['payload'], 7);
    const result = await collect(client, origin.url, { method: 'POST', path: '/', headers: ['expect', '100-continue'] }, body);
    expect(result).toMatchObject({ status: 200, error: undefined });
    expect(result.body.toString()).toBe('after continue: payload');

    const refused = chunksBody(['payload'], 7);
    const answer = await collect(client, origin.url, { method: 'POST', path: '/refuse', headers: ['expect', '100-continue'] }, refused);
    expect(answer).toMatchObject({ status: 401 });
    expect(refused).toMatchObject({ started: false, stopped: true });
  });

  it('skips interim responses, reads a close-delimited body, keeps trailers, and strips hop-by-hop fields', async () => {
    const origin = track(
      await rawOrigin((socket, _connection, request) => {
        if (request === 0) {
          socket.write(
            'HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nconnection: x-hop, keep-alive\r\nx-hop: 1\r\nkeep-alive: timeout=5\r\nset-cookie: a=1\r\nset-cookie: b=2\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx-trailer: t\r\n\r\n',
          );
        } else socket.end('HTTP/1.1 200 OK\r\n\r\nuntil close');
      }),
    );
    const first = await collect(client, origin.url, {});
    expect(first).toMatchObject({ status: 200, headers: ['set-cookie', 'a=1', 'set-cookie', 'b=2'], trailers: ['x-trailer', 't'] });
    expect(first.body.toString()).toBe('ok');
    const second = await collect(client, origin.url, {});
    expect(second).toMatchObject({ status: 200, error: undefined });
    expect(second.body.toString()).toBe('until close');
    expect(client.connections().get(origin.url)).toMatchObject({ busy: 0, idle: 0 });
  });

  it('refuses to write a head with a CR or LF in it (no request smuggling through a value)', async () => {
    const origin = track(await rawOrigin(() => undefined));
    const result = await collect(client, origin.url, { headers: ['x-a', 'b\r\nx-injected: 1'] });
    expect(result.error).toMatchObject({ code: 'invalid-request', status: 502 });
    expect(origin.heads).toHaveLength(0);
  });

  it('proxies to nginx over one kept-alive connection', async () => {
    const pki = await createTestPki();
    const nginx = await startNginxOrigin(pki.dir);
    try {
      for (let i = 0; i < 5; i++) {
        const result = await collect(client, nginx.url, { headers: ['host', 'site.example', 'x-client-cert-verified', 'NONE'] });
        expect(result.status).toBe(200);
        expect(result.body.toString()).toBe('nginx host=site.example verified=NONE serial= proto= cert=\n');
      }
      expect(client.connections().get(nginx.url)).toEqual({ busy: 0, idle: 1, opened: 1 });
    } finally {
      await nginx.stop();
      pki.remove();
    }
  });
});

describe('origin client to https origins', () => {
  let pki: TestPki;
  let origin: Awaited<ReturnType<typeof listening<https.Server>>>;
  const servernames: Array<string | false | null> = [];
  const resumed: boolean[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    const cert = await pki.serverCertificate(['127.0.0.1', 'localhost']);
    const server = https.createServer({ cert: cert.chainPem, key: cert.keyPem }, (req, res) => {
      if (req.url === '/close') res.setHeader('connection', 'close');
      res.end(`tls ${req.url}`);
    });
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      servernames.push(socket.servername);
      resumed.push(socket.isSessionReused());
    });
    origin = await listening(server, 'https');
  });
  afterAll(async () => {
    await origin?.close();
    pki?.remove();
  });

  it('verifies the origin against the configured CA, pools the connection, and sends SNI for a name only', async () => {
    const client = createOriginClient({ timeouts, originCaPems: [pki.serverCaPem] });
    try {
      for (let i = 0; i < 3; i++) expect((await collect(client, origin.url, { path: `/${i}` })).body.toString()).toBe(`tls /${i}`);
      const byName = origin.url.replace('127.0.0.1', 'localhost');
      expect((await collect(client, byName, { path: '/named' })).body.toString()).toBe('tls /named');
      expect(servernames).toEqual([false, 'localhost']);
      expect(client.connections().get(origin.url)).toMatchObject({ opened: 1 });
    } finally {
      client.close();
    }
  });

  it('resumes the TLS session for a new connection to the same origin', async () => {
    const client = createOriginClient({ timeouts, originCaPems: [pki.serverCaPem] });
    const before = resumed.length;
    try {
      expect((await collect(client, origin.url, { path: '/close' })).body.toString()).toBe('tls /close');
      expect((await collect(client, origin.url, { path: '/again' })).body.toString()).toBe('tls /again');
      expect(resumed.slice(before)).toEqual([false, true]);
      expect(client.connections().get(origin.url)).toMatchObject({ opened: 2 });
    } finally {
      client.close();
    }
  });

  it('answers 502 when the origin’s certificate chains to no trusted CA', async () => {
    const client = createOriginClient({ timeouts });
    try {
      const result = await collect(client, origin.url, {});
      expect(result.error).toMatchObject({ code: 'unreachable', status: 502 });
      expect(result.error!.reason).toMatch(/CERT|SIGNATURE|ISSUER/);
    } finally {
      client.close();
    }
  });
});
