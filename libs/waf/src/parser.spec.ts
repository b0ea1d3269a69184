import { describe, expect, it } from 'vitest';
import type { Expression } from './ast.ts';
import { parseExpression } from './parser.ts';
import { WafError, type WafErrorCode } from './waf-error.ts';

function errorOf(source: string): WafError {
  try {
    parseExpression(source);
  } catch (error) {
    if (error instanceof WafError) return error;
    throw error;
  }
  throw new Error(`expected a parse error for: ${source}`);
}

function expectError(source: string, code: WafErrorCode, line: number, column: number, message?: RegExp): WafError {
  const error = errorOf(source);
  expect({ code: error.code, line: error.position?.line, column: error.position?.column }).toEqual({ code, line, column });
  if (message) expect(error.message).toMatch(message);
  return error;
}

const host = { kind: 'field', name: 'http.host' } as const;
const ssl = { kind: 'field', name: 'ssl' } as const;
const verified = { kind: 'field', name: 'ssl.client_cert.verified' } as const;
const presented = { kind: 'field', name: 'ssl.client_cert.presented' } as const;
const eqHost = (value: string): Expression => ({ kind: 'compare', operator: 'eq', left: host, right: { kind: 'string', value } });

describe('parseExpression', () => {
  it('parses the typical mTLS rule to a plain JSON AST', () => {
    const ast = parseExpression('(http.host eq "a.example.com" and not ssl.client_cert.verified)');
    expect(ast).toEqual({
      kind: 'logical',
      operator: 'and',
      operands: [eqHost('a.example.com'), { kind: 'not', operand: verified }],
    });
    expect(JSON.parse(JSON.stringify(ast))).toEqual(ast);
  });

  it.each([
    ['eq', '=='],
    ['ne', '!='],
    ['lt', '<'],
    ['le', '<='],
    ['gt', '>'],
    ['ge', '>='],
    ['matches', '~'],
  ])('reads %s and %s as the same operator', (word, symbol) => {
    const english = parseExpression(`http.request.uri.path ${word} "a"`);
    expect(parseExpression(`http.request.uri.path ${symbol} "a"`)).toEqual(english);
    expect(english).toMatchObject({ kind: 'compare', operator: word });
  });

  it('reads contains, in, and the logical operators in both spellings', () => {
    expect(parseExpression('http.user_agent contains "bot"')).toMatchObject({ operator: 'contains' });
    expect(parseExpression('ssl && ssl.client_cert.presented')).toEqual(parseExpression('ssl and ssl.client_cert.presented'));
    expect(parseExpression('ssl || ssl.client_cert.presented')).toEqual(parseExpression('ssl or ssl.client_cert.presented'));
    expect(parseExpression('ssl ^^ ssl.client_cert.presented')).toEqual(parseExpression('ssl xor ssl.client_cert.presented'));
    expect(parseExpression('!ssl')).toEqual(parseExpression('not ssl'));
    expect(parseExpression('! ! ssl')).toEqual({ kind: 'not', operand: { kind: 'not', operand: ssl } });
  });

  it('binds not tighter than and, and tighter than xor, xor tighter than or', () => {
    expect(parseExpression('ssl or ssl.client_cert.presented and not ssl.client_cert.verified')).toEqual({
      kind: 'logical',
      operator: 'or',
      operands: [ssl, { kind: 'logical', operator: 'and', operands: [presented, { kind: 'not', operand: verified }] }],
    });
    expect(parseExpression('ssl and ssl.client_cert.presented xor ssl.client_cert.verified')).toEqual({
      kind: 'logical',
      operator: 'xor',
      operands: [{ kind: 'logical', operator: 'and', operands: [ssl, presented] }, verified],
    });
    expect(parseExpression('ssl xor ssl.client_cert.presented or ssl.client_cert.verified')).toEqual({
      kind: 'logical',
      operator: 'or',
      operands: [{ kind: 'logical', operator: 'xor', operands: [ssl, presented] }, verified],
    });
  });

  it('keeps chains flat and parentheses as structure', () => {
    expect(parseExpression('ssl and ssl.client_cert.presented and ssl.client_cert.verified')).toEqual({
      kind: 'logical',
      operator: 'and',
      operands: [ssl, presented, verified],
    });
    expect(parseExpression('ssl and (ssl.client_cert.presented and ssl.client_cert.verified)')).toEqual({
      kind: 'logical',
      operator: 'and',
      operands: [ssl, { kind: 'logical', operator: 'and', operands: [presented, verified] }],
    });
    expect(parseExpression('((ssl))')).toEqual(ssl);
  });

  it('parses Bool comparisons, negative integers, and newlines as spaces', () => {
    expect(parseExpression('ssl eq false')).toEqual({ kind: 'compare', operator: 'eq', left: ssl, right: { kind: 'bool', value: false } });
    expect(parseExpression('len(http.request.uri.query)\n\t>= -1')).toEqual({
      kind: 'compare',
      operator: 'ge',
      left: { kind: 'call', name: 'len', argument: { kind: 'field', name: 'http.request.uri.query' } },
      right: { kind: 'int', value: -1 },
    });
  });

  it('parses lists of strings, integers, ranges, addresses and CIDRs, with spaces or commas', () => {
    expect(parseExpression('http.request.method in {"GET", "HEAD" "OPTIONS",}')).toMatchObject({
      kind: 'in',
      items: [
        { kind: 'string', value: 'GET' },
        { kind: 'string', value: 'HEAD' },
        { kind: 'string', value: 'OPTIONS' },
      ],
    });
    expect(parseExpression('ssl.client_cert.not_after in {0 10..20 -5..-1}')).toMatchObject({
      items: [
        { kind: 'int', value: 0 },
        { kind: 'range', from: 10, to: 20 },
        { kind: 'range', from: -5, to: -1 },
      ],
    });
    expect(parseExpression('ip.src in {192.0.2.1 10.0.0.0/8 2001:DB8:0:0::/32 ::ffff:198.51.100.7 ::1/128}')).toMatchObject({
      items: [
        { kind: 'ip', value: '192.0.2.1' },
        { kind: 'ip', value: '10.0.0.0/8' },
        { kind: 'ip', value: '2001:db8::/32' },
        { kind: 'ip', value: '198.51.100.7' },
        { kind: 'ip', value: '::1' },
      ],
    });
  });

  it('indexes headers by lower-cased name and nests functions', () => {
    expect(parseExpression('lower(http.request.headers["X-Client-ID"]) eq "abc"')).toEqual({
      kind: 'compare',
      operator: 'eq',
      left: { kind: 'call', name: 'lower', argument: { kind: 'index', field: 'http.request.headers', key: 'x-client-id' } },
      right: { kind: 'string', value: 'abc' },
    });
    expect(parseExpression('len(lower(http.host)) gt 3')).toMatchObject({
      left: { kind: 'call', name: 'len', argument: { kind: 'call', name: 'lower', argument: host } },
    });
  });

  it('reads starts_with and ends_with as functions (canonical) and infix', () => {
    const fn = parseExpression('starts_with(http.request.uri.path, "/api/")');
    expect(fn).toEqual({
      kind: 'compare',
      operator: 'starts_with',
      left: { kind: 'field', name: 'http.request.uri.path' },
      right: { kind: 'string', value: '/api/' },
    });
    expect(parseExpression('http.request.uri.path starts_with "/api/"')).toEqual(fn);
    expect(parseExpression('ends_with ( http.host , ".example.com" )')).toEqual(parseExpression('http.host ends_with ".example.com"'));
  });

  it('accepts raw strings and the documented escapes', () => {
    expect(parseExpression(String.raw`http.user_agent matches r"^curl/\d+"`)).toMatchObject({ right: { value: String.raw`^curl/\d+` } });
    expect(parseExpression(String.raw`http.host eq "\"\\\n\r\t\x41"`)).toMatchObject({ right: { value: '"\\\n\r\tA' } });
  });

  describe('errors, by code and position', () => {
    it('Waf.Syntax', () => {
      expectError('', 'Waf.Syntax', 1, 1, /empty/);
      expectError('   \n ', 'Waf.Syntax', 1, 1, /empty/);
      expectError('http.host eq "a" "b"', 'Waf.Syntax', 1, 18, /expected `and`, `or`, `xor` or the end/);
      expectError('(ssl', 'Waf.Syntax', 1, 1, /missing `\)`/);
      expectError('(ssl ssl)', 'Waf.Syntax', 1, 6, /expected `\)`/);
      expectError('ssl and', 'Waf.Syntax', 1, 8, /expected a field/);
      expectError('ssl and and ssl', 'Waf.Syntax', 1, 9, /found `and`/);
      expectError('http.host foo "a"', 'Waf.Syntax', 1, 11, /expected an operator/);
      expectError('http.host eq', 'Waf.Syntax', 1, 13, /expected a string literal/);
      expectError('ip.src in {}', 'Waf.Syntax', 1, 11, /empty list/);
      expectError('http.host in {"a" "b"', 'Waf.Syntax', 1, 14, /missing `}`/);
      expectError('http.host in "a"', 'Waf.Syntax', 1, 14, /expected `\{`/);
      expectError('http.host in {"a""b"}', 'Waf.Syntax', 1, 18, /after a list item/);
      expectError('http.request.headers[x] eq "a"', 'Waf.Syntax', 1, 22, /header name in quotes/);
      expectError('http.request.headers["x" eq "a"', 'Waf.Syntax', 1, 26, /missing `]`/);
      expectError('starts_with(http.host ".x")', 'Waf.Syntax', 1, 23, /takes a value and a string literal/);
      expectError('ssl @', 'Waf.Syntax', 1, 5);
      expectError('AND', 'Waf.UnknownField', 1, 1);
    });

    it('Waf.UnknownField, with a suggestion when close', () => {
      expectError('http.hots eq "x"', 'Waf.UnknownField', 1, 1, /did you mean http\.host\?/);
      expectError(
        'ssl and\n  cf.tls_client_auth.cert_verifed',
        'Waf.UnknownField',
        2,
        3,
        /did you mean cf\.tls_client_auth\.cert_verified\?/,
      );
      expectError('foo eq 1', 'Waf.UnknownField', 1, 1, /^unknown field foo$/);
    });

    it('Waf.UnknownFunction', () => {
      expectError('upper(http.host) eq "A"', 'Waf.UnknownFunction', 1, 1, /unknown function upper\(\)/);
      expectError('lowr(http.host) eq "a"', 'Waf.UnknownFunction', 1, 1, /did you mean lower\?/);
    });

    it('Waf.TypeMismatch', () => {
      expectError('http.host eq 5', 'Waf.TypeMismatch', 1, 14, /needs a string literal, not an Int/);
      expectError('ssl.client_cert.verified contains "x"', 'Waf.TypeMismatch', 1, 26, /`contains` does not apply/);
      expectError('len(ip.src) gt 1', 'Waf.TypeMismatch', 1, 5, /len\(\) takes a String/);
      expectError('lower(ssl) eq "x"', 'Waf.TypeMismatch', 1, 7);
      expectError('ip.src eq 10.0.0.0/8', 'Waf.TypeMismatch', 1, 11, /in \{10\.0\.0\.0\/8\}/);
      expectError('ip.src lt 1.2.3.4', 'Waf.TypeMismatch', 1, 8, /takes eq, ne, in/);
      expectError('ip.src eq "1.2.3.4"', 'Waf.TypeMismatch', 1, 11, /not a String/);
      expectError('http.request.headers eq "x"', 'Waf.TypeMismatch', 1, 1, /is a map/);
      expectError('http.host["x"] eq "y"', 'Waf.TypeMismatch', 1, 1, /cannot be indexed/);
      expectError('http.host', 'Waf.TypeMismatch', 1, 1, /not a condition/);
      expectError('ssl and http.request.uri.path or ssl', 'Waf.TypeMismatch', 1, 9, /not a condition/);
      expectError('starts_with(ssl, "x")', 'Waf.TypeMismatch', 1, 1, /`starts_with` does not apply/);
      expectError('len(starts_with(http.host, "a")) eq 1', 'Waf.TypeMismatch', 1, 5, /is a condition, not a value/);
      expectError('ssl eq "yes"', 'Waf.TypeMismatch', 1, 8, /true or false/);
      expectError('http.host in {1 2}', 'Waf.TypeMismatch', 1, 15);
      expectError('ssl.client_cert.not_after in {"a"}', 'Waf.TypeMismatch', 1, 31, /an integer/);
      expectError('lower(http.host) gt 5', 'Waf.TypeMismatch', 1, 21);
      expectError('len(http.host) eq 1.2.3.4', 'Waf.TypeMismatch', 1, 19, /not an Ip/);
    });

    it('Waf.BadLiteral', () => {
      expectError('http.host eq "abc', 'Waf.BadLiteral', 1, 14, /unterminated string/);
      expectError('http.host eq r#"abc"', 'Waf.BadLiteral', 1, 14, /unterminated raw string/);
      expectError(String.raw`http.host eq "a\d"`, 'Waf.BadLiteral', 1, 16, /unknown escape/);
      expectError(String.raw`http.host eq "\x4g"`, 'Waf.BadLiteral', 1, 15, /two hex digits/);
      expectError('ip.src in {10.0.0.0/33}', 'Waf.BadLiteral', 1, 12, /prefix/);
      expectError('ip.src in {10.0.0.1/8}', 'Waf.BadLiteral', 1, 12, /host bits/);
      expectError('ip.src eq 300.1.1.1', 'Waf.BadLiteral', 1, 11, /not an IPv4 or IPv6 address/);
      expectError('ip.src eq 1:2:3:4:5:6:7:8:9', 'Waf.BadLiteral', 1, 11);
      expectError('ssl.client_cert.not_after gt 9007199254740993', 'Waf.BadLiteral', 1, 30, /out of range/);
      expectError('ssl.client_cert.not_after in {5..1}', 'Waf.BadLiteral', 1, 31, /empty/);
      expectError('http.request.headers["x y"] eq "a"', 'Waf.BadLiteral', 1, 22, /not a header name/);
      expectError('http.request.headers[""] eq "a"', 'Waf.BadLiteral', 1, 22);
    });

    it('Waf.BadRegex, keeping the engine error as cause', () => {
      const error = expectError('http.user_agent matches "(a"', 'Waf.BadRegex', 1, 25, /missing closing \)/);
      expect(error.cause).toBeInstanceOf(Error);
      expectError(String.raw`http.user_agent matches r"(?<!a)b"`, 'Waf.BadRegex', 1, 25);
      expectError(String.raw`http.user_agent matches r"(a)\1"`, 'Waf.BadRegex', 1, 25);
    });

    it('reports line and column on later lines, and a caret under the error', () => {
      const error = expectError('http.host eq "a"\n  and ssl.client_cert.verified contains "x"', 'Waf.TypeMismatch', 2, 32);
      expect(error.format()).toBe(
        [
          'Waf.TypeMismatch at 2:32: `contains` does not apply to ssl.client_cert.verified, a Bool; it takes eq, ne',
          '    and ssl.client_cert.verified contains "x"',
          '                                 ^^^^^^^^',
        ].join('\n'),
      );
    });
  });
});
