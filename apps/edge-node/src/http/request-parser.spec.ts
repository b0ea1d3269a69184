import { describe, expect, it } from 'vitest';
import { maxRequestHeadBytes, RequestParser, type ParsedHead, type ParseOutcome } from './request-parser.ts';

/** Parses `input` (in `pieces` pieces, to cross chunk boundaries) and records every event. */
function parse(input: string, pieces = 1, pauseAfterHead = false) {
  const heads: ParsedHead[] = [];
  const bodies: string[] = [];
  let completed = 0;
  const parser = new RequestParser({
    onHead: (head) => {
      heads.push(head);
      bodies.push('');
      return pauseAfterHead ? 'pause' : 'continue';
    },
    onBody: (chunk) => (bodies[bodies.length - 1] += chunk.toString('latin1')),
    onComplete: () => completed++,
  });
  const bytes = Buffer.from(input, 'latin1');
  const size = Math.ceil(bytes.length / pieces);
  const outcomes: ParseOutcome[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    let outcome = parser.execute(bytes.subarray(at, at + size));
    // Bounded: each resume parses at least one request further.
    for (let i = 0; outcome.kind === 'paused' && i < 100; i++) outcome = parser.resume();
    outcomes.push(outcome);
    if (outcome.kind === 'error') break;
  }
  parser.destroy();
  return { heads, bodies, completed, last: outcomes.at(-1)! };
}

describe('request parser (llhttp, strict)', () => {
  it('reads pipelined requests with Content-Length and chunked bodies, across any split', () => {
    const input =
      'GET /a?x=1 HTTP/1.1\r\nHost: a.example.com\r\nX-Long:  padded value \t\r\n\r\n' +
      'POST /b HTTP/1.1\r\nHost: a.example.com\r\nContent-Length: 5\r\n\r\nhello' +
      'PUT /c HTTP/1.1\r\nHost: a.example.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n' +
      'HEAD /d HTTP/1.0\r\n\r\n';
    for (const pieces of [1, 7, input.length]) {
      for (const pause of [false, true]) {
        const { heads, bodies, completed, last } = parse(input, pieces, pause);
        expect(last).toEqual({ kind: 'ok' });
        expect(heads.map((h) => [h.method, h.target, h.minorVersion])).toEqual([
          ['GET', '/a?x=1', 1],
          ['POST', '/b', 1],
          ['PUT', '/c', 1],
          ['HEAD', '/d', 0],
        ]);
        expect(heads[0]!.rawHeaders).toEqual(['Host', 'a.example.com', 'X-Long', 'padded value']);
        expect(bodies).toEqual(['', 'hello', 'abcde', '']);
        expect(completed).toBe(4);
        expect(heads.map((h) => h.keepAlive)).toEqual([true, true, true, false]);
      }
    }
  });

  it('refuses every smuggling form with 400', () => {
    const refused = {
      'Content-Length with Transfer-Encoding':
        'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'two Content-Length': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
      'two equal Content-Length': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc',
      'a Content-Length that is no number': 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\nabc',
      'obs-fold': 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n  folded\r\n\r\n',
      'a bad chunk size': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
      'a chunk size with a space': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n',
      'chunked not last': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n',
      'a bare LF': 'GET / HTTP/1.1\nHost: a\n\n',
      'a bare LF in the head': 'GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n',
      'a NUL in a value': 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x00c\r\n\r\n',
      'a CR in a value': 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n',
      'a space before the colon': 'GET / HTTP/1.1\r\nHost : a\r\n\r\n',
      'a bad token in a name': 'GET / HTTP/1.1\r\nHo(st: a\r\n\r\n',
      'HTTP/2 preface': 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      'an unknown version': 'GET / HTTP/1.2\r\nHost: a\r\n\r\n',
      'a chunk without its CRLF': 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n',
    };
    for (const [what, input] of Object.entries(refused)) {
      for (const pieces of [1, 5]) {
        const { last, completed } = parse(input, pieces);
        expect(last, `${what} in ${pieces}`).toMatchObject({ kind: 'error', status: 400 });
        expect(completed, what).toBe(0);
      }
    }
  });

  it('answers 431 to a head over its size, however it is split', () => {
    const big = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(maxRequestHeadBytes)}\r\n\r\n`;
    expect(parse(big).last).toMatchObject({ kind: 'error', status: 431 });
    expect(parse(big, 50).last).toMatchObject({ kind: 'error', status: 431 });
    const near = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(maxRequestHeadBytes - 100)}\r\n\r\n`;
    expect(parse(near).last).toEqual({ kind: 'ok' });
  });

  it('flags upgrades and CONNECT', () => {
    const upgrade = parse('GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect(upgrade.heads[0]!.upgrade).toBe(true);
    expect(parse('CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n').heads[0]?.upgrade ?? true).toBe(true);
    expect(parse('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n').heads[0]).toMatchObject({ upgrade: false, keepAlive: false });
  });
});
