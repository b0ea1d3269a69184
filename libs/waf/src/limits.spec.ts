import { describe, expect, it } from 'vitest';
import { WAF_LIMITS } from './limits.ts';
import { parseExpression } from './parser.ts';
import { compileRuleset, type RuleDefinition } from './ruleset.ts';
import { WafError, type WafErrorCode } from './waf-error.ts';

function parseError(source: string): WafError | undefined {
  try {
    parseExpression(source);
    return undefined;
  } catch (error) {
    if (error instanceof WafError) return error;
    throw error;
  }
}

function expectAtLimit(atLimit: string, overLimit: string, code: WafErrorCode, column: number): void {
  expect(parseError(atLimit)).toBeUndefined();
  const error = parseError(overLimit);
  expect({ code: error?.code, column: error?.position?.column }).toEqual({ code, column });
}

describe('WAF_LIMITS', () => {
  it('are the documented figures', () => {
    expect(WAF_LIMITS).toMatchObject({
      maxExpressionLength: 4096,
      maxDepth: 32,
      maxListSize: 1000,
      maxRegexLength: 1024,
      maxRegexProgramSize: 4096,
      maxRules: 500,
    });
  });

  it('expression length: 4096 characters', () => {
    const padded = (length: number) => `http.host eq "${'a'.repeat(length - 15)}"`;
    expect(padded(4096)).toHaveLength(4096);
    expectAtLimit(padded(4096), padded(4097), 'Waf.TooLong', 4097);
  });

  it('nesting depth: 32 levels of parentheses, not and function calls', () => {
    const parens = (n: number) => `${'('.repeat(n)}ssl${')'.repeat(n)}`;
    expectAtLimit(parens(32), parens(33), 'Waf.TooDeep', 33);
    const nots = (n: number) => `${'not '.repeat(n)}ssl`;
    expectAtLimit(nots(32), nots(33), 'Waf.TooDeep', 129);
    const calls = (n: number) => `len(${'lower('.repeat(n - 1)}http.host${')'.repeat(n)} gt 1`;
    expectAtLimit(calls(32), calls(33), 'Waf.TooDeep', 4 + 6 * 31 + 1);
    const mixed = (n: number) => `${'(not '.repeat(n)}ssl${')'.repeat(n)}`;
    expectAtLimit(mixed(16), mixed(17), 'Waf.TooDeep', 5 * 16 + 1);
    expect(parseError(`ssl${' and ssl'.repeat(400)}`)).toBeUndefined();
  });

  it('list size: 1000 items', () => {
    const list = (n: number) => `ssl.client_cert.not_after in {${'1 '.repeat(n)}}`;
    expectAtLimit(list(1000), list(1001), 'Waf.ListTooLarge', 31 + 2 * 1000);
  });

  it('regex pattern: 1024 characters', () => {
    const pattern = (n: number) => `http.user_agent matches "${'a'.repeat(n)}"`;
    expectAtLimit(pattern(1024), pattern(1025), 'Waf.RegexTooLarge', 25);
  });

  it('regex program: 4096 instructions', () => {
    // a{1000} compiles to 1002 instructions; four of them and a{k} to 4002 + k.
    const program = (k: number) => `http.user_agent matches "${'a{1000}'.repeat(4)}a{${k}}"`;
    expectAtLimit(program(94), program(95), 'Waf.RegexTooLarge', 25);
    expect(parseError(program(95))?.message).toMatch(/4097 instructions/);
  });

  describe('rulesets', () => {
    const rule = (id: string): RuleDefinition => ({ id, expression: 'ssl', action: { type: 'log' } });
    it('rules: 500', () => {
      expect(compileRuleset(Array.from({ length: 500 }, (_, i) => rule(`r${i}`))).ok).toBe(true);
      const over = compileRuleset(Array.from({ length: 501 }, (_, i) => rule(`r${i}`)));
      expect(over.ok).toBe(false);
      if (!over.ok) expect(over.errors.map((e) => [e.error.code, e.ruleId, e.index])).toEqual([['Waf.TooManyRules', null, null]]);
    });

    it('rule id: 128 characters', () => {
      expect(compileRuleset([rule('i'.repeat(128))]).ok).toBe(true);
      const over = compileRuleset([rule('i'.repeat(129))]);
      expect(over.ok ? [] : over.errors.map((e) => e.error.code)).toEqual(['Waf.BadRule']);
    });

    it('block body: 8192 characters', () => {
      const block = (n: number): RuleDefinition => ({ id: 'b', expression: 'ssl', action: { type: 'block', body: 'x'.repeat(n) } });
      expect(compileRuleset([block(8192)]).ok).toBe(true);
      const over = compileRuleset([block(8193)]);
      expect(over.ok ? [] : over.errors.map((e) => e.error.code)).toEqual(['Waf.BadRule']);
    });
  });
});
