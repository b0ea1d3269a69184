import type { Expression, ListItem, Literal, ValueNode } from './ast.ts';
import { printQuoted, printRaw } from './string-literal.ts';

const precedence = { or: 0, xor: 1, and: 2 } as const;

/**
 * Prints an AST as canonical source: English operators, single spaces, parentheses only where
 * the structure needs them, `starts_with`/`ends_with` as functions, header names lower-case,
 * strings quoted (regex patterns with a backslash as raw strings, easier to read). For any AST
 * `parseExpression` returns, `parseExpression(printExpression(ast))` is an equal AST; a
 * nested `and` inside `and` (likewise `or`, `xor`) keeps its parentheses so that holds.
 */
export function printExpression(expression: Expression): string {
  switch (expression.kind) {
    case 'logical': {
      const own = precedence[expression.operator];
      return expression.operands
        .map((operand) =>
          operand.kind === 'logical' && precedence[operand.operator] <= own ? `(${printExpression(operand)})` : printExpression(operand),
        )
        .join(` ${expression.operator} `);
    }
    case 'not': {
      const operand = printExpression(expression.operand);
      return expression.operand.kind === 'logical' ? `not (${operand})` : `not ${operand}`;
    }
    case 'compare': {
      const left = printValue(expression.left);
      if (expression.operator === 'starts_with' || expression.operator === 'ends_with') {
        return `${expression.operator}(${left}, ${printLiteral(expression.right)})`;
      }
      const right =
        expression.operator === 'matches' && expression.right.kind === 'string'
          ? printPattern(expression.right.value)
          : printLiteral(expression.right);
      return `${left} ${expression.operator} ${right}`;
    }
    case 'in':
      return `${printValue(expression.left)} in {${expression.items.map(printListItem).join(' ')}}`;
    case 'field':
      return expression.name;
  }
}

function printValue(value: ValueNode): string {
  switch (value.kind) {
    case 'field':
      return value.name;
    case 'index':
      return `${value.field}[${printQuoted(value.key)}]`;
    case 'call':
      return `${value.name}(${printValue(value.argument)})`;
  }
}

function printLiteral(literal: Literal): string {
  switch (literal.kind) {
    case 'string':
      return printQuoted(literal.value);
    case 'int':
    case 'bool':
      return String(literal.value);
    case 'ip':
      return literal.value;
  }
}

function printListItem(item: ListItem): string {
  return item.kind === 'range' ? `${item.from}..${item.to}` : printLiteral(item);
}

function printPattern(pattern: string): string {
  if (!pattern.includes('\\')) return printQuoted(pattern);
  const raw = printRaw(pattern);
  // A raw string takes at most 255 `#`; a pattern needing more stays quoted.
  return raw.length - pattern.length > 2 * 255 + 3 ? printQuoted(pattern) : raw;
}
