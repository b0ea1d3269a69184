import type { CompareNode, Expression, InNode, ValueNode } from './ast.ts';
import { EvaluationContext } from './evaluation-context.ts';
import { ipRangeMatcher, parseIpRange, type IpAddress, type IpRange } from './ip-address.ts';
import { regexOf } from './linear-regex.ts';
import { parseExpression } from './parser.ts';
import type { RequestFacts } from './request-facts.ts';
import { caseInsensitiveFields, fieldReader, WAF_FIELDS, type FieldValue, type ValueType } from './scheme.ts';

/** A compiled expression: a predicate over request facts. */
export interface CompiledExpression {
  /** The AST it was compiled from. */
  readonly ast: Expression;
  /**
   * Evaluates the expression for one request. Never throws and never mutates `facts`; runs in
   * time linear in the size of the facts it reads (regexes included). Each call derives lazy
   * values afresh; a ruleset shares them across its rules instead.
   */
  matches(facts: RequestFacts): boolean;
}

/** A compiled condition, evaluated against one request's context. */
export type Predicate = (ctx: EvaluationContext) => boolean;

type Getter<T> = (ctx: EvaluationContext) => T;

const noValues: readonly string[] = Object.freeze([]);

/**
 * Compiles an expression (source text, parsed first, or an AST as `parseExpression` returns
 * it) to closures: no `eval`, no `new Function`. Everything that does not depend on the
 * request is done here once: regexes compiled (reusing the parser's program), `in` lists
 * turned into sets and prefix-grouped CIDR matchers, header names and case-insensitive
 * literals lower-cased. Throws `WafError` when the source does not parse. An AST from
 * elsewhere (e.g. stored JSON) must be a well-typed one; send such ASTs as printed source and
 * parse them back when they cross a trust boundary.
 */
export function compileExpression(input: string | Expression): CompiledExpression {
  const ast = typeof input === 'string' ? parseExpression(input) : input;
  const predicate = compilePredicate(ast);
  return {
    ast,
    matches: (facts) => predicate(new EvaluationContext(facts)),
  };
}

/** Compiles an expression to a predicate over an evaluation context (shared by a ruleset's rules). */
export function compilePredicate(expression: Expression): Predicate {
  switch (expression.kind) {
    case 'field':
      return fieldReader(expression.name) as Getter<boolean>;
    case 'not': {
      const operand = compilePredicate(expression.operand);
      return (c) => !operand(c);
    }
    case 'logical':
      return compileLogical(expression.operator, expression.operands.map(compilePredicate));
    case 'compare':
      return compileCompare(expression);
    case 'in':
      return compileIn(expression);
  }
}

function compileLogical(operator: 'and' | 'or' | 'xor', operands: Predicate[]): Predicate {
  const [a, b] = operands;
  if (operator === 'xor') {
    return (c) => {
      let odd = false;
      for (let i = 0; i < operands.length; i++) odd = odd !== operands[i]!(c);
      return odd;
    };
  }
  // The two-operand case is the common one (host + certificate); a direct closure is faster than a loop.
  if (operands.length === 2 && a && b) {
    return operator === 'and' ? (c) => a(c) && b(c) : (c) => a(c) || b(c);
  }
  if (operator === 'and') {
    return (c) => {
      for (let i = 0; i < operands.length; i++) if (!operands[i]!(c)) return false;
      return true;
    };
  }
  return (c) => {
    for (let i = 0; i < operands.length; i++) if (operands[i]!(c)) return true;
    return false;
  };
}

/** The static type of a value node; the parser has already checked it. */
export function valueType(node: ValueNode): ValueType {
  switch (node.kind) {
    case 'field':
      return WAF_FIELDS.get(node.name)!.type;
    case 'index':
      return 'Array<String>';
    case 'call':
      return node.name === 'len' ? 'Int' : valueType(node.argument);
  }
}

/** True when the value's text is compared case-insensitively: its literals are lower-cased. */
export function isCaseInsensitive(node: ValueNode): boolean {
  if (node.kind === 'field') return caseInsensitiveFields.has(node.name);
  return node.kind === 'call' && node.name === 'lower' && isCaseInsensitive(node.argument);
}

function compileValue(node: ValueNode): Getter<FieldValue> {
  switch (node.kind) {
    case 'field':
      return fieldReader(node.name);
    case 'index': {
      const key = node.key.toLowerCase();
      // Array.isArray also keeps prototype members (`constructor`, `__proto__`) out of reach.
      return (c) => {
        const values = c.facts.headers[key];
        return Array.isArray(values) ? values : noValues;
      };
    }
    case 'call': {
      const argument = compileValue(node.argument);
      const isArray = valueType(node.argument) === 'Array<String>';
      if (node.name === 'lower') {
        return isArray
          ? (c) => (argument(c) as readonly string[]).map((s) => s.toLowerCase())
          : (c) => (argument(c) as string).toLowerCase();
      }
      return isArray ? (c) => (argument(c) as readonly string[]).length : (c) => utf8Length(argument(c) as string);
    }
  }
}

