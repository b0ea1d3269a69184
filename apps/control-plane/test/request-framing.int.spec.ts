import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientErrorHandler, maxHeaderBytes, maxUrlBytes } from '../src/http/request-framing.ts';
import { buildTestApp, createAccount, type TestAccount, type TestApp } from './support/test-app.ts';

/** What came back on a raw connection: the status, the headers (lower-case names) and the body. */
interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Sends `bytes` on a fresh TCP connection and reads until the server closes it (every case
 * here either breaks framing, so the server closes, or asks `Connection: close`).
 */
function exchange(port: number, bytes: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(bytes);
  });
}

describe('HTTP framing and head limits on a listening server', () => {
  let t: TestApp;
  let port: number;
  let account: TestAccount;

  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
    account = await createAccount(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The catalogue's body, exactly: code, message, request id; nothing the client sent. */
  function expectCatalogue(answer: RawAnswer, status: number, code: string, sent: readonly string[]): void {
    expect({ status: answer.status, body: answer.body }).toMatchObject({ status });
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['code', 'message', 'requestId']);
    expect(body).toEqual({ code, message: expect.any(String), requestId: expect.stringMatching(/^req_[0-9a-f]{16}$/) });
    expect(answer.headers['x-request-id']).toBe(body.requestId);
    for (const marker of sent) expect(answer.body).not.toContain(marker);
  }

  const post = (headers: string, body = '') => `POST /v1/sites HTTP/1.1\r\nHost: localhost\r\n${headers}\r\n${body}`;

  const parserCases: [string, string, string[]][] = [
    ['a Content-Length that is not a number', post('Content-Length: 12abc\r\n', '{}'), ['12abc']],
    ['two different Content-Lengths', post('Content-Length: 2\r\nContent-Length: 3\r\n', '{}x'), []],
    ['Content-Length with Transfer-Encoding', post('Content-Length: 2\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n'), []],
    ['a chunk size that is not hex', post('Transfer-Encoding: chunked\r\n', 'zzMARK\r\n{}\r\n0\r\n\r\n'), ['zzMARK']],
    ['bare LF line ends', 'GET /v1/sites HTTP/1.1\nHost: localhost\nX-Mark: bareLF\n\n', ['bareLF']],
    ['a NUL in a header value', post('X-Mark: nul\u0000MARK\r\n'), ['MARK']],
    ['a CR in a header value', post('X-Mark: cr\rMARK\r\n'), ['MARK']],
    ['a space before the colon', post('X-Mark : MARK\r\n'), ['MARK']],
    ['a request line that is not HTTP', 'HELLO MARK\r\n\r\n', ['MARK', 'HELLO']],
  ];

  it.each(parserCases)('answers %s with 400 Request.Malformed and the catalogue body', async (_label, bytes, sent) => {
    const revision = await t.store.revision();
    expectCatalogue(await exchange(port, bytes), 400, 'Request.Malformed', sent);
    expect(await t.store.revision()).toBe(revision);
  });

  it('answers a 100 KB header with 431 Request.HeadersTooLarge, from the parser', async () => {
    const value = `MARK${'a'.repeat(100 * 1024)}`;
    expectCatalogue(
      await exchange(port, `GET /v1/sites HTTP/1.1\r\nHost: localhost\r\nX-Big: ${value}\r\n\r\n`),
      431,
      'Request.HeadersTooLarge',
      ['MARK'],
    );
  });

  it(`answers headers over ${maxHeaderBytes} bytes (within the parser's limit) with 431 Request.HeadersTooLarge`, async () => {
    const headers = Array.from({ length: 5 }, (_, i) => `X-Pad-${i}: MARK${'b'.repeat(8 * 1024)}\r\n`).join('');
    const answer = await exchange(port, `GET /v1/sites HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n${headers}\r\n`);
    expectCatalogue(answer, 431, 'Request.HeadersTooLarge', ['MARK']);
  });

  it(`answers a URL over ${maxUrlBytes} bytes with 414 Request.UriTooLong`, async () => {
    const url = `/v1/sites?pageSize=1&x=MARK${'c'.repeat(maxUrlBytes)}`;
    const answer = await exchange(port, `GET ${url} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
    expectCatalogue(answer, 414, 'Request.UriTooLong', ['MARK']);
  });

  it('answers a URL with broken percent-encoding with 400 Request.InvalidUrl, not echoing the path', async () => {
    for (const path of ['/v1/sites/%ZZMARK', '/v1/sites/%E0%A4%MARK', '/v1/accounts/%', '/%ZZMARK']) {
      const answer = await exchange(port, `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      expectCatalogue(answer, 400, 'Request.InvalidUrl', ['MARK', '%ZZ', 'FST_ERR']);
    }
  });

  it('refuses two Authorization headers (the administrator token, then an account key): 400 Request.DuplicateHeader, nothing written', async () => {
    const revision = await t.store.revision();
    const body = JSON.stringify({ name: 'smuggled' });
    for (const [first, second] of [
      [t.adminToken, account.apiKey],
      [account.apiKey, t.adminToken],
    ]) {
      const answer = await exchange(
        port,
        `POST /v1/accounts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${first}\r\nauthorization: Bearer ${second}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
      expectCatalogue(answer, 400, 'Request.DuplicateHeader', [t.adminToken, account.apiKey, 'smuggled']);
    }
    expect(await t.store.revision()).toBe(revision);
  });

  it('refuses two Host headers (RFC 9112 §3.2): 400 Request.DuplicateHeader', async () => {
    const answer = await exchange(
      port,
      `GET /v1/sites HTTP/1.1\r\nHost: localhost\r\nHost: MARK.example\r\nAuthorization: Bearer ${account.apiKey}\r\nConnection: close\r\n\r\n`,
    );
    expectCatalogue(answer, 400, 'Request.DuplicateHeader', ['MARK']);
  });

  it('refuses two Content-Type headers: 400 Request.DuplicateHeader', async () => {
    const answer = await exchange(
      port,
      `POST /v1/sites HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${account.apiKey}\r\nContent-Type: application/json\r\n` +
        `Content-Type: text/MARK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    expectCatalogue(answer, 400, 'Request.DuplicateHeader', ['MARK']);
  });

  it('answers an HTTP/1.1 request without Host with 400 Request.Malformed (Node answered with an empty body)', async () => {
    const answer = await exchange(port, `GET /v1/sites HTTP/1.1\r\nAuthorization: Bearer ${account.apiKey}\r\nConnection: close\r\n\r\n`);
    expectCatalogue(answer, 400, 'Request.Malformed', []);
  });

  it('answers an expectation other than 100-continue with 417 Request.ExpectationFailed, running nothing', async () => {
    const revision = await t.store.revision();
    const body = JSON.stringify({ name: 'expected.example.com', originUrl: 'https://o.example.net' });
    const answer = await exchange(
      port,
      `POST /v1/sites HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${account.apiKey}\r\nExpect: MARK-please\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expectCatalogue(answer, 417, 'Request.ExpectationFailed', ['MARK', 'expected.example.com']);
    expect(answer.headers['x-request-id']).toMatch(/^req_/);
    expect(await t.store.revision()).toBe(revision);
  });

  it('answers a head that never completes with 408 Request.Timeout (Node request timeout)', async () => {
    // The app's own server keeps Node's 5-minute timeout; this one, with the same handler, has 300 ms.
    const server = createServer({ requestTimeout: 300, connectionsCheckingInterval: 50 }, (_request, response) => response.end());
    server.on('clientError', clientErrorHandler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await exchange((server.address() as AddressInfo).port, 'GET / HTTP/1.1\r\nHost: localhost\r\nX-Mark: MARK');
      expectCatalogue(answer, 408, 'Request.Timeout', ['MARK']);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('still serves a well-formed request on the same server', async () => {
    const answer = await exchange(
      port,
      `GET /v1/sites HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${account.apiKey}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, ''))).toMatchObject({ totalCount: 0 });
  });
});
