import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientHelloFor } from './test/client-hello-bytes.ts';
import { createTestWorld, curl, startTestEdge, waitFor } from './test/edge-harness.ts';
import { startEdgeChild, type EdgeChildProcess } from './test/edge-child-process.ts';
import { siteResource } from './test/resources.ts';

/**
 * Slowloris against a real edge process: hundreds of clients that trickle a ClientHello, stall
 * the handshake, trickle a request head (on a new or a kept-alive connection) or a body, or
 * send nothing, with the edge's deadlines set short. Each must be closed by the edge at its
 * deadline (a total, not reset by the bytes), while curl with a client certificate is served;
 * the edge's descriptors and heap come back to where they were. Then the connection cap:
 * refusal while every held connection is busy, shedding of the longest idle one otherwise,
 * service again after. Last, a client that never reads its response.
 */

const deadlineMs = 2_000;
/** Sweep granularity (deadline / 8), detection of a head's first byte, and two loaded cores. */
const marginMs = 1_500;
const trickleEveryMs = 250;

interface SlowClient {
  readonly kind: string;
  readonly socket: net.Socket;
  /** When the phase the edge must bound started, on this side (performance.now()). */
  started: number;
  /** Resolves once `started` is set, or the socket closed before. */
  readonly ready: Promise<void>;
  /** performance.now() when the socket closed; Infinity when it was still open at the bound. */
  readonly closed: Promise<number>;
  isClosed: boolean;
  /** Marks the start of the bounded phase. */
  start(): void;
}

/** Writes `bytes` one byte now and one per `trickleEveryMs`, stopping when they run out or the socket closes. */
function trickle(socket: net.Socket, bytes: Buffer): void {
  let at = 0;
  const next = () => {
    if (at >= bytes.length || socket.destroyed) clearInterval(timer);
    else socket.write(bytes.subarray(at, ++at));
  };
  const timer = setInterval(next, trickleEveryMs);
  socket.once('close', () => clearInterval(timer));
  next();
}

/** Watches `socket`; `begin` runs once it is connected (TCP, or TLS for a TLS socket). */
function slowClient(kind: string, socket: net.Socket, boundMs: number, begin: (client: SlowClient) => void): SlowClient {
  let markReady!: () => void;
  const client: SlowClient = {
    kind,
    socket,
    started: Number.NaN,
    isClosed: false,
    ready: new Promise((resolve) => (markReady = resolve)),
    closed: new Promise((resolve) => {
      const bound = setTimeout(() => resolve(Number.POSITIVE_INFINITY), boundMs);
      socket.once('close', () => {
        clearTimeout(bound);
        client.isClosed = true;
        markReady();
        resolve(performance.now());
      });
    }),
    start() {
      client.started = performance.now();
      markReady();
    },
  };
  socket.on('error', () => undefined);
  // Read (and drop) what the edge sends, so the edge's close is seen even by a client that has stopped writing.
  socket.resume();
  socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', () => begin(client));
  return client;
}

