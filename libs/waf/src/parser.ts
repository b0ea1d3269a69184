import type { CompareNode, CompareOperator, Expression, FieldNode, IpLiteral, ListItem, Literal, StringLiteral, ValueNode } from './ast.ts';
import { formatIpRange, parseIpRange } from './ip-address.ts';
import { WAF_LIMITS } from './limits.ts';
import { compileRegexLiteral } from './linear-regex.ts';
import { isFieldName, WAF_FIELDS, type ValueType } from './scheme.ts';
import { readStringLiteral, startsStringLiteral } from './string-literal.ts';
import { WafError, type WafErrorCode } from './waf-error.ts';

/**
 * Parses `source` against the scheme into a well-typed AST, or throws a `WafError` (and never
 * anything else) with the position of the first problem:
 * - `Waf.TooLong` over `WAF_LIMITS.maxExpressionLength`; `Waf.TooDeep` nested deeper than
 *   `WAF_LIMITS.maxDepth`; `Waf.ListTooLarge`; `Waf.RegexTooLarge`;
 * - `Waf.Syntax`; `Waf.UnknownField` / `Waf.UnknownFunction` (with a suggestion when a name
 *   is close); `Waf.TypeMismatch` (an operator, function or literal that does not fit);
 * - `Waf.BadLiteral` (string, integer, IP, CIDR, header name); `Waf.BadRegex`.
 *
 * Grammar, loosest first: `or`/`||`, `xor`/`^^`, `and`/`&&`, `not`/`!`, then a condition:
 * `value op literal`, `value in {items}`, `starts_with(value, "s")`, `ends_with(value, "s")`,
 * a Bool field alone, or `( expression )`. A value is a field, `http.request.headers["name"]`,
 * `lower(value)` or `len(value)`. `starts_with` and `ends_with` are also accepted infix
 * (`value starts_with "s"`), for rules written that way elsewhere; the printer writes them as
 * functions. List items are separated by spaces or commas. Keywords are lower-case.
 */
export function parseExpression(source: string): Expression {
  return new Parser(source).parse();
}

interface TypedValue {
  readonly node: ValueNode;
  readonly type: ValueType;
  readonly start: number;
  readonly end: number;
}

const operatorWords: Readonly<Record<string, CompareOperator | 'in'>> = {
  eq: 'eq',
  ne: 'ne',
  lt: 'lt',
  le: 'le',
  gt: 'gt',
  ge: 'ge',
  contains: 'contains',
  matches: 'matches',
  starts_with: 'starts_with',
  ends_with: 'ends_with',
  in: 'in',
};

// Longest first, so `<=` is not read as `<`.
const operatorSymbols: readonly (readonly [string, CompareOperator])[] = [
  ['==', 'eq'],
  ['!=', 'ne'],
  ['<=', 'le'],
  ['>=', 'ge'],
  ['<', 'lt'],
  ['>', 'gt'],
  ['~', 'matches'],
];

const stringOperators: readonly (CompareOperator | 'in')[] = [
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
  'contains',
  'matches',
  'starts_with',
  'ends_with',
  'in',
];

/** Which operators apply to which type; the map type is only reachable through an index. */
const operatorsByType: Readonly<Record<ValueType, readonly (CompareOperator | 'in')[]>> = {
  Bool: ['eq', 'ne'],
  Int: ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in'],
  String: stringOperators,
  'Array<String>': stringOperators,
  Ip: ['eq', 'ne', 'in'],
  'Map<Array<String>>': [],
};

const functionNames = ['lower', 'len', 'starts_with', 'ends_with'];
const keywords = new Set(['and', 'or', 'xor', 'not', 'true', 'false', ...Object.keys(operatorWords)]);
const headerName = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

class Parser {
  readonly source: string;
  pos = 0;
  depth = 0;

  constructor(source: string) {
    this.source = source;
  }

  parse(): Expression {
    if (this.source.length > WAF_LIMITS.maxExpressionLength) {
      this.fail(
        'Waf.TooLong',
        `expression is ${this.source.length} characters; the limit is ${WAF_LIMITS.maxExpressionLength}`,
        WAF_LIMITS.maxExpressionLength,
      );
    }
    this.skipSpace();
    if (this.atEnd()) this.fail('Waf.Syntax', 'empty expression', 0);
    const expression = this.parseLogical(0);
    this.skipSpace();
    if (!this.atEnd()) {
      this.fail('Waf.Syntax', `unexpected ${this.describe()}: expected \`and\`, \`or\`, \`xor\` or the end`, this.pos, this.tokenLength());
    }
    return expression;
  }

