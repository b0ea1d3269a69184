import fc from 'fast-check';
import type { CompareOperator, Expression, ListItem, Literal, ValueNode } from '../ast.ts';
import { formatIpRange, parseIpRange, type IpRange } from '../ip-address.ts';
import { NO_CLIENT_CERT, CLIENT_CERT_ERRORS, type ClientCertFacts, type RequestFacts } from '../request-facts.ts';
import { WAF_FIELDS, type FieldName, type ValueType } from '../scheme.ts';

// Pools shared by literals and facts, so random rules and random requests often meet.
const hosts = ['a.example.com', 'b.example.com', 'api.test', 'A.Example.COM'];
const paths = ['/', '/api/v1/users', '/admin', '/API/x', '/static/app.js', '/a%20b'];
const agents = ['curl/8.5.0', 'CURL/7', 'Mozilla/5.0 (X11)', 'Googlebot/2.1', '', 'aaaa!'];
const texts = [...hosts, ...paths, ...agents, 'GET', 'POST', 'CN=client-1,O=Example', 'revoked', 'none', 'x=1&y=2', 'DEADBEEF'];
const headerNames = ['accept', 'x-a', 'user-agent', 'x-forwarded-for'];
const ints = [0, 1, 2, 5, 7, 13, 1_700_000_000, 1_731_536_000, -1];
const addresses = ['192.0.2.10', '10.1.2.3', '2001:db8::5', '::1', '0.0.0.0', '198.51.100.7'];
const ranges = ['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32', '0.0.0.0/0', '::/0', '198.51.100.0/25', 'fe80::/10'];
/** Patterns with one meaning in RE2 and in JavaScript's `u` mode, so a test can check them with RegExp. */
const patterns = [
  '^/api',
  'bot',
  'a[^/]c',
  '(?i)curl',
  'x+y',
  '^$',
  '[a-c]+',
  'v[0-9]',
  String.raw`\d{2,}`,
  String.raw`\.js$`,
  'a|b',
  '^(GET|HEAD)$',
  '(?i)^mozilla',
  String.raw`example\.com$`,
];

const fieldsOf = (type: ValueType) => [...WAF_FIELDS.values()].filter((f) => f.type === type).map((f) => f.name);
const stringFields = fieldsOf('String');
const intFields = fieldsOf('Int');
const boolFields = fieldsOf('Bool');
const requestTextFields: FieldName[] = ['http.host', 'http.request.uri.path', 'http.user_agent', 'http.request.method', 'http.request.uri'];

/** How literal strings are drawn: from the pools, or any text (full Unicode for round trips). */
export interface ArbitraryOptions {
  readonly unicode: boolean;
}

function textArbitrary(options: ArbitraryOptions): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...texts) },
    { weight: 1, arbitrary: options.unicode ? fc.string({ unit: 'binary', maxLength: 8 }) : fc.string({ maxLength: 8 }) },
  );
}

const escapeRegex = (s: string) => s.replace(/[\^$\\.*+?()[\]{}|/]/g, '\\$&');
const patternArbitrary = fc.oneof(fc.constantFrom(...patterns), fc.string({ maxLength: 6 }).map(escapeRegex));

const canonicalRange = (text: string) => formatIpRange(parseIpRange(text) as IpRange);
const v4Range = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, prefix]) => {
  const range = parseIpRange(ip) as IpRange;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return formatIpRange({ address: ((range.address as number) & mask) >>> 0, prefix });
});
const addressArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...addresses) },
  { weight: 1, arbitrary: fc.ipV4().map(canonicalRange) },
  { weight: 1, arbitrary: fc.ipV6().map(canonicalRange) },
);
const rangeArbitrary = fc.oneof(fc.constantFrom(...ranges), addressArbitrary, v4Range);

const intArbitrary = fc.oneof(fc.constantFrom(...ints), fc.integer({ min: -1000, max: 2_000_000_000 }));

