import { describe, expect, it } from 'vitest';
import { maxResponseHeadBytes, ResponseParser, type ParseResult } from './response-parser.ts';

/** Feeds `parts` to a fresh parser and records its events and results. */
function parse(parts: readonly string[], options: { bodyless?: boolean; finish?: boolean } = {}) {
  const events: unknown[] = [];
  const parser = new ResponseParser({
    onInformational: (status) => events.push(['informational', status]),
    onHead: (status, headers) => events.push(['head', status, headers]),
    onBody: (chunk) => events.push(['body', chunk.toString()]),
    onComplete: (trailers, keepAlive) => events.push(['complete', trailers, keepAlive]),
  });
  parser.next(options.bodyless ?? false);
  const results: ParseResult[] = parts.map((part) => parser.execute(Buffer.from(part, 'latin1')));
  if (options.finish) results.push(parser.finish());
  parser.destroy();
  return { events, results, last: results.at(-1)! };
}

describe('strict response parser (llhttp)', () => {
  it('joins names and values split across reads, keeps empty values, and stops after the response', () => {
    const { events, results } = parse(['HTTP/1.1 200 OK\r\nX-Em', 'pty:\r\nX-B: 1\r\nContent-Len', 'gth: 3\r\n\r\nab', 'cNEXT']);
    expect(events).toEqual([
      ['head', 200, ['X-Empty', '', 'X-B', '1', 'Content-Length', '3']],
      ['body', 'ab'],
      ['body', 'c'],
      ['complete', [], true],
    ]);
    expect(results.at(-1)).toEqual({ kind: 'complete', consumed: 1 });
  });

  it('skips interim responses, de-chunks bodies and reports trailers', () => {
    const { events, last } = parse([
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n',
    ]);
    expect(events).toEqual([
      ['informational', 100],
      ['head', 200, ['Transfer-Encoding', 'chunked']],
      ['body', 'abc'],
      ['body', 'de'],
      ['complete', ['X-T', '1'], true],
    ]);
    expect(last.kind).toBe('complete');
  });

  it('gives a HEAD response no body (kept alive, with a length or without), and completes a close-delimited body at the end of the stream', () => {
    for (const head of ['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n', 'HTTP/1.1 200 OK\r\n\r\n']) {
      const { events, last } = parse([head], { bodyless: true });
      expect(last.kind).toBe('complete');
      expect(events.at(-1)).toEqual(['complete', [], true]);
    }
    expect(parse(['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n']).events.at(-1)).toEqual(['complete', [], false]);
    const closeDelimited = parse(['HTTP/1.1 200 OK\r\n\r\nuntil the end'], { finish: true });
    expect(closeDelimited.events).toEqual([
      ['head', 200, []],
      ['body', 'until the end'],
      ['complete', [], false],
    ]);
    expect(closeDelimited.last.kind).toBe('complete');
    const cut = parse(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'], { finish: true });
    expect(cut.last.kind).toBe('error');
  });

  it.each([
    ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['two different Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n'],
    ['a missing CRLF after a chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n'],
    ['a bare LF', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n'],
    ['a NUL in a value', 'HTTP/1.1 200 OK\r\nX-A: a\0b\r\n\r\n'],
    ['an obsolete line fold', 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n'],
    ['a switch of protocols nobody asked for', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n'],
    ['not HTTP at all', 'SSH-2.0-OpenSSH_9.2\r\n'],
  ])('refuses a response with %s', (_what, response) => {
    expect(parse([response]).last.kind).toBe('error');
  });

  it('refuses a head over the size bound, whatever the reads', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(maxResponseHeadBytes)}\r\n\r\n`;
    const { last } = parse([big.slice(0, 1000), big.slice(1000)]);
    expect(last).toEqual({ kind: 'error', reason: `response head over ${maxResponseHeadBytes} bytes` });
  });
});
