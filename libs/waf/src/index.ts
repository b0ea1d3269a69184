// @portcullis/waf: the rule language every edge runs on every request. A typed field scheme,
// a parser with positioned errors, a serialisable AST and its printer, a compiler to closures,
// rulesets with first-terminating-action-wins evaluation, and analysis for the control plane.
// Each export's contract is in the doc comment at its declaration.

// Errors and limits
export { WafError, WAF_ERROR_CODES } from './waf-error.ts';
export type { WafErrorCode, WafErrorOptions, SourcePosition } from './waf-error.ts';
export { WAF_LIMITS } from './limits.ts';

// The scheme and the facts it is evaluated on
export { WAF_FIELDS } from './scheme.ts';
export type { FieldDefinition, FieldName, ValueType } from './scheme.ts';
export { NO_CLIENT_CERT, CLIENT_CERT_ERRORS } from './request-facts.ts';
export type { RequestFacts, ClientCertFacts, ClientCertError } from './request-facts.ts';

// Expressions: parse, print, compile, analyse
export type {
  Expression,
  ValueNode,
  FieldNode,
  IndexNode,
  CallNode,
  CompareNode,
  CompareOperator,
  InNode,
  NotNode,
  LogicalNode,
  Literal,
  ListItem,
  StringLiteral,
  IntLiteral,
  BoolLiteral,
  IpLiteral,
  IntRangeLiteral,
} from './ast.ts';
export { parseExpression } from './parser.ts';
export { printExpression } from './printer.ts';
export { compileExpression } from './compiler.ts';
export type { CompiledExpression } from './compiler.ts';
export { analyzeExpression, WAF_WARNING_CODES } from './analysis.ts';
export type { ExpressionAnalysis, WafWarning, WafWarningCode } from './analysis.ts';

// Rulesets
export { compileRuleset } from './ruleset.ts';
export type {
  RuleDefinition,
  RuleAction,
  CompiledRuleset,
  CompiledRule,
  BlockResponse,
  Decision,
  RuleError,
  RuleWarning,
  RulesetResult,
} from './ruleset.ts';
export { fromOriginalRules } from './original-rule.ts';
export type { OriginalCustomRule, OriginalRulesResult } from './original-rule.ts';