  // Levels: 0 = or, 1 = xor, 2 = and. Chains are flat n-ary nodes, parsed iteratively.
  private parseLogical(level: number): Expression {
    if (level === 3) return this.parseUnary();
    const operator = (['or', 'xor', 'and'] as const)[level]!;
    const symbol = (['||', '^^', '&&'] as const)[level]!;
    const first = this.parseLogical(level + 1);
    const operands: Expression[] = [first];
    for (;;) {
      this.skipSpace();
      if (this.word() === operator) this.pos += operator.length;
      else if (this.source.startsWith(symbol, this.pos)) this.pos += 2;
      else break;
      operands.push(this.parseLogical(level + 1));
    }
    return operands.length === 1 ? first : { kind: 'logical', operator, operands };
  }

  private parseUnary(): Expression {
    this.skipSpace();
    const start = this.pos;
    const isNot = this.word() === 'not';
    if (isNot || (this.peek() === '!' && this.source[this.pos + 1] !== '=')) {
      this.pos += isNot ? 3 : 1;
      this.enter(start);
      const operand = this.parseUnary();
      this.depth--;
      return { kind: 'not', operand };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Expression {
    this.skipSpace();
    const start = this.pos;
    if (this.peek() === '(') {
      this.enter(start);
      this.pos++;
      const inner = this.parseLogical(0);
      this.skipSpace();
      if (this.peek() !== ')') {
        if (this.atEnd()) this.fail('Waf.Syntax', 'missing `)` to close this `(`', start);
        this.fail('Waf.Syntax', `expected \`)\`, found ${this.describe()}`, this.pos, this.tokenLength());
      }
      this.pos++;
      this.depth--;
      return inner;
    }
    const name = this.word();
    if ((name === 'starts_with' || name === 'ends_with') && this.nextNonSpace(this.pos + name.length) === '(') {
      return this.parseAffixCall(name);
    }
    return this.parseCondition(this.parseValue());
  }

  /** `starts_with(value, "s")` / `ends_with(value, "s")`. */
  private parseAffixCall(operator: 'starts_with' | 'ends_with'): CompareNode {
    const start = this.pos;
    this.enter(start);
    this.pos += operator.length;
    this.skipSpace();
    this.pos++;
    const value = this.parseValue();
    this.checkOperator(operator, value, start, operator.length);
    this.expectSymbol(',', `${operator}() takes a value and a string literal`);
    this.skipSpace();
    const right = this.parseStringLiteral(value, operator);
    this.expectSymbol(')', `missing \`)\` of ${operator}(`);
    this.depth--;
    return { kind: 'compare', operator, left: value.node, right };
  }

  private parseCondition(value: TypedValue): Expression {
    this.skipSpace();
    const opStart = this.pos;
    const operator = this.readOperator();
    if (operator === null) {
      if (value.type === 'Bool' && value.node.kind === 'field') return value.node as FieldNode;
      const next = this.word();
      if (
        this.atEnd() ||
        this.peek() === ')' ||
        next === 'and' ||
        next === 'or' ||
        next === 'xor' ||
        /^(&&|\|\||\^\^)/.test(this.rest(2))
      ) {
        this.fail(
          'Waf.TypeMismatch',
          `${this.text(value)} is ${article(value.type)}, not a condition: compare it (${operatorsByType[value.type].join(', ')})`,
          value.start,
          value.end - value.start,
        );
      }
      this.fail('Waf.Syntax', `expected an operator after ${this.text(value)}, found ${this.describe()}`, this.pos, this.tokenLength());
    }
    const opLength = this.pos - opStart;
    this.checkOperator(operator, value, opStart, opLength);
    this.skipSpace();
    if (operator === 'in') return { kind: 'in', left: value.node, items: this.parseList(value) };
    let right: Literal;
    if (operator === 'matches') {
      const literalStart = this.pos;
      right = this.parseStringLiteral(value, operator);
      compileRegexLiteral(right, { source: this.source, offset: literalStart, length: this.pos - literalStart });
    } else {
      right = this.parseLiteral(value, operator);
    }
    return { kind: 'compare', operator, left: value.node, right };
  }

  private checkOperator(operator: CompareOperator | 'in', value: TypedValue, at: number, length: number): void {
    const allowed = operatorsByType[value.type];
    if (!allowed.includes(operator)) {
      this.fail(
        'Waf.TypeMismatch',
        `\`${operator}\` does not apply to ${this.text(value)}, ${article(value.type)}` +
          (allowed.length > 0 ? `; it takes ${allowed.join(', ')}` : ''),
        at,
        length,
      );
    }
  }

  private readOperator(): CompareOperator | 'in' | null {
    const word = this.word();
    if (word !== '' && Object.hasOwn(operatorWords, word)) {
      this.pos += word.length;
      return operatorWords[word]!;
    }
    for (const [symbol, operator] of operatorSymbols) {
      if (this.source.startsWith(symbol, this.pos)) {
        this.pos += symbol.length;
        return operator;
      }
    }
    return null;
  }

  private parseValue(): TypedValue {
    this.skipSpace();
    const start = this.pos;
    const name = this.word();
    const isCall = name !== '' && this.nextNonSpace(start + name.length) === '(';
    if (name === '' || (keywords.has(name) && !(isCall && functionNames.includes(name)))) {
      this.fail('Waf.Syntax', `expected a field, a function or \`(\`, found ${this.describe()}`, start, this.tokenLength());
    }
    if (isCall) {
      if (name !== 'lower' && name !== 'len') {
        const hint = functionNames.includes(name) ? `; ${name}() is a condition, not a value` : suggestion(name, functionNames);
        this.fail(
          name === 'starts_with' || name === 'ends_with' ? 'Waf.TypeMismatch' : 'Waf.UnknownFunction',
          `${functionNames.includes(name) ? 'misplaced' : 'unknown'} function ${name}()${hint}`,
          start,
          name.length,
        );
      }
      this.enter(start);
      this.pos += name.length;
      this.skipSpace();
      this.pos++;
      const argument = this.parseValue();
      if (argument.type !== 'String' && argument.type !== 'Array<String>') {
        this.fail(
          'Waf.TypeMismatch',
          `${name}() takes a String or Array<String>; ${this.text(argument)} is ${article(argument.type)}`,
          argument.start,
          argument.end - argument.start,
        );
      }
      this.expectSymbol(')', `missing \`)\` of ${name}(`);
      this.depth--;
      return {
        node: { kind: 'call', name, argument: argument.node },
        type: name === 'len' ? 'Int' : argument.type,
        start,
        end: this.pos,
      };
    }
    if (!isFieldName(name)) {
      this.fail('Waf.UnknownField', `unknown field ${name}${suggestion(name, [...WAF_FIELDS.keys()])}`, start, name.length);
    }
    this.pos += name.length;
    const type = WAF_FIELDS.get(name)!.type;
    const indexed = this.nextNonSpace(this.pos) === '[';
    if (type !== 'Map<Array<String>>') {
      if (indexed) this.fail('Waf.TypeMismatch', `${name} is ${article(type)} and cannot be indexed`, start, name.length);
      return { node: { kind: 'field', name }, type, start, end: this.pos };
    }
    if (!indexed) {
      this.fail('Waf.TypeMismatch', `${name} is a map: pick one header, e.g. ${name}["user-agent"]`, start, name.length);
    }
    this.skipSpace();
    this.pos++;
    this.skipSpace();
    const keyStart = this.pos;
    if (!startsStringLiteral(this.source, this.pos)) {
      this.fail('Waf.Syntax', `expected a header name in quotes, found ${this.describe()}`, this.pos, this.tokenLength());
    }
    const key = this.readString().toLowerCase();
    if (!headerName.test(key)) {
      this.fail('Waf.BadLiteral', `"${key}" is not a header name (letters, digits and !#$%&'*+-.^_\`|~)`, keyStart, this.pos - keyStart);
    }
    this.expectSymbol(']', 'missing `]` after the header name');
    return { node: { kind: 'index', field: 'http.request.headers', key }, type: 'Array<String>', start, end: this.pos };
  }

  /** The literal on the right of `operator` (not `in`, not `matches`), fitting the value's type. */
  private parseLiteral(value: TypedValue, operator: CompareOperator): Literal {
    switch (value.type) {
      case 'Bool': {
        const word = this.word();
        if (word !== 'true' && word !== 'false') this.mismatch(value, operator, 'true or false');
        this.pos += word.length;
        return { kind: 'bool', value: word === 'true' };
      }
      case 'Int':
        return this.parseInt(value, operator);
      case 'Ip': {
        const ip = this.parseIp(value, operator);
        if (ip.value.includes('/')) {
          this.fail(
            'Waf.TypeMismatch',
            `\`${operator}\` compares with one address; match a range with \`in {${ip.value}}\``,
            this.pos - this.atomBefore(),
            this.atomBefore(),
          );
        }
        return ip;
      }
      default:
        return this.parseStringLiteral(value, operator);
    }
  }

  private parseList(value: TypedValue): ListItem[] {
    const open = this.pos;
    if (this.peek() !== '{')
      this.fail('Waf.Syntax', `expected \`{\` to open the list, found ${this.describe()}`, this.pos, this.tokenLength());
    this.pos++;
    const items: ListItem[] = [];
    for (;;) {
      this.skipSpace();
      if (this.peek() === '}') break;
      if (this.atEnd()) this.fail('Waf.Syntax', 'missing `}` to close this list', open);
      if (items.length === WAF_LIMITS.maxListSize) {
        this.fail('Waf.ListTooLarge', `a list holds at most ${WAF_LIMITS.maxListSize} items`, this.pos, this.tokenLength());
      }
      items.push(this.parseListItem(value));
      this.skipSpace();
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== '}' && !this.atEnd() && !/\s/.test(this.source[this.pos - 1] ?? '')) {
        this.fail(
          'Waf.Syntax',
          `expected a space, \`,\` or \`}\` after a list item, found ${this.describe()}`,
          this.pos,
          this.tokenLength(),
        );
      }
    }
    if (items.length === 0) this.fail('Waf.Syntax', 'empty list: it would never match', open, this.pos - open + 1);
    this.pos++;
    return items;
  }

  private parseListItem(value: TypedValue): ListItem {
    if (value.type === 'Ip') return this.parseIp(value, 'in');
    if (value.type !== 'Int') return this.parseStringLiteral(value, 'in');
    const start = this.pos;
    const atom = this.atom();
    const range = /^(-?[0-9]+)\.\.(-?[0-9]+)$/.exec(atom);
    if (!range) return this.parseInt(value, 'in');
    const from = this.intValue(range[1]!, start);
    const to = this.intValue(range[2]!, start);
    this.pos += atom.length;
    if (from > to) this.fail('Waf.BadLiteral', `range ${atom} is empty: ${from} is above ${to}`, start, atom.length);
    return { kind: 'range', from, to };
  }

  private parseInt(value: TypedValue, operator: CompareOperator | 'in'): Literal & { kind: 'int' } {
    const start = this.pos;
    const atom = this.atom();
    if (!/^-?[0-9]+$/.test(atom)) this.mismatch(value, operator, 'an integer');
    this.pos += atom.length;
    return { kind: 'int', value: this.intValue(atom, start) };
  }

  private intValue(text: string, at: number): number {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) {
      this.fail('Waf.BadLiteral', `integer ${text} is out of range (±${Number.MAX_SAFE_INTEGER})`, at, text.length);
    }
    return n === 0 ? 0 : n;
  }

