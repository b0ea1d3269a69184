import { compileRuleset, type RuleDefinition, type RuleError, type RuleWarning } from '@portcullis/waf';
import type { WafAction, WafRule, WafRuleset } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import type { Stored } from '../store/store.ts';
import { accountOf, checkName } from './accounts.ts';
import { ApiError } from './api-error.ts';
import { commit, withRetry } from './commit.ts';
import { newId } from './ids.ts';
import { requireSite } from './sites.ts';

/** At most this many custom rules per site. */
export const maxRulesPerSite = 100;

export interface WafRuleInput {
  readonly name?: string;
  readonly expression: string;
  /** Default: block with 403. */
  readonly action?: WafAction;
  /** Default true. */
  readonly enabled?: boolean;
}

/** A changed rule with the warnings libs/waf raised about it (the rule is saved regardless). */
export interface SavedRule {
  readonly rule: WafRule;
  readonly warnings: readonly { code: string; message: string }[];
}

/** The rules of a site in evaluation order, and the ruleset's version (0 before any rule). */
export interface SiteRules {
  readonly siteId: string;
  readonly version: number;
  readonly rules: readonly WafRule[];
}

/**
 * WAF custom rules per site: an ordered list stored as one document, so every change (add,
 * edit, reorder, enable/disable) is one atomic, versioned write, guarded against concurrent
 * edits. Every change compiles the whole resulting ruleset with libs/waf — the engine the
 * edges run — so whatever is accepted here compiles at the edge.
 */
export function wafRulesService(deps: Deps) {
  const { store } = deps;

  async function load(accountId: string, siteId: string) {
    const site = await requireSite(store, accountId, siteId);
    return { site, held: await store.get('wafRuleset', siteId) };
  }

  /**
   * Applies `change` to the site's rules, validates the result and commits it guarded by the
   * version read; retried when another edit landed in between.
   */
  async function update(
    caller: Caller,
    siteId: string,
    action: string,
    ruleId: string,
    change: (rules: readonly WafRule[], now: string) => WafRule[],
  ): Promise<{ rules: WafRule[]; warnings: readonly RuleWarning[]; version: number }> {
    const accountId = accountOf(caller);
    return withRetry(async () => {
      const { site, held } = await load(accountId, siteId);
      const now = deps.now().toISOString();
      const rules = change(held?.data.rules ?? [], now);
      if (rules.length > maxRulesPerSite) throw new ApiError('QuotaExceeded.WafRule', { details: { max: maxRulesPerSite } });
      const warnings = validate(rules);
      const ruleset: WafRuleset = { id: siteId, accountId, siteId, rules, updatedAt: now };
      const version = await commit(store, caller, {
        // The site guard keeps rules from landing under a site deleted meanwhile.
        guards: [{ type: 'unchanged', kind: 'site', id: siteId, rev: site.rev }, guardFor(held, siteId)],
        ...(rules.length > 0
          ? { puts: [{ kind: 'wafRuleset', id: siteId, data: ruleset, indexes: [], uniques: [] }] }
          : { deletes: [{ kind: 'wafRuleset', id: siteId }] }),
        audit: [{ accountId, action, target: { kind: 'wafRuleset', id: siteId }, details: { ruleId, rules: rules.length } }],
      });
      return { rules, warnings, version };
    });
  }

  function savedRule(rules: readonly WafRule[], warnings: readonly RuleWarning[], id: string): SavedRule {
    const rule = rules.find((r) => r.id === id);
    if (!rule) throw new ApiError('NotFound.WafRule');
    return { rule, warnings: warnings.filter((w) => w.ruleId === id).map((w) => ({ code: w.warning.code, message: w.warning.message })) };
  }

  function requireRule(rules: readonly WafRule[], ruleId: string): WafRule {
    const rule = rules.find((r) => r.id === ruleId);
    if (!rule) throw new ApiError('NotFound.WafRule');
    return rule;
  }

  return {
    async list(caller: Caller, siteId: string): Promise<SiteRules> {
      const { held } = await load(accountOf(caller), siteId);
      return { siteId, version: held?.rev ?? 0, rules: held?.data.rules ?? [] };
    },

    async get(caller: Caller, siteId: string, ruleId: string): Promise<WafRule> {
      const { held } = await load(accountOf(caller), siteId);
      return requireRule(held?.data.rules ?? [], ruleId);
    },

    /** Adds a rule at `position` (0-based; default last). */
    async create(caller: Caller, siteId: string, input: WafRuleInput, position?: number): Promise<SavedRule> {
      // The empty name is "no name".
      if (input.name) checkName(input.name);
      const id = newId('wafRule');
      const { rules, warnings } = await update(caller, siteId, 'WafRule.Create', id, (current, now) => {
        const rule: WafRule = {
          id,
          name: input.name ?? '',
          expression: input.expression,
          action: input.action ?? { type: 'block', status: 403 },
          enabled: input.enabled ?? true,
          createdAt: now,
          updatedAt: now,
        };
        const at = position === undefined ? current.length : Math.min(Math.max(0, position), current.length);
        return [...current.slice(0, at), rule, ...current.slice(at)];
      });
      return savedRule(rules, warnings, id);
    },

    /** Changes the given fields of a rule (enable/disable is `{ enabled }`). */
    async update(caller: Caller, siteId: string, ruleId: string, input: Partial<WafRuleInput>): Promise<SavedRule> {
      if (input.name) checkName(input.name);
      const { rules, warnings } = await update(caller, siteId, 'WafRule.Update', ruleId, (current, now) => {
        requireRule(current, ruleId);
        return current.map((rule) =>
          rule.id === ruleId
            ? {
                ...rule,
                ...(input.name !== undefined ? { name: input.name } : {}),
                ...(input.expression !== undefined ? { expression: input.expression } : {}),
                ...(input.action !== undefined ? { action: input.action } : {}),
                ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
                updatedAt: now,
              }
            : rule,
        );
      });
      return savedRule(rules, warnings, ruleId);
    },

    async delete(caller: Caller, siteId: string, ruleId: string): Promise<void> {
      await update(caller, siteId, 'WafRule.Delete', ruleId, (current) => {
        requireRule(current, ruleId);
        return current.filter((rule) => rule.id !== ruleId);
      });
    },

    /** Puts the rules in the given order; `ruleIds` must name every rule exactly once. */
    async reorder(caller: Caller, siteId: string, ruleIds: readonly string[]): Promise<SiteRules> {
      const { rules, version } = await update(caller, siteId, 'WafRule.Reorder', '*', (current) => {
        const byId = new Map(current.map((rule) => [rule.id, rule]));
        if (ruleIds.length !== current.length || new Set(ruleIds).size !== ruleIds.length || !ruleIds.every((id) => byId.has(id))) {
          throw new ApiError('InvalidParameter', {
            message: 'ruleIds must list every rule of the site exactly once.',
            details: { expected: current.map((r) => r.id) },
          });
        }
        return ruleIds.map((id) => byId.get(id)!);
      });
      return { siteId, version, rules };
    },
  };
}

