import type { RuleDefinition, RuleError } from './ruleset.ts';
import { WafError } from './waf-error.ts';

/**
 * A WAF custom rule in the shape of the original product's API (PascalCase members, as its
 * OpenAPI operations). Only the custom-rules phase is supported; of its actions, `deny`
 * (with `ResponseCode`, default 403) and `monitor` (log only) map to Portcullis actions, and
 * challenges have no equivalent on a mutual-TLS edge.
 */
export interface OriginalCustomRule {
  readonly Id?: string | number;
  readonly Name?: string;
  /** Must be `http_custom`. */
  readonly Phase: string;
  /** The rule expression, e.g. `(http.host eq "a.example.com")`; same language as ours. */
  readonly Expression: string;
  /** `deny` → `block`, `monitor` → `log`; anything else (`js`, `captcha`, …) is unsupported. */
  readonly Action: string;
  /** Status of a `deny`, 400–599; default 403. */
  readonly ResponseCode?: number;
  /** `on` (default) or `off`: `off` becomes a disabled rule. */
  readonly Status?: string;
}

/** Result of `fromOriginalRules`: our rule definitions, or every rule that cannot be mapped. */
export type OriginalRulesResult =
  { readonly ok: true; readonly rules: readonly RuleDefinition[] } | { readonly ok: false; readonly errors: readonly RuleError[] };

/**
 * Maps the original product's custom rules, in order, to `RuleDefinition`s for
 * `compileRuleset`. The id is `Id` as text, or `original-<n>` (1-based position) without one;
 * `Name` becomes the description. Each rule that cannot be mapped gives a
 * `Waf.UnsupportedRule` error (wrong phase, unsupported action or status); expressions are
 * not parsed here, `compileRuleset` checks them.
 */
export function fromOriginalRules(rules: readonly OriginalCustomRule[]): OriginalRulesResult {
  const errors: RuleError[] = [];
  const mapped: RuleDefinition[] = [];
  rules.forEach((rule, index) => {
    const id = rule.Id === undefined ? `original-${index + 1}` : String(rule.Id);
    const fail = (message: string) => errors.push({ ruleId: id, index, error: new WafError('Waf.UnsupportedRule', message) });
    if (rule.Phase !== 'http_custom') return fail(`phase ${JSON.stringify(rule.Phase)} is not supported; only http_custom`);
    if (rule.Status !== undefined && rule.Status !== 'on' && rule.Status !== 'off') {
      return fail(`status ${JSON.stringify(rule.Status)} must be on or off`);
    }
    const base = {
      id,
      expression: rule.Expression,
      enabled: rule.Status !== 'off',
      ...(rule.Name === undefined ? {} : { description: rule.Name }),
    };
    if (rule.Action === 'deny') mapped.push({ ...base, action: { type: 'block', status: rule.ResponseCode ?? 403 } });
    else if (rule.Action === 'monitor') mapped.push({ ...base, action: { type: 'log' } });
    else fail(`action ${JSON.stringify(rule.Action)} is not supported; deny and monitor are`);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, rules: mapped };
}
