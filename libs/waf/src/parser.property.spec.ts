import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExpression } from './parser.ts';
import { printExpression } from './printer.ts';
import { expressionArbitrary, tokenArbitrary } from './test/expression-arbitrary.ts';
import { WafError } from './waf-error.ts';

/** Parses, and fails the property on anything thrown that is not a WafError. */
function parsesOrWafError(source: string): void {
  try {
    parseExpression(source);
  } catch (error) {
    if (!(error instanceof WafError)) throw error;
    expect(error.position).toBeDefined();
    expect(error.format()).toContain(error.code);
  }
}

describe('parser properties', () => {
  it('throws nothing but WafError on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), parsesOrWafError), { numRuns: 3000 });
    fc.assert(fc.property(fc.string({ maxLength: 200 }), parsesOrWafError), { numRuns: 3000 });
  });

  it('throws nothing but WafError on token soup', () => {
    const soup = fc
      .tuple(fc.array(tokenArbitrary, { maxLength: 30 }), fc.constantFrom(' ', '', '\n'))
      .map(([tokens, glue]) => tokens.join(glue));
    fc.assert(fc.property(soup, parsesOrWafError), { numRuns: 5000 });
  });

  it('throws nothing but WafError on valid expressions with one edit', () => {
    const edited = fc
      .tuple(expressionArbitrary({ unicode: true }).map(printExpression), fc.nat(), fc.nat(3), fc.string({ unit: 'binary', maxLength: 3 }))
      .map(([source, at, cut, insert]) => {
        const i = at % (source.length + 1);
        return source.slice(0, i) + insert + source.slice(i + cut);
      });
    fc.assert(fc.property(edited, parsesOrWafError), { numRuns: 2000 });
  });

  it('reparses a printed AST to the same AST', () => {
    fc.assert(
      fc.property(
        expressionArbitrary({ unicode: true }).filter((ast) => printExpression(ast).length <= 4096),
        (ast) => {
          const printed = printExpression(ast);
          expect(parseExpression(printed)).toEqual(ast);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