describe('slowloris against the edge', () => {
  let edge: EdgeChildProcess;
  let hello: Buffer;
  let serverCa: string;

  beforeAll(async () => {
    edge = await startEdgeChild({
      helloMs: deadlineMs,
      handshakeMs: deadlineMs,
      idleMs: deadlineMs,
      headMs: deadlineMs,
      bodyWindowMs: deadlineMs,
      bodyMinBytes: 256,
      maxConnections: 2_000,
    });
    hello = await clientHelloFor('www.example.com');
    serverCa = readFileSync(edge.info.serverCaFile, 'utf8');
  });
  afterAll(async () => {
    await edge?.stop();
  });

  const served = () =>
    curl(edge.info.port, 'api.example.com', '/', {
      cacert: edge.info.serverCaFile,
      cert: edge.info.alice,
    });

  it('closes every trickling or silent connection at its deadline, serves curl meanwhile, and its descriptors and heap return', async () => {
    expect((await served()).status).toBe(200);
    const baseline = { fds: edge.fds(), memory: await edge.memory() };
    const boundMs = deadlineMs + marginMs + 3_000;
    const port = edge.info.port;
    const tlsTo = () => tls.connect({ port, host: '127.0.0.1', servername: 'www.example.com', ca: serverCa });
    const clients: SlowClient[] = [];
    const open = (count: number, kind: string, connect: () => net.Socket, begin: (client: SlowClient) => void) => {
      for (let i = 0; i < count; i++) clients.push(slowClient(kind, connect(), boundMs, begin));
    };
    // 150 trickle a ClientHello: the deadline runs from the accept.
    open(
      150,
      'hello',
      () => net.connect(port, '127.0.0.1'),
      (client) => {
        client.start();
        trickle(client.socket, hello);
      },
    );
    // 50 send a whole ClientHello and never answer the server's flight.
    open(
      50,
      'handshake',
      () => net.connect(port, '127.0.0.1'),
      (client) => {
        client.socket.write(hello);
        client.start();
      },
    );
    // 150 trickle a request head, 100 a request body, 50 send nothing after the handshake.
    const head = Buffer.from(`GET / HTTP/1.1\r\nHost: www.example.com\r\nX-Slow: ${'a'.repeat(400)}`);
    open(150, 'head', tlsTo, (client) => {
      client.start();
      trickle(client.socket, head);
    });
    open(100, 'body', tlsTo, (client) => {
      client.socket.write('POST /upload HTTP/1.1\r\nHost: www.example.com\r\nContent-Length: 100000\r\n\r\n');
      client.start();
      trickle(client.socket, Buffer.from('b'.repeat(400)));
    });
    open(50, 'idle', tlsTo, (client) => client.start());
    // 50 are served one request, then trickle the next head on the kept-alive connection.
    open(50, 'kept-alive head', tlsTo, (client) => {
      let reply = '';
      const onData = (chunk: Buffer) => {
        reply += chunk.toString('latin1');
        // The whole chunked response: the connection is idle again.
        if (!reply.includes('origin-a GET /first\n') || !reply.endsWith('\r\n0\r\n\r\n')) return;
        client.socket.off('data', onData);
        client.start();
        trickle(client.socket, head);
      };
      client.socket.on('data', onData);
      client.socket.write('GET /first HTTP/1.1\r\nHost: www.example.com\r\n\r\n');
    });
    try {
      await Promise.all(clients.map((c) => c.ready));
      // curl starts while the edge holds all 550 (none can be closed before its deadline).
      const openWhenAsked = clients.filter((c) => !c.isClosed).length;
      const heldFds = edge.fds();
      const result = await served();
      expect(openWhenAsked).toBe(550);
      expect(result.status).toBe(200);
      // The 350 TLS clients have finished their handshakes: the edge holds their sockets at least.
      expect(heldFds).toBeGreaterThan(baseline.fds + 350);
      // 550 clients, and an origin connection (both ends: the origin runs in the edge's process) per
      // body and per kept-alive request (pooled, at most one each).
      expect(heldFds).toBeLessThan(baseline.fds + 550 + 2 * 150 + 20);

      const closedAt = await Promise.all(clients.map((c) => c.closed));
      const lateOrEarly: string[] = [];
      clients.forEach((client, i) => {
        const held = closedAt[i]! - client.started;
        if (!(held >= deadlineMs - 100 && held <= deadlineMs + marginMs)) lateOrEarly.push(`${client.kind}: ${Math.round(held)} ms`);
      });
      expect(lateOrEarly).toEqual([]);

      await waitFor(() => edge.fds() <= baseline.fds, 10_000);
      const after = await edge.memory();
      expect(after.heapUsed - baseline.memory.heapUsed).toBeLessThan(8 * 1024 * 1024);
      expect(after.rss - baseline.memory.rss).toBeLessThan(150 * 1024 * 1024);
      expect((await served()).status).toBe(200);
    } finally {
      for (const client of clients) client.socket.destroy();
    }
  });
});