function compileCompare(node: CompareNode): Predicate {
  const type = valueType(node.left);
  const get = compileValue(node.left);
  const { operator, right } = node;
  switch (type) {
    case 'Bool': {
      const expected = right.value === true;
      const read = get as Getter<boolean>;
      return operator === 'eq' ? (c) => read(c) === expected : (c) => read(c) !== expected;
    }
    case 'Int':
      return intTest(operator, right.value as number, get as Getter<number>);
    case 'Ip': {
      const range = parseIpRange(right.value as string) as IpRange;
      const address = range.address;
      const read = get as Getter<IpAddress | null>;
      return operator === 'eq'
        ? (c) => read(c) === address
        : (c) => {
            const source = read(c);
            return source !== null && source !== address;
          };
    }
    default: {
      const literal = isCaseInsensitive(node.left) && operator !== 'matches' ? String(right.value).toLowerCase() : String(right.value);
      if (type === 'String') {
        const read = get as Getter<string>;
        // Equality is the most common condition: compare inline rather than through a test closure.
        if (operator === 'eq') return (c) => read(c) === literal;
        if (operator === 'ne') return (c) => read(c) !== literal;
        const test = stringTest(operator, literal, node);
        return (c) => test(read(c));
      }
      return anyValue(get as Getter<readonly string[]>, stringTest(operator, literal, node));
    }
  }
}

function intTest(operator: CompareNode['operator'], n: number, read: Getter<number>): Predicate {
  switch (operator) {
    case 'eq':
      return (c) => read(c) === n;
    case 'ne':
      return (c) => read(c) !== n;
    case 'lt':
      return (c) => read(c) < n;
    case 'le':
      return (c) => read(c) <= n;
    case 'gt':
      return (c) => read(c) > n;
    default:
      return (c) => read(c) >= n;
  }
}

function stringTest(operator: CompareNode['operator'], literal: string, node: CompareNode): (s: string) => boolean {
  switch (operator) {
    case 'eq':
      return (s) => s === literal;
    case 'ne':
      return (s) => s !== literal;
    case 'lt':
      return (s) => s < literal;
    case 'le':
      return (s) => s <= literal;
    case 'gt':
      return (s) => s > literal;
    case 'ge':
      return (s) => s >= literal;
    case 'contains':
      return (s) => s.includes(literal);
    case 'starts_with':
      return (s) => s.startsWith(literal);
    case 'ends_with':
      return (s) => s.endsWith(literal);
    case 'matches': {
      const regex = regexOf(node.right as Extract<CompareNode['right'], { kind: 'string' }>);
      return (s) => regex.test(s);
    }
  }
}

function anyValue(get: Getter<readonly string[]>, test: (s: string) => boolean): Predicate {
  // An indexed loop: no iterator object per evaluation, whatever the optimiser manages to inline.
  return (c) => {
    const values = get(c);
    for (let i = 0; i < values.length; i++) if (test(values[i]!)) return true;
    return false;
  };
}

function compileIn(node: InNode): Predicate {
  const type = valueType(node.left);
  const get = compileValue(node.left);
  if (type === 'Ip') {
    const ranges = node.items.flatMap((item) => (item.kind === 'ip' ? [parseIpRange(item.value) as IpRange] : []));
    const inList = ipRangeMatcher(ranges);
    const read = get as Getter<IpAddress | null>;
    return (c) => inList(read(c));
  }
  if (type === 'Int') {
    const values = new Set<number>();
    const ranges: { from: number; to: number }[] = [];
    for (const item of node.items) {
      if (item.kind === 'int') values.add(item.value);
      else if (item.kind === 'range') ranges.push(item);
    }
    const read = get as Getter<number>;
    return (c) => {
      const n = read(c);
      if (values.has(n)) return true;
      for (const r of ranges) if (n >= r.from && n <= r.to) return true;
      return false;
    };
  }
  const lower = isCaseInsensitive(node.left);
  const values = new Set<string>();
  for (const item of node.items) if (item.kind === 'string') values.add(lower ? item.value.toLowerCase() : item.value);
  if (type === 'String') {
    const read = get as Getter<string>;
    return (c) => values.has(read(c));
  }
  return anyValue(get as Getter<readonly string[]>, (s) => values.has(s));
}

/** Length in UTF-8 bytes, as `len()` counts (Cloudflare's bytes); a lone surrogate counts 3, as its U+FFFD replacement. */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
