import { analyzeExpression, type WafWarning } from './analysis.ts';
import type { Expression } from './ast.ts';
import { compilePredicate, type Predicate } from './compiler.ts';
import { EvaluationContext } from './evaluation-context.ts';
import { WAF_LIMITS } from './limits.ts';
import { parseExpression } from './parser.ts';
import type { RequestFacts } from './request-facts.ts';
import type { FieldName } from './scheme.ts';
import { WafError } from './waf-error.ts';

/**
 * What a rule does when its expression matches:
 * - `block`: answer with `status` (default 403, 400–599) and, when set, `body` and
 *   `contentType` (default `text/plain; charset=utf-8` when there is a body); terminating;
 * - `log`: record the match (monitor only) and go on with the next rule;
 * - `allow`: let the request through and skip the remaining rules; terminating.
 */
export type RuleAction =
  | { readonly type: 'block'; readonly status?: number; readonly body?: string; readonly contentType?: string }
  | { readonly type: 'log' }
  | { readonly type: 'allow' };

/** One rule as the control plane stores it. Rules of a ruleset run in array order. */
export interface RuleDefinition {
  /** Unique in the ruleset; visible ASCII, at most `WAF_LIMITS.maxRuleIdLength` characters. */
  readonly id: string;
  readonly expression: string;
  readonly action: RuleAction;
  /** Disabled rules are compiled and checked but never evaluated. Default true. */
  readonly enabled?: boolean;
  readonly description?: string;
}

/** A block action with its defaults applied. */
export interface BlockResponse {
  readonly status: number;
  /** Absent when the rule sets no body: the edge then sends its own error page. */
  readonly body?: string;
  readonly contentType?: string;
}

/** A rule after compilation. */
export interface CompiledRule {
  readonly id: string;
  readonly enabled: boolean;
  readonly description: string | undefined;
  readonly ast: Expression;
  readonly action: { readonly type: 'block'; readonly response: BlockResponse } | { readonly type: 'log' } | { readonly type: 'allow' };
}

/**
 * The outcome of a ruleset for one request. `ruleId` is the rule that decided (`null` for
 * `pass`: no terminating rule matched); `logged` lists, in order, the `log` rules that matched
 * before the decision. Decisions may be shared frozen objects: do not mutate them.
 */
export type Decision =
  | { readonly action: 'block'; readonly ruleId: string; readonly response: BlockResponse; readonly logged: readonly string[] }
  | { readonly action: 'allow'; readonly ruleId: string; readonly logged: readonly string[] }
  | { readonly action: 'pass'; readonly ruleId: null; readonly logged: readonly string[] };

/** A compiled ruleset, immutable and safe to share between concurrent requests. */
export interface CompiledRuleset {
  /** Every rule, enabled or not, in order. */
  readonly rules: readonly CompiledRule[];
  /** Fields read by the enabled rules: the edge may skip building facts nothing reads. */
  readonly fields: ReadonlySet<FieldName>;
  /**
   * Runs the enabled rules in order until a terminating action (`block`, `allow`) matches.
   * Never throws, never mutates `facts`; values derived from the facts (parsed source address,
   * full URI) are computed at most once per call, and only if a rule reads them.
   */
  evaluate(facts: RequestFacts): Decision;
}

/**
 * An error in one rule (`index` in the input, and its `ruleId` when it has a usable one) or,
 * with both null, in the ruleset as a whole.
 */
export interface RuleError {
  readonly ruleId: string | null;
  readonly index: number | null;
  readonly error: WafError;
}

/** A warning about one rule. */
export interface RuleWarning {
  readonly ruleId: string;
  readonly index: number;
  readonly warning: WafWarning;
}

/** Result of `compileRuleset`: the ruleset, or every error found (never just the first). */
export type RulesetResult =
  | { readonly ok: true; readonly ruleset: CompiledRuleset; readonly warnings: readonly RuleWarning[] }
  | { readonly ok: false; readonly errors: readonly RuleError[]; readonly warnings: readonly RuleWarning[] };

const defaultContentType = 'text/plain; charset=utf-8';
const ruleIdPattern = /^[\x21-\x7e]+$/;
const contentTypePattern = /^[\x20-\x7e]{1,256}$/;
const noneLogged: readonly string[] = Object.freeze([]);
const passDecision: Decision = Object.freeze({ action: 'pass', ruleId: null, logged: noneLogged });

/**
 * Validates and compiles a ruleset. Every rule is checked, enabled or not, and every problem is
 * reported with its rule: `Waf.BadRule` (id, action, status, body, content type),
 * `Waf.DuplicateRuleId`, the expression's parse errors; `Waf.TooManyRules` (rule and index
 * null) over `WAF_LIMITS.maxRules`. Warnings of `analyzeExpression` come with each rule.
 * The input is checked at run time too, so it may come straight from decoded JSON.
 */
