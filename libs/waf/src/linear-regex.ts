import { RE2JS } from 're2js';
import type { StringLiteral } from './ast.ts';
import { WAF_LIMITS } from './limits.ts';
import { WafError, type WafErrorOptions } from './waf-error.ts';

/** A compiled pattern: `test` searches the input (unanchored) in time linear in its length. */
export interface LinearRegex {
  test(input: string): boolean;
}

// The parser compiles each pattern to report a bad one at its position; the compiler then
// reuses that program through this cache instead of compiling the pattern a second time.
// Keyed by the literal node, so it holds nothing once the AST is gone.
const compiledByNode = new WeakMap<StringLiteral, LinearRegex>();

/**
 * Compiles `pattern` with RE2 syntax on re2js, a linear-time engine: no pattern can make
 * matching backtrack, so no rule can stall an edge. Throws `Waf.RegexTooLarge` for a pattern
 * longer than `WAF_LIMITS.maxRegexLength` or a program larger than
 * `WAF_LIMITS.maxRegexProgramSize`, and `Waf.BadRegex` for anything the engine rejects (the
 * engine's exception is kept as the cause). `where` places the error in the expression.
 */
export function compileRegex(pattern: string, where: WafErrorOptions = {}): LinearRegex {
  if (pattern.length > WAF_LIMITS.maxRegexLength) {
    throw new WafError(
      'Waf.RegexTooLarge',
      `regex pattern is ${pattern.length} characters; the limit is ${WAF_LIMITS.maxRegexLength}`,
      where,
    );
  }
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (cause) {
    // re2js reports e.g. "error parsing regexp: missing closing ): `(a`"; only its text is shown.
    const detail = cause instanceof Error ? cause.message : 'rejected by the regex engine';
    throw new WafError('Waf.BadRegex', `bad regex: ${detail}`, { ...where, cause });
  }
  const size = regex.programSize();
  if (size > WAF_LIMITS.maxRegexProgramSize) {
    throw new WafError(
      'Waf.RegexTooLarge',
      `regex compiles to ${size} instructions; the limit is ${WAF_LIMITS.maxRegexProgramSize}`,
      where,
    );
  }
  return regex;
}

/** Compiles the pattern of a `matches` literal and remembers it for `regexOf`. */
export function compileRegexLiteral(literal: StringLiteral, where: WafErrorOptions): LinearRegex {
  const regex = compileRegex(literal.value, where);
  compiledByNode.set(literal, regex);
  return regex;
}

/** The program of a `matches` literal: the one the parser compiled, or a fresh compilation. */
export function regexOf(literal: StringLiteral): LinearRegex {
  return compiledByNode.get(literal) ?? compileRegex(literal.value);
}
