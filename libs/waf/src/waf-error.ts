/**
 * The closed set of WAF error codes. Codes are stable: the control plane returns them to API
 * callers and the console keys its help text on them, so a code is never renamed or reused.
 */
export const WAF_ERROR_CODES = {
  /** The text is not a well-formed expression (unexpected character or token, missing `)`…). */
  'Waf.Syntax': 'syntax error',
  /** A name that is not a field of the scheme. */
  'Waf.UnknownField': 'unknown field',
  /** A call to a function the language does not have. */
  'Waf.UnknownFunction': 'unknown function',
  /** An operator, function or literal that does not fit the type of the value it applies to. */
  'Waf.TypeMismatch': 'type mismatch',
  /** A literal that cannot be read: unterminated string, bad escape, bad integer, IP or CIDR. */
  'Waf.BadLiteral': 'bad literal',
  /** A regular expression the linear-time engine rejects. */
  'Waf.BadRegex': 'bad regular expression',
  /** An expression longer than `WAF_LIMITS.maxExpressionLength`. */
  'Waf.TooLong': 'expression too long',
  /** Parentheses, `not` and function calls nested deeper than `WAF_LIMITS.maxDepth`. */
  'Waf.TooDeep': 'expression nested too deeply',
  /** An `in {…}` list with more than `WAF_LIMITS.maxListSize` items. */
  'Waf.ListTooLarge': 'list too large',
  /** A regex pattern or its compiled program over the limits of `WAF_LIMITS`. */
  'Waf.RegexTooLarge': 'regular expression too large',
  /** A ruleset with more than `WAF_LIMITS.maxRules` rules. */
  'Waf.TooManyRules': 'too many rules',
  /** A rule whose shape is invalid: id, action, response status, body or content type. */
  'Waf.BadRule': 'invalid rule',
  /** Two rules of one ruleset with the same id. */
  'Waf.DuplicateRuleId': 'duplicate rule id',
  /** A rule of the original product with an action or phase Portcullis does not run. */
  'Waf.UnsupportedRule': 'unsupported rule',
} as const;

/** A stable WAF error code; see `WAF_ERROR_CODES` for the meaning of each. */
export type WafErrorCode = keyof typeof WAF_ERROR_CODES;

/** Where in an expression's source an error was found. Lines and columns start at 1. */
export interface SourcePosition {
  /** Offset in UTF-16 code units from the start of the source. */
  readonly offset: number;
  readonly line: number;
  /** Column in UTF-16 code units, so a tab counts as one column. */
  readonly column: number;
}

/** Options of `WafError`: where the error is, and the underlying error kept for logs. */
export interface WafErrorOptions {
  /** The full expression source, used for the position and `format()`'s caret line. */
  readonly source?: string;
  /** Offset of the error in `source`. */
  readonly offset?: number;
  /** How many code units the caret underlines (at least one). */
  readonly length?: number;
  /** The error of an underlying library (e.g. the regex engine); for logs only. */
  readonly cause?: unknown;
}

// A caret line under a 4 KB one-line expression would be unreadable: show a window around it.
const formatWindow = 72;

/**
 * The one error class of the WAF library. `code` is stable and from `WAF_ERROR_CODES`;
 * `message` is meant for the rule's author; `position` (when the error is in an expression)
 * says where; `format()` adds the offending line with a caret under the error. Every WAF
 * error is a fault in a caller's rule, so where one reaches the API it maps to HTTP 400
 * (`httpStatus`). `cause`, when set, is for logs and never shown to callers.
 */
export class WafError extends Error {
  override readonly name = 'WafError';
  readonly code: WafErrorCode;
  readonly httpStatus = 400;
  readonly position: SourcePosition | undefined;
  readonly source: string | undefined;
  readonly length: number;

  constructor(code: WafErrorCode, message: string, options: WafErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.source = options.source;
    this.length = Math.max(1, options.length ?? 1);
    this.position = options.source !== undefined && options.offset !== undefined ? positionAt(options.source, options.offset) : undefined;
  }

  /**
   * The error for display: `code at line:column: message`, then, when the source is known,
   * the offending line (or a window of it, if long) and a caret line under the error.
   */
  format(): string {
    const where = this.position ? ` at ${this.position.line}:${this.position.column}` : '';
    const head = `${this.code}${where}: ${this.message}`;
    if (this.source === undefined || this.position === undefined) return head;
    const { offset, column } = this.position;
    const lineStart = offset - (column - 1);
    let lineEnd = this.source.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = this.source.length;
    let from = lineStart;
    let to = lineEnd;
    if (to - from > formatWindow) {
      from = Math.max(lineStart, offset - formatWindow / 2);
      to = Math.min(lineEnd, from + formatWindow);
    }
    const text = this.source.slice(from, to).replace(/\r$/, '');
    const before = from > lineStart ? '…' : '';
    const after = to < lineEnd ? '…' : '';
    // Keep tabs in the caret line's indent so the caret lines up under tabbed source.
    const indent = before.replace(/./, ' ') + this.source.slice(from, offset).replace(/[^\t]/g, ' ');
    const carets = '^'.repeat(Math.max(1, Math.min(this.length, to - offset)));
    return `${head}\n  ${before}${text}${after}\n  ${indent}${carets}`;
  }
}

/** The line and column of `offset` in `source` (both from 1); offsets past the end clamp. */
function positionAt(source: string, offset: number): SourcePosition {
  const at = Math.max(0, Math.min(offset, source.length));
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i >= 0 && i < at; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { offset: at, line, column: at - lineStart + 1 };
}
