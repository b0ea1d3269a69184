import { describe, expect, it } from 'vitest';
import { compileRuleset, type CompiledRuleset, type RuleDefinition } from './ruleset.ts';
import { cert, request } from './test/facts.ts';

function compiled(rules: readonly RuleDefinition[]): CompiledRuleset {
  const result = compileRuleset(rules);
  if (!result.ok) throw new Error(result.errors.map((e) => e.error.format()).join('\n'));
  return result.ruleset;
}

const mtls: RuleDefinition = {
  id: 'mtls',
  expression: 'http.host eq "a.example.com" and not ssl.client_cert.verified',
  action: { type: 'block' },
};

describe('compileRuleset', () => {
  it('blocks with 403 by default, naming the rule', () => {
    const ruleset = compiled([mtls]);
    expect(ruleset.evaluate(request())).toEqual({ action: 'block', ruleId: 'mtls', response: { status: 403 }, logged: [] });
    expect(ruleset.evaluate(request({ clientCert: cert() }))).toEqual({ action: 'pass', ruleId: null, logged: [] });
  });

  it('applies block status, body and content type', () => {
    const ruleset = compiled([
      { id: 'teapot', expression: 'http.request.uri.path eq "/tea"', action: { type: 'block', status: 418, body: 'short and stout' } },
      {
        id: 'json',
        expression: 'http.request.uri.path eq "/j"',
        action: { type: 'block', status: 451, body: '{}', contentType: 'application/json' },
      },
    ]);
    expect(ruleset.evaluate(request({ path: '/tea' }))).toMatchObject({
      response: { status: 418, body: 'short and stout', contentType: 'text/plain; charset=utf-8' },
    });
    expect(ruleset.evaluate(request({ path: '/j' }))).toMatchObject({
      response: { status: 451, body: '{}', contentType: 'application/json' },
    });
  });

  it('runs rules in order: log continues, allow and block terminate, first terminating wins', () => {
    const ruleset = compiled([
      { id: 'log-api', expression: 'starts_with(http.request.uri.path, "/api")', action: { type: 'log' } },
      { id: 'allow-health', expression: 'http.request.uri.path eq "/api/health"', action: { type: 'allow' } },
      { id: 'log-all', expression: 'ssl', action: { type: 'log' } },
      mtls,
      { id: 'never', expression: 'ssl', action: { type: 'block', status: 500 } },
    ]);
    expect(ruleset.evaluate(request({ path: '/api/health' }))).toEqual({ action: 'allow', ruleId: 'allow-health', logged: ['log-api'] });
    expect(ruleset.evaluate(request({ path: '/api/x' }))).toEqual({
      action: 'block',
      ruleId: 'mtls',
      response: { status: 403 },
      logged: ['log-api', 'log-all'],
    });
    expect(ruleset.evaluate(request({ path: '/api/x', host: 'b.example.com' }))).toMatchObject({ action: 'block', ruleId: 'never' });
    expect(ruleset.evaluate(request({ tls: false, host: 'b.example.com' }))).toEqual({ action: 'pass', ruleId: null, logged: [] });
    expect(ruleset.evaluate(request({ tls: false, host: 'b.example.com', path: '/api' }))).toEqual({
      action: 'pass',
      ruleId: null,
      logged: ['log-api'],
    });
  });

  it('skips disabled rules but still checks them', () => {
    const ruleset = compiled([
      { ...mtls, enabled: false },
      { id: 'log', expression: 'ssl', action: { type: 'log' } },
    ]);
    expect(ruleset.evaluate(request())).toEqual({ action: 'pass', ruleId: null, logged: ['log'] });
    expect(ruleset.rules.map((r) => [r.id, r.enabled])).toEqual([
      ['mtls', false],
      ['log', true],
    ]);
    expect(compileRuleset([{ ...mtls, enabled: false, expression: 'http.hots eq "a"' }]).ok).toBe(false);
  });

  it('lists the fields the enabled rules read', () => {
    const ruleset = compiled([mtls, { id: 'x', expression: 'ip.src in {10.0.0.0/8}', action: { type: 'log' }, enabled: false }]);
    expect([...ruleset.fields].sort()).toEqual(['http.host', 'ssl.client_cert.verified']);
  });

  it('returns shared decisions on the common path, and fresh ones when rules logged', () => {
    const ruleset = compiled([{ id: 'log', expression: 'http.request.method eq "POST"', action: { type: 'log' } }, mtls]);
    const first = ruleset.evaluate(request());
    expect(ruleset.evaluate(request())).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(ruleset.evaluate(request({ method: 'POST' }))).not.toBe(first);
  });

  it('reports every error of every rule, with its id and index', () => {
    const result = compileRuleset([
      mtls,
      { id: 'bad-field', expression: 'http.hots eq "a"', action: { type: 'log' } },
      { id: 'mtls', expression: 'ssl', action: { type: 'log' } },
      { id: '', expression: 'ssl', action: { type: 'log' } },
      { id: 'bad-type', expression: 'ssl contains "x"', action: { type: 'log' } },
      { id: 'bad-status', expression: 'ssl', action: { type: 'block', status: 302 } },
      { id: 'bad-action', expression: 'ssl', action: { type: 'challenge' } as unknown as RuleDefinition['action'] },
      { id: 'bad-content-type', expression: 'ssl', action: { type: 'block', body: 'x', contentType: 'text/html\r\nSet-Cookie: a=b' } },
      { id: 'bad-enabled', expression: 'ssl', action: { type: 'log' }, enabled: 'yes' as unknown as boolean },
      { id: 'no-expression', action: { type: 'log' } } as unknown as RuleDefinition,
      null as unknown as RuleDefinition,
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.index, e.ruleId, e.error.code])).toEqual([
      [1, 'bad-field', 'Waf.UnknownField'],
      [2, 'mtls', 'Waf.DuplicateRuleId'],
      [3, '', 'Waf.BadRule'],
      [4, 'bad-type', 'Waf.TypeMismatch'],
      [5, 'bad-status', 'Waf.BadRule'],
      [6, 'bad-action', 'Waf.BadRule'],
      [7, 'bad-content-type', 'Waf.BadRule'],
      [8, 'bad-enabled', 'Waf.BadRule'],
      [9, 'no-expression', 'Waf.BadRule'],
      [10, null, 'Waf.BadRule'],
    ]);
    expect(result.errors[0]!.error.position).toEqual({ offset: 0, line: 1, column: 1 });
  });

  it('returns analysis warnings per rule', () => {
    const result = compileRuleset([{ id: 'everywhere', expression: 'not ssl.client_cert.verified', action: { type: 'block' } }, mtls]);
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => [w.ruleId, w.index, w.warning.code])).toEqual([['everywhere', 0, 'Waf.CertWithoutHost']]);
  });

  it('accepts an empty ruleset, which passes everything', () => {
    expect(compiled([]).evaluate(request())).toEqual({ action: 'pass', ruleId: null, logged: [] });
  });
});
