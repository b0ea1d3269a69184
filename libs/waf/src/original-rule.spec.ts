import { describe, expect, it } from 'vitest';
import { fromOriginalRules } from './original-rule.ts';
import { compileRuleset } from './ruleset.ts';
import { request } from './test/facts.ts';

describe('fromOriginalRules', () => {
  it('maps deny and monitor rules of the http_custom phase, in order', () => {
    const result = fromOriginalRules([
      { Id: 7, Name: 'watch', Phase: 'http_custom', Expression: '(http.request.uri.path eq "/")', Action: 'monitor' },
      {
        Name: 'block failed mTLS',
        Phase: 'http_custom',
        Expression: '(http.host eq "a.example.com" and not ssl.client_cert.verified)',
        Action: 'deny',
        ResponseCode: 403,
      },
      { Phase: 'http_custom', Expression: '(ssl)', Action: 'deny', Status: 'off' },
    ]);
    expect(result).toEqual({
      ok: true,
      rules: [
        { id: '7', description: 'watch', expression: '(http.request.uri.path eq "/")', enabled: true, action: { type: 'log' } },
        {
          id: 'original-2',
          description: 'block failed mTLS',
          expression: '(http.host eq "a.example.com" and not ssl.client_cert.verified)',
          enabled: true,
          action: { type: 'block', status: 403 },
        },
        { id: 'original-3', expression: '(ssl)', enabled: false, action: { type: 'block', status: 403 } },
      ],
    });
    if (!result.ok) return;
    const compiled = compileRuleset(result.rules);
    expect(compiled.ok && compiled.ruleset.evaluate(request())).toEqual({
      action: 'block',
      ruleId: 'original-2',
      response: { status: 403 },
      logged: ['7'],
    });
  });

  it('reports every rule it cannot map', () => {
    const result = fromOriginalRules([
      { Phase: 'http_ratelimit', Expression: 'ssl', Action: 'deny' },
      { Phase: 'http_custom', Expression: 'ssl', Action: 'js' },
      { Phase: 'http_custom', Expression: 'ssl', Action: 'deny', Status: 'maybe' },
      { Phase: 'http_custom', Expression: 'ssl', Action: 'monitor' },
    ]);
    expect(result.ok ? [] : result.errors.map((e) => [e.index, e.ruleId, e.error.code])).toEqual([
      [0, 'original-1', 'Waf.UnsupportedRule'],
      [1, 'original-2', 'Waf.UnsupportedRule'],
      [2, 'original-3', 'Waf.UnsupportedRule'],
    ]);
  });

  it('leaves the response code to compileRuleset to check', () => {
    const result = fromOriginalRules([{ Phase: 'http_custom', Expression: 'ssl', Action: 'deny', ResponseCode: 200 }]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const compiled = compileRuleset(result.rules);
    expect(compiled.ok ? [] : compiled.errors.map((e) => e.error.code)).toEqual(['Waf.BadRule']);
  });
});
