import http from 'node:http';
import net from 'node:net';
import type { BodySource, BodyTarget, OriginClient, ResponseSink } from '../origin/origin-contract.ts';
import type { OriginError } from '../origin/origin-error.ts';
import type { OriginRequestHead } from '../origin/request-head.ts';

/** What a sink saw of one exchange. */
export interface Collected {
  readonly status: number | undefined;
  readonly headers: string[];
  readonly body: Buffer;
  readonly trailers: string[] | undefined;
  readonly error: OriginError | undefined;
}

/** Sends one request and collects its response whole (the test responses are small). */
export function collect(
  client: OriginClient,
  origin: string,
  head: Partial<OriginRequestHead>,
  body: BodySource | null = null,
): Promise<Collected> {
  return new Promise((resolve) => {
    let status: number | undefined;
    let headers: string[] = [];
    const chunks: Buffer[] = [];
    const sink: ResponseSink = {
      onHead(s, h) {
        status = s;
        headers = h;
      },
      onData(chunk) {
        chunks.push(chunk);
        return true;
      },
      onEnd(trailers) {
        resolve({ status, headers, body: Buffer.concat(chunks), trailers, error: undefined });
      },
      onError(error) {
        resolve({ status, headers, body: Buffer.concat(chunks), trailers: undefined, error });
      },
    };
    client.request(new URL(origin), { method: 'GET', path: '/', headers: [], ...head }, body, sink);
  });
}

/** A request body from fixed chunks, recording what the client asked of it. */
export function chunksBody(chunks: readonly string[], length: number | null): BodySource & { started: boolean; stopped: boolean } {
  const source = {
    length,
    started: false,
    stopped: false,
    start(target: BodyTarget) {
      source.started = true;
      for (const chunk of chunks) target.write(Buffer.from(chunk));
      target.end();
    },
    resume() {},
    stop() {
      source.stopped = true;
    },
  };
  return source;
}

/** A listening server on 127.0.0.1 and its URL. */
export async function listening<T extends net.Server>(
  server: T,
  scheme = 'http',
): Promise<{ server: T; url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    server,
    url: `${scheme}://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        if (server instanceof http.Server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A raw TCP origin: `answer` gets each request head (up to its blank line; these tests send no
 * bodies) with the connection's number (0-based) and the request's number on it, and writes
 * what it likes to the socket.
 */
export async function rawOrigin(answer: (socket: net.Socket, connection: number, request: number, head: string) => void) {
  const heads: string[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    const connection = sockets.push(socket) - 1;
    let buffered = '';
    let requests = 0;
    socket.on('error', () => undefined);
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end + 4);
        buffered = buffered.slice(end + 4);
        heads.push(head);
        answer(socket, connection, requests++, head);
      }
    });
  });
  const origin = await listening(server);
  return {
    ...origin,
    heads,
    sockets,
    close() {
      for (const socket of sockets) socket.destroy();
      return origin.close();
    },
  };
}