export function compileRuleset(definitions: readonly RuleDefinition[]): RulesetResult {
  const errors: RuleError[] = [];
  const warnings: RuleWarning[] = [];
  if (definitions.length > WAF_LIMITS.maxRules) {
    // Checking each rule of an oversized ruleset would make the limit a cost instead of a bound.
    const error = new WafError('Waf.TooManyRules', `a ruleset holds at most ${WAF_LIMITS.maxRules} rules, not ${definitions.length}`);
    return { ok: false, errors: [{ ruleId: null, index: null, error }], warnings };
  }
  const rules: CompiledRule[] = [];
  const predicates: Predicate[] = [];
  const fieldsByRule: (readonly FieldName[])[] = [];
  const seen = new Set<string>();
  definitions.forEach((definition, index) => {
    if (typeof definition !== 'object' || definition === null) {
      errors.push({ ruleId: null, index, error: new WafError('Waf.BadRule', 'a rule must be an object') });
      return;
    }
    const ruleId = typeof definition.id === 'string' ? definition.id : null;
    const id = ruleId ?? '';
    const fail = (error: WafError) => errors.push({ ruleId, index, error });
    const shapeError = checkShape(definition);
    if (shapeError) fail(new WafError('Waf.BadRule', shapeError));
    if (ruleId !== null && seen.has(ruleId)) {
      fail(new WafError('Waf.DuplicateRuleId', `rule id "${ruleId}" is used by an earlier rule`));
    }
    if (ruleId !== null) seen.add(ruleId);
    if (typeof definition.expression !== 'string') return;
    let ast: Expression;
    try {
      ast = parseExpression(definition.expression);
    } catch (error) {
      if (!(error instanceof WafError)) throw error;
      fail(error);
      return;
    }
    const analysis = analyzeExpression(ast);
    for (const warning of analysis.warnings) warnings.push({ ruleId: id, index, warning });
    if (shapeError) return;
    rules.push({
      id,
      enabled: definition.enabled !== false,
      description: definition.description,
      ast,
      action: normaliseAction(definition.action),
    });
    predicates.push(compilePredicate(ast));
    fieldsByRule.push(analysis.fields);
  });
  if (errors.length > 0) return { ok: false, errors, warnings };
  return { ok: true, ruleset: buildRuleset(rules, predicates, fieldsByRule), warnings };
}

function checkShape(definition: RuleDefinition): string | undefined {
  const { id, expression, action, enabled, description } = definition as Partial<RuleDefinition>;
  if (typeof id !== 'string' || !ruleIdPattern.test(id) || id.length > WAF_LIMITS.maxRuleIdLength) {
    return `rule id must be 1 to ${WAF_LIMITS.maxRuleIdLength} visible ASCII characters`;
  }
  if (typeof expression !== 'string') return 'expression must be a string';
  if (enabled !== undefined && typeof enabled !== 'boolean') return 'enabled must be true or false';
  if (description !== undefined && typeof description !== 'string') return 'description must be a string';
  if (typeof action !== 'object' || action === null) return 'action must be an object with a type';
  switch (action.type) {
    case 'log':
    case 'allow':
      return undefined;
    case 'block': {
      const { status, body, contentType } = action;
      if (status !== undefined && !(Number.isInteger(status) && status >= 400 && status <= 599)) {
        return 'block status must be an integer from 400 to 599';
      }
      if (body !== undefined && (typeof body !== 'string' || body.length > WAF_LIMITS.maxResponseBodyLength)) {
        return `block body must be a string of at most ${WAF_LIMITS.maxResponseBodyLength} characters`;
      }
      // Sent as UTF-8: a lone surrogate would reach the client as U+FFFD, not as written.
      if (typeof body === 'string' && !body.isWellFormed()) return 'block body must be well-formed text (no lone surrogates)';
      // The content type becomes a response header: no control characters, so no header injection.
      if (contentType !== undefined && (typeof contentType !== 'string' || !contentTypePattern.test(contentType))) {
        return 'block content type must be 1 to 256 printable ASCII characters';
      }
      return undefined;
    }
    default:
      return `action type must be block, log or allow, not ${JSON.stringify((action as { type?: unknown }).type)}`;
  }
}

function normaliseAction(action: RuleAction): CompiledRule['action'] {
  if (action.type !== 'block') return { type: action.type };
  const response: BlockResponse =
    action.body === undefined
      ? { status: action.status ?? 403 }
      : { status: action.status ?? 403, body: action.body, contentType: action.contentType ?? defaultContentType };
  return { type: 'block', response: Object.freeze(response) };
}

interface ActiveRule {
  readonly id: string;
  readonly predicate: Predicate;
  readonly action: CompiledRule['action'];
  /** The decision when no log rule matched before: shared, so the common path allocates nothing. */
  readonly decision: Decision | null;
}

function buildRuleset(
  rules: readonly CompiledRule[],
  predicates: readonly Predicate[],
  fieldsByRule: readonly (readonly FieldName[])[],
): CompiledRuleset {
  const active: ActiveRule[] = [];
  const fields = new Set<FieldName>();
  rules.forEach((rule, i) => {
    if (!rule.enabled) return;
    for (const field of fieldsByRule[i]!) fields.add(field);
    active.push({ id: rule.id, predicate: predicates[i]!, action: rule.action, decision: decide(rule, noneLogged) });
  });
  return Object.freeze({
    rules: Object.freeze([...rules]),
    fields,
    evaluate(facts: RequestFacts): Decision {
      const ctx = new EvaluationContext(facts);
      let logged: string[] | undefined;
      for (let i = 0; i < active.length; i++) {
        const rule = active[i]!;
        if (!rule.predicate(ctx)) continue;
        if (rule.decision === null) (logged ??= []).push(rule.id);
        else return logged === undefined ? rule.decision : decide(rule, logged)!;
      }
      return logged === undefined ? passDecision : { action: 'pass', ruleId: null, logged };
    },
  });
}

function decide(rule: Pick<CompiledRule, 'id' | 'action'>, logged: readonly string[]): Decision | null {
  switch (rule.action.type) {
    case 'log':
      return null;
    case 'allow':
      return Object.freeze({ action: 'allow', ruleId: rule.id, logged });
    case 'block':
      return Object.freeze({ action: 'block', ruleId: rule.id, response: rule.action.response, logged });
  }
}
