import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileExpression } from './compiler.ts';
import { compileRuleset } from './ruleset.ts';
import { expressionArbitrary, requestFactsArbitrary } from './test/expression-arbitrary.ts';
import { evaluateReference } from './test/reference-interpreter.ts';
import { printExpression } from './printer.ts';

describe('compiler properties', () => {
  it('agrees with the reference interpreter on random expressions and requests', () => {
    fc.assert(
      fc.property(
        expressionArbitrary({ unicode: false }),
        fc.array(requestFactsArbitrary, { minLength: 1, maxLength: 5 }),
        (ast, requests) => {
          const compiled = compileExpression(ast);
          for (const facts of requests) expect(compiled.matches(facts), printExpression(ast)).toBe(evaluateReference(ast, facts));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('evaluates a ruleset as its rules one by one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(expressionArbitrary({ unicode: false }, 2), fc.constantFrom('block', 'log', 'allow' as const)), { maxLength: 6 }),
        requestFactsArbitrary,
        (rules, facts) => {
          const result = compileRuleset(
            rules.map(([ast, type], i) => ({ id: `r${i}`, expression: printExpression(ast), action: { type } })),
          );
          if (!result.ok) throw new Error('random rules must compile');
          const logged: string[] = [];
          let expected: { action: string; ruleId: string | null } = { action: 'pass', ruleId: null };
          for (const [i, [ast, type]] of rules.entries()) {
            if (!evaluateReference(ast, facts)) continue;
            if (type === 'log') logged.push(`r${i}`);
            else {
              expected = { action: type, ruleId: `r${i}` };
              break;
            }
          }
          expect(result.ruleset.evaluate(facts)).toMatchObject({ ...expected, logged });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