function valueArbitrary(type: 'String' | 'Array<String>' | 'Int', depth: number): fc.Arbitrary<ValueNode> {
  const field = (names: FieldName[]) => fc.constantFrom(...names).map((name): ValueNode => ({ kind: 'field', name }));
  if (type === 'String') {
    const leaf = fc.oneof({ weight: 3, arbitrary: field(requestTextFields) }, { weight: 1, arbitrary: field(stringFields) });
    if (depth === 0) return leaf;
    return fc.oneof(
      leaf,
      valueArbitrary('String', depth - 1).map((argument): ValueNode => ({ kind: 'call', name: 'lower', argument })),
    );
  }
  if (type === 'Array<String>') {
    const leaf = fc.constantFrom(...headerNames).map((key): ValueNode => ({ kind: 'index', field: 'http.request.headers', key }));
    if (depth === 0) return leaf;
    return fc.oneof(
      leaf,
      valueArbitrary('Array<String>', depth - 1).map((argument): ValueNode => ({ kind: 'call', name: 'lower', argument })),
    );
  }
  const leaf = field(intFields);
  if (depth === 0) return leaf;
  return fc.oneof(
    leaf,
    fc
      .oneof(valueArbitrary('String', depth - 1), valueArbitrary('Array<String>', depth - 1))
      .map((argument): ValueNode => ({ kind: 'call', name: 'len', argument })),
  );
}

function conditionArbitrary(options: ArbitraryOptions): fc.Arbitrary<Expression> {
  const text = textArbitrary(options);
  const str = (value: string): Literal => ({ kind: 'string', value });
  const textual = (type: 'String' | 'Array<String>') =>
    valueArbitrary(type, 2).chain((left): fc.Arbitrary<Expression> =>
      fc.oneof(
        fc
          .tuple(fc.constantFrom<CompareOperator>('eq', 'ne', 'lt', 'le', 'gt', 'ge', 'contains', 'starts_with', 'ends_with'), text)
          .map(([operator, value]): Expression => ({ kind: 'compare', operator, left, right: str(value) })),
        patternArbitrary.map((value): Expression => ({ kind: 'compare', operator: 'matches', left, right: str(value) })),
        fc
          .array(text.map(str), { minLength: 1, maxLength: 4 })
          .map((items): Expression => ({ kind: 'in', left, items: items as ListItem[] })),
      ),
    );
  const integer = valueArbitrary('Int', 2).chain((left): fc.Arbitrary<Expression> =>
    fc.oneof(
      fc
        .tuple(fc.constantFrom<CompareOperator>('eq', 'ne', 'lt', 'le', 'gt', 'ge'), intArbitrary)
        .map(([operator, value]): Expression => ({ kind: 'compare', operator, left, right: { kind: 'int', value } })),
      fc
        .array(
          fc.oneof(
            intArbitrary.map((value): ListItem => ({ kind: 'int', value })),
            fc.tuple(intArbitrary, fc.nat(2_000_000)).map(([from, span]): ListItem => ({ kind: 'range', from, to: from + span })),
          ),
          { minLength: 1, maxLength: 4 },
        )
        .map((items): Expression => ({ kind: 'in', left, items })),
    ),
  );
  const ip: fc.Arbitrary<Expression> = fc.oneof(
    fc.tuple(fc.constantFrom<CompareOperator>('eq', 'ne'), addressArbitrary).map(([operator, value]): Expression => ({
      kind: 'compare',
      operator,
      left: { kind: 'field', name: 'ip.src' },
      right: { kind: 'ip', value },
    })),
    fc.array(rangeArbitrary, { minLength: 1, maxLength: 4 }).map((values): Expression => ({
      kind: 'in',
      left: { kind: 'field', name: 'ip.src' },
      items: values.map((value): ListItem => ({ kind: 'ip', value })),
    })),
  );
  const bool: fc.Arbitrary<Expression> = fc.oneof(
    fc.constantFrom(...boolFields).map((name): Expression => ({ kind: 'field', name })),
    fc
      .tuple(fc.constantFrom(...boolFields), fc.constantFrom<CompareOperator>('eq', 'ne'), fc.boolean())
      .map(([name, operator, value]): Expression => ({
        kind: 'compare',
        operator,
        left: { kind: 'field', name },
        right: { kind: 'bool', value },
      })),
  );
  return fc.oneof(textual('String'), textual('Array<String>'), integer, ip, bool);
}

/** Random well-typed ASTs, as `parseExpression` would return them, up to `depth` logical levels. */
export function expressionArbitrary(options: ArbitraryOptions, depth = 3): fc.Arbitrary<Expression> {
  const leaf = conditionArbitrary(options);
  let level: fc.Arbitrary<Expression> = leaf;
  for (let d = 0; d < depth; d++) {
    const inner = level;
    level = fc.oneof(
      { weight: 2, arbitrary: leaf },
      { weight: 1, arbitrary: inner.map((operand): Expression => ({ kind: 'not', operand })) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.constantFrom('and', 'or', 'xor' as const), fc.array(inner, { minLength: 2, maxLength: 3 }))
          .map(([operator, operands]): Expression => ({ kind: 'logical', operator, operands })),
      },
    );
  }
  return level;
}