/** Our stored rules as libs/waf rule definitions (the name becomes the description). */
export function ruleDefinitions(rules: readonly WafRule[]): RuleDefinition[] {
  return rules.map((rule) => ({
    id: rule.id,
    expression: rule.expression,
    action: rule.action,
    enabled: rule.enabled,
    ...(rule.name ? { description: rule.name } : {}),
  }));
}

/** Compiles the rules as the edges will; throws every error found as one `Waf.*` ApiError. */
function validate(rules: readonly WafRule[]): readonly RuleWarning[] {
  const result = compileRuleset(ruleDefinitions(rules));
  if (!result.ok) throw wafRuleErrors(result.errors);
  return result.warnings;
}

/**
 * An ApiError for rule errors: the first error's code (e.g. `Waf.Syntax`) and caret display,
 * with every error in `details.errors` (rule id, code, message, line, column).
 */
export function wafRuleErrors(errors: readonly RuleError[]): ApiError {
  const [first] = errors as [RuleError, ...RuleError[]];
  return new ApiError(
    { name: 'WafError', code: first.error.code, status: first.error.httpStatus, message: first.error.format() },
    {
      details: {
        errors: errors.map(({ ruleId, error }) => ({
          ruleId,
          code: error.code,
          message: error.message,
          ...(error.position ? { line: error.position.line, column: error.position.column } : {}),
        })),
      },
    },
  );
}

function guardFor(held: Stored<WafRuleset> | undefined, siteId: string) {
  return held
    ? { type: 'unchanged' as const, kind: 'wafRuleset' as const, id: siteId, rev: held.rev }
    : { type: 'absent' as const, kind: 'wafRuleset' as const, id: siteId };
}
