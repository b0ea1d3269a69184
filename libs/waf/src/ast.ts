import type { FieldName } from './scheme.ts';

// The AST is plain JSON: every node is an object with a `kind`, holding only strings, numbers,
// booleans, arrays and nodes. It carries no source positions, so an expression and its printed
// canonical form have equal ASTs, and a stored AST compares with `JSON.stringify`.

/** A field of the scheme, e.g. `http.host`. */
export interface FieldNode {
  readonly kind: 'field';
  readonly name: FieldName;
}

/** `http.request.headers["name"]`: one header's values. `key` is stored lower-case. */
export interface IndexNode {
  readonly kind: 'index';
  readonly field: 'http.request.headers';
  readonly key: string;
}

/** `lower(value)` (String or Array<String>) or `len(value)` (bytes of a String, values of an array). */
export interface CallNode {
  readonly kind: 'call';
  readonly name: 'lower' | 'len';
  readonly argument: ValueNode;
}

/** Anything that produces a value to compare. */
export type ValueNode = FieldNode | IndexNode | CallNode;

/** A string literal (also a regex pattern). */
export interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
}

/** An integer literal, a JavaScript safe integer. */
export interface IntLiteral {
  readonly kind: 'int';
  readonly value: number;
}

/** `true` or `false`. */
export interface BoolLiteral {
  readonly kind: 'bool';
  readonly value: boolean;
}

/** An IP address, or in `in {…}` lists a CIDR range, in canonical text (`10.0.0.0/8`, `2001:db8::1`). */
export interface IpLiteral {
  readonly kind: 'ip';
  readonly value: string;
}

/** An inclusive integer range `from..to` in an `in {…}` list. */
export interface IntRangeLiteral {
  readonly kind: 'range';
  readonly from: number;
  readonly to: number;
}

/** A literal on the right of a comparison. */
export type Literal = StringLiteral | IntLiteral | BoolLiteral | IpLiteral;

/** An item of an `in {…}` list. */
export type ListItem = StringLiteral | IntLiteral | IpLiteral | IntRangeLiteral;

/** Comparison operators in canonical (English) spelling. `starts_with`/`ends_with` print as functions. */
export type CompareOperator = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'contains' | 'matches' | 'starts_with' | 'ends_with';

/** `left op literal`. For `matches` the literal is the regex pattern. */
export interface CompareNode {
  readonly kind: 'compare';
  readonly operator: CompareOperator;
  readonly left: ValueNode;
  readonly right: Literal;
}

/** `left in {items}`. */
export interface InNode {
  readonly kind: 'in';
  readonly left: ValueNode;
  readonly items: readonly ListItem[];
}

/** `not operand`. */
export interface NotNode {
  readonly kind: 'not';
  readonly operand: Expression;
}

/** `a and b and …` (likewise `or`, `xor`): two or more operands, evaluated left to right. */
export interface LogicalNode {
  readonly kind: 'logical';
  readonly operator: 'and' | 'or' | 'xor';
  readonly operands: readonly Expression[];
}

/**
 * A whole expression: a Bool. A bare field (`ssl`) is a `FieldNode` of type Bool.
 * Precedence from loosest: `or`, `xor`, `and`, `not`, then comparisons.
 */
export type Expression = LogicalNode | NotNode | CompareNode | InNode | FieldNode;