describe('the connection cap', () => {
  const cap = 40;
  let edge: EdgeChildProcess;
  let serverCa: string;
  /** Descriptors of the edge holding no client or origin connection (give or take a file it reads now and then). */
  let quiet: number;
  /** The edge holds `count` more connections than when quiet (the accept queue is in order: later connections come after). */
  const holding = (count: number) => waitFor(() => edge.fds() >= quiet + count - 2, 5_000);

  beforeAll(async () => {
    // Long deadlines: here only the cap may close a connection.
    edge = await startEdgeChild({ maxConnections: cap, helloMs: 30_000, idleMs: 30_000 });
    serverCa = readFileSync(edge.info.serverCaFile, 'utf8');
    quiet = edge.fds();
  });
  afterAll(async () => {
    await edge?.stop();
  });

  const served = () => curl(edge.info.port, 'www.example.com', '/', { cacert: edge.info.serverCaFile });
  const closedWithin = (socket: net.Socket, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (socket.destroyed) return resolve(true);
      const timer = setTimeout(() => resolve(false), ms);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  it('closes new connections at once while every held one is busy, and serves again once they go', async () => {
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < cap; i++) {
        const socket = net.connect(edge.info.port, '127.0.0.1');
        socket.on('error', () => undefined);
        held.push(socket);
      }
      await holding(cap);
      const refused = await served();
      expect(refused.status).toBe(0);
      const extra = net.connect(edge.info.port, '127.0.0.1');
      extra.on('error', () => undefined);
      expect(await closedWithin(extra, 2_000)).toBe(true);
      expect(held.filter((s) => s.destroyed)).toEqual([]);
    } finally {
      for (const socket of held) socket.destroy();
    }
    await waitFor(() => edge.fds() <= quiet, 5_000);
    expect((await served()).status).toBe(200);
  });

  it('sheds the connection idle the longest to admit a new one at the cap', async () => {
    // The last test's origin connection leaves the pool within its idle time.
    await waitFor(() => edge.fds() <= quiet, 10_000);
    const idle: tls.TLSSocket[] = [];
    try {
      // One after the other, so the order in which they became idle is known.
      for (let i = 0; i < cap; i++) {
        const socket = tls.connect({ port: edge.info.port, host: '127.0.0.1', servername: 'www.example.com', ca: serverCa });
        socket.on('error', () => undefined);
        await new Promise((resolve) => socket.once('secureConnect', resolve));
        idle.push(socket);
      }
      await holding(cap);
      expect((await served()).status).toBe(200);
      expect(await closedWithin(idle[0]!, 2_000)).toBe(true);
      expect(idle.slice(1).filter((s) => s.destroyed)).toEqual([]);
    } finally {
      for (const socket of idle) socket.destroy();
    }
  });
});

describe('a client that does not read its response', () => {
  it('is closed once it has taken nothing for the send deadline, and the origin request with it', async () => {
    const world = await createTestWorld();
    const total = 64 * 1024 * 1024;
    let originClosed!: (outcome: { at: number; finished: boolean }) => void;
    const originDone = new Promise<{ at: number; finished: boolean }>((resolve) => (originClosed = resolve));
    // Far more than the socket buffers between the edge and the client hold, sent as the edge takes it.
    const origin = http.createServer((_req, res) => {
      const chunk = Buffer.alloc(64 * 1024, 120);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => originClosed({ at: performance.now(), finished: res.writableFinished }));
      pump();
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    const edge = await startTestEdge(world.server, { servingLimits: { sendIdleMs: deadlineMs } });
    const client = tls.connect({
      port: edge.edge.httpsPort,
      host: '127.0.0.1',
      servername: 'www.example.com',
      ca: world.pki.serverCaPem,
    });
    client.on('error', () => undefined);
    const connected = new Promise((resolve) => client.once('secureConnect', resolve));
    try {
      await world.server.push(siteResource('s1', 'example.com', `http://127.0.0.1:${(origin.address() as net.AddressInfo).port}`));
      await connected;
      client.pause();
      client.write('GET /big HTTP/1.1\r\nHost: www.example.com\r\n\r\n');
      const asked = performance.now();
      const bound = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), deadlineMs + marginMs + 3_000));
      const outcome = await Promise.race([originDone, bound]);
      expect(outcome).toBeDefined();
      expect(outcome!.finished).toBe(false);
      expect(outcome!.at - asked).toBeGreaterThanOrEqual(deadlineMs - 100);
      expect(outcome!.at - asked).toBeLessThanOrEqual(deadlineMs + marginMs);
      // The client, reading again, gets what was in flight and the edge's close, not the response.
      let received = 0;
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.on('data', (data: Buffer) => (received += data.length));
      client.resume();
      await closed;

      expect(received).toBeLessThan(total);
    } finally {
      client.destroy();
      await edge.stop();
      origin.closeAllConnections();
      origin.close();
      await world.remove();
    }
  });
});
