/**
 * The limits of the rule language. They are part of the API: the control plane rejects a rule
 * over a limit with the matching `WafError` code, and edges compile with the same figures, so a
 * rule the control plane accepted never fails on an edge. Each bound is inclusive (a value
 * equal to the limit is accepted). Raising one is a compatible change; lowering one is not.
 */
export const WAF_LIMITS = {
  /** Characters (UTF-16 code units) in one expression, as the original product: `Waf.TooLong`. */
  maxExpressionLength: 4096,
  /**
   * Nesting of parentheses, `not` / `!` and function calls around any point of an expression:
   * `Waf.TooDeep`. It bounds the parser's and the evaluator's recursion.
   */
  maxDepth: 32,
  /** Items (values, ranges, CIDRs) in one `in {…}` list: `Waf.ListTooLarge`. */
  maxListSize: 1000,
  /** Characters in one regex pattern: `Waf.RegexTooLarge`. */
  maxRegexLength: 1024,
  /**
   * Instructions of one compiled regex program (re2js `programSize()`), which bounds the
   * memory and per-character work of matching: `Waf.RegexTooLarge`.
   */
  maxRegexProgramSize: 4096,
  /** Rules in one ruleset, enabled or not: `Waf.TooManyRules`. */
  maxRules: 500,
  /** Characters of a rule id: `Waf.BadRule`. */
  maxRuleIdLength: 128,
  /** Characters of a block action's response body: `Waf.BadRule`. */
  maxResponseBodyLength: 8192,
} as const;
