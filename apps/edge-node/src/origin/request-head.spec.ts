import { describe, expect, it } from 'vitest';
import { serialiseRequestHead } from './request-head.ts';

const origin = new URL('http://origin.internal:8080');

describe('request head', () => {
  it('writes the fields in order, its own framing instead of the given one, and the origin host when none is given', () => {
    const head = serialiseRequestHead(
      origin,
      {
        method: 'POST',
        path: '/a?b=1',
        headers: ['x-one', '1', 'Content-Length', '99', 'connection', 'close', 'Transfer-Encoding', 'chunked', 'x-two', ''],
      },
      12,
    );
    expect(head).toBe('POST /a?b=1 HTTP/1.1\r\nx-one: 1\r\nx-two: \r\nhost: origin.internal:8080\r\ncontent-length: 12\r\n\r\n');
    expect(serialiseRequestHead(origin, { method: 'PUT', path: '/', headers: ['Host', 'site.example'] }, null)).toBe(
      'PUT / HTTP/1.1\r\nHost: site.example\r\ntransfer-encoding: chunked\r\n\r\n',
    );
    expect(serialiseRequestHead(origin, { method: 'POST', path: '/', headers: ['host', 'h'] }, undefined)).toContain(
      'content-length: 0\r\n',
    );
    expect(serialiseRequestHead(origin, { method: 'GET', path: '/', headers: ['host', 'h'] }, undefined)).toBe(
      'GET / HTTP/1.1\r\nhost: h\r\n\r\n',
    );
  });

  it('puts the origin URL’s path before the request’s', () => {
    expect(serialiseRequestHead(new URL('http://o/base/'), { method: 'GET', path: '/x', headers: ['host', 'h'] }, undefined)).toMatch(
      /^GET \/base\/x /,
    );
  });

  it.each([
    ['a CRLF in a value', { method: 'GET', path: '/', headers: ['x', 'a\r\nx-evil: 1'] }],
    ['a bare LF in a value', { method: 'GET', path: '/', headers: ['x', 'a\nb'] }],
    ['a NUL in a value', { method: 'GET', path: '/', headers: ['x', 'a\0'] }],
    ['a space in a name', { method: 'GET', path: '/', headers: ['x y', 'a'] }],
    ['a colon in a name', { method: 'GET', path: '/', headers: ['x:y', 'a'] }],
    ['a space in the target', { method: 'GET', path: '/a b', headers: [] }],
    ['a CRLF in the target', { method: 'GET', path: '/a\r\nx: y', headers: [] }],
    ['a method that is not a token', { method: 'GE T', path: '/', headers: [] }],
  ])('refuses %s', (_what, head) => {
    expect(serialiseRequestHead(origin, head, undefined)).toHaveProperty('invalid');
  });
});