const certArbitrary: fc.Arbitrary<ClientCertFacts> = fc.oneof(
  fc.constant(NO_CLIENT_CERT),
  fc.record({
    presented: fc.boolean(),
    chainVerified: fc.boolean(),
    revoked: fc.boolean(),
    serial: fc.oneof(fc.constantFrom('0a1b2c', 'deadbeef', ''), fc.string({ maxLength: 6 })),
    fingerprintSha256: fc.constantFrom('ab'.repeat(32), ''),
    subjectDn: fc.oneof(fc.constantFrom(...texts), fc.string({ maxLength: 8 })),
    issuerDn: fc.constantFrom(...texts),
    issuerSki: fc.constantFrom('DEADBEEF', ''),
    notBefore: fc.oneof(fc.constantFrom(...ints), fc.integer({ min: 0, max: 4_000_000_000 })),
    notAfter: fc.oneof(fc.constantFrom(...ints), fc.integer({ min: 0, max: 4_000_000_000 })),
    error: fc.constantFrom(...CLIENT_CERT_ERRORS),
  }),
);

const sourceIpArbitrary = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      ...addresses,
      '::ffff:192.0.2.10',
      '::ffff:10.9.8.7',
      'fe80::1%eth0',
      '',
      'unix',
      '01.2.3.4',
      '::ffff:c000:020a',
    ),
  },
  { weight: 1, arbitrary: fc.ipV4() },
  { weight: 1, arbitrary: fc.ipV6() },
);

/** Random request facts drawing on the same pools as `expressionArbitrary`'s literals. */
export const requestFactsArbitrary: fc.Arbitrary<RequestFacts> = fc.record({
  host: fc.oneof(fc.constantFrom(...hosts.map((h) => h.toLowerCase())), fc.string({ maxLength: 6 })),
  method: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT'),
  path: fc.oneof(fc.constantFrom(...paths), fc.string({ maxLength: 8 })),
  query: fc.constantFrom('', 'x=1&y=2', 'q=22'),
  userAgent: fc.oneof(fc.constantFrom(...agents), fc.string({ maxLength: 8 })),
  headers: fc.dictionary(fc.constantFrom(...headerNames), fc.array(textArbitrary({ unicode: false }), { maxLength: 3 }), { maxKeys: 4 }),
  sourceIp: sourceIpArbitrary,
  tls: fc.boolean(),
  clientCert: certArbitrary,
});

/** Tokens of the language and near misses, to be strung together into plausible nonsense. */
export const tokenArbitrary = fc.oneof(
  fc.constantFrom(...WAF_FIELDS.keys()),
  fc.constantFrom('http.request.headers["x-a"]', 'http.request.headers[', '["a"]', 'http.hots', 'ssl.client_cert'),
  fc.constantFrom(
    'eq',
    'ne',
    'lt',
    'le',
    'gt',
    'ge',
    '==',
    '!=',
    '<',
    '<=',
    '>',
    '>=',
    'contains',
    'matches',
    '~',
    'in',
    'starts_with',
    'ends_with',
  ),
  fc.constantFrom('and', 'or', 'xor', 'not', '&&', '||', '^^', '!', 'true', 'false'),
  fc.constantFrom('lower(', 'len(', 'starts_with(', 'ends_with(', 'upper(', '(', ')', '{', '}', '[', ']', ','),
  fc.constantFrom('"a.example.com"', '""', 'r"^/\\d+"', 'r#"x"#', '"\\d"', '"\\x4"', '"open', 'r#"open', '"(a"', '"(a+)+$"'),
  fc.constantFrom(
    '5',
    '-1',
    '1..3',
    '3..1',
    '9007199254740993',
    '10.0.0.0/8',
    '10.0.0.1/8',
    '::1',
    '2001:db8::/129',
    '1.2.3',
    '::ffff:1.2.3.4',
  ),
  fc.constantFrom('@', '..', '\\', '\n', '\t', '#', '$', 'é', '😀', '\u0000'),
);