  private parseIp(value: TypedValue, operator: CompareOperator | 'in'): IpLiteral {
    const start = this.pos;
    const atom = this.atom();
    if (atom === '' || !/^[0-9a-fA-F:.]+(\/[0-9]+)?$/.test(atom)) this.mismatch(value, operator, 'an IP address');
    const range = parseIpRange(atom);
    if (typeof range === 'string') this.fail('Waf.BadLiteral', range, start, atom.length);
    this.pos += atom.length;
    return { kind: 'ip', value: formatIpRange(range) };
  }

  private parseStringLiteral(value: TypedValue, operator: CompareOperator | 'in'): StringLiteral {
    if (!startsStringLiteral(this.source, this.pos)) {
      this.mismatch(value, operator, operator === 'matches' ? 'a regex in a string literal' : 'a string literal');
    }
    return { kind: 'string', value: this.readString() };
  }

  /** Fails on a literal (or non-literal) that does not fit: a TypeMismatch when it is a literal of another type. */
  private mismatch(value: TypedValue, operator: CompareOperator | 'in', wanted: string): never {
    const found = this.literalTypeHere();
    const length = this.tokenLength();
    if (found !== null) {
      this.fail(
        'Waf.TypeMismatch',
        `${this.text(value)} is ${article(value.type)}: \`${operator}\` needs ${wanted}, not ${article(found)}`,
        this.pos,
        length,
      );
    }
    this.fail('Waf.Syntax', `expected ${wanted} after \`${operator}\`, found ${this.describe()}`, this.pos, length);
  }

