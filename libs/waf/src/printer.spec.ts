import { describe, expect, it } from 'vitest';
import type { Expression } from './ast.ts';
import { parseExpression } from './parser.ts';
import { printExpression } from './printer.ts';

describe('printExpression', () => {
  it.each([
    ['(http.host == "a.example.com" && !ssl.client_cert.verified)', 'http.host eq "a.example.com" and not ssl.client_cert.verified'],
    ['ssl || ssl.client_cert.presented && ssl.client_cert.revoked', 'ssl or ssl.client_cert.presented and ssl.client_cert.revoked'],
    ['(ssl or ssl.client_cert.presented) and ssl.client_cert.revoked', '(ssl or ssl.client_cert.presented) and ssl.client_cert.revoked'],
    ['ssl and (ssl.client_cert.presented and ssl.client_cert.revoked)', 'ssl and (ssl.client_cert.presented and ssl.client_cert.revoked)'],
    ['(ssl ^^ ssl) || ssl', 'ssl xor ssl or ssl'],
    ['ssl ^^ (ssl || ssl)', 'ssl xor (ssl or ssl)'],
    ['!(ssl && ssl)', 'not (ssl and ssl)'],
    ['not not ssl', 'not not ssl'],
    ['!http.host == "a"', 'not http.host eq "a"'],
    ['http.request.uri.path starts_with "/a"', 'starts_with(http.request.uri.path, "/a")'],
    ['ends_with(http.host,".x")', 'ends_with(http.host, ".x")'],
    ['http.request.headers["X-A"] ~ "b"', 'http.request.headers["x-a"] matches "b"'],
    [String.raw`http.user_agent matches "a\\d"`, String.raw`http.user_agent matches r"a\d"`],
    [String.raw`http.user_agent matches r#"\d"x"#`, String.raw`http.user_agent matches r#"\d"x"#`],
    [String.raw`http.host eq r"a\b"`, String.raw`http.host eq "a\\b"`],
    ['http.host eq "tab\there\x01"', String.raw`http.host eq "tab\there\x01"`],
    ['ip.src in {10.0.0.0/8, 2001:DB8::/32,::ffff:1.2.3.4}', 'ip.src in {10.0.0.0/8 2001:db8::/32 1.2.3.4}'],
    ['ssl.client_cert.not_after in {1, 007..9 -3}', 'ssl.client_cert.not_after in {1 7..9 -3}'],
    ['len(lower(http.request.headers["a"]))>=-0', 'len(lower(http.request.headers["a"])) ge 0'],
    ['ssl == true', 'ssl eq true'],
  ])('prints %s as %s', (source, canonical) => {
    const printed = printExpression(parseExpression(source));
    expect(printed).toBe(canonical);
    expect(printExpression(parseExpression(printed))).toBe(canonical);
  });

  it('keeps the structure of any nesting of same-operator chains', () => {
    const ast: Expression = {
      kind: 'logical',
      operator: 'or',
      operands: [
        {
          kind: 'logical',
          operator: 'or',
          operands: [
            { kind: 'field', name: 'ssl' },
            { kind: 'field', name: 'ssl' },
          ],
        },
        {
          kind: 'not',
          operand: {
            kind: 'logical',
            operator: 'xor',
            operands: [
              { kind: 'field', name: 'ssl' },
              { kind: 'field', name: 'ssl' },
            ],
          },
        },
      ],
    };
    expect(printExpression(ast)).toBe('(ssl or ssl) or not (ssl xor ssl)');
    expect(parseExpression(printExpression(ast))).toEqual(ast);
  });
});