  /** The type of the literal at the current position, or null when there is none. */
  private literalTypeHere(): ValueType | null {
    if (startsStringLiteral(this.source, this.pos)) return 'String';
    const word = this.word();
    if (word === 'true' || word === 'false') return 'Bool';
    const atom = this.atom();
    if (/^-?[0-9]+$/.test(atom)) return 'Int';
    if (atom !== '' && typeof parseIpRange(atom) !== 'string') return 'Ip';
    return null;
  }

  private readString(): string {
    const read = readStringLiteral(this.source, this.pos);
    this.pos = read.end;
    return read.value;
  }

  private expectSymbol(symbol: string, message: string): void {
    this.skipSpace();
    if (this.peek() !== symbol) {
      this.fail('Waf.Syntax', `${message}; found ${this.describe()}`, this.pos, this.tokenLength());
    }
    this.pos++;
  }

  private enter(at: number): void {
    if (++this.depth > WAF_LIMITS.maxDepth) {
      this.fail('Waf.TooDeep', `nested deeper than ${WAF_LIMITS.maxDepth} levels of parentheses, not and functions`, at);
    }
  }

  private skipSpace(): void {
    for (;;) {
      const c = this.source.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13) this.pos++;
      else return;
    }
  }

  private atEnd(): boolean {
    return this.pos >= this.source.length;
  }

  private peek(): string | undefined {
    return this.source[this.pos];
  }

  private rest(n: number): string {
    return this.source.slice(this.pos, this.pos + n);
  }

  private nextNonSpace(from: number): string | undefined {
    let i = from;
    while (/[ \t\r\n]/.test(this.source[i] ?? '')) i++;
    return this.source[i];
  }

  /** The identifier at the current position (dotted, like `ssl.client_cert.verified`), or `""`. */
  private word(): string {
    return /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/.exec(this.source.slice(this.pos, this.pos + 128))?.[0] ?? '';
  }

  /** The run of literal characters at the current position: integers, ranges, addresses. */
  private atom(): string {
    return /^[A-Za-z0-9_.:/-]*/.exec(this.source.slice(this.pos, this.pos + 128))![0];
  }

  private atomBefore(): number {
    let i = this.pos;
    while (i > 0 && /[A-Za-z0-9_.:/-]/.test(this.source[i - 1]!)) i--;
    return this.pos - i;
  }

  private tokenLength(): number {
    if (this.atEnd()) return 1;
    if (startsStringLiteral(this.source, this.pos)) {
      try {
        return readStringLiteral(this.source, this.pos).end - this.pos;
      } catch {
        return 1;
      }
    }
    return Math.max(1, this.word().length, this.atom().length);
  }

  private describe(): string {
    if (this.atEnd()) return 'the end of the expression';
    if (startsStringLiteral(this.source, this.pos)) return 'a string';
    const token = this.source.slice(this.pos, this.pos + Math.min(this.tokenLength(), 40));
    return `\`${token}\``;
  }

  private text(value: TypedValue): string {
    const text = this.source.slice(value.start, value.end);
    return text.length > 60 ? `${text.slice(0, 57)}…` : text;
  }

  private fail(code: WafErrorCode, message: string, offset: number, length = 1): never {
    throw new WafError(code, message, { source: this.source, offset, length });
  }
}

function article(type: ValueType): string {
  return type === 'Int' || type === 'Ip' || type === 'Array<String>' ? `an ${type}` : `a ${type}`;
}

/** `; did you mean x?` for the closest candidate within a few edits, or `""`. */
function suggestion(name: string, candidates: readonly string[]): string {
  let best = '';
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(name, candidate, bestDistance);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === '' ? '' : `; did you mean ${best}?`;
}

function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = current;
  }
  return previous[b.length]!;
}
