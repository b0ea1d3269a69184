import { BlockList, isIP } from 'node:net';
import type { Expression, ListItem, Literal, ValueNode } from '../ast.ts';
import type { RequestFacts } from '../request-facts.ts';

/**
 * The rule language's meaning written as plainly as possible, independent of the compiler:
 * a tree walk that re-reads everything on every step, Node's BlockList for addresses, native
 * RegExp for the regex patterns the arbitraries draw (ones with the same meaning in RE2 and
 * in JavaScript), TextEncoder for byte lengths. Tests compare the compiled closures with it.
 */
export function evaluateReference(expression: Expression, facts: RequestFacts): boolean {
  switch (expression.kind) {
    case 'field':
      return readValue(expression, facts) as boolean;
    case 'not':
      return !evaluateReference(expression.operand, facts);
    case 'logical': {
      const values = expression.operands.map((operand) => evaluateReference(operand, facts));
      if (expression.operator === 'and') return values.every(Boolean);
      if (expression.operator === 'or') return values.some(Boolean);
      return values.filter(Boolean).length % 2 === 1;
    }
    case 'compare':
      return anyOf(expression.left, facts, (value) =>
        compare(expression.operator, value, literalFor(expression.left, expression.operator, expression.right), facts),
      );
    case 'in':
      return anyOf(expression.left, facts, (value) => expression.items.some((item) => inItem(value, item, expression.left)));
  }
}

type Value = boolean | number | string | readonly string[];

/** A comparison on a header's values is true when it is true for one of them. */
function anyOf(left: ValueNode, facts: RequestFacts, test: (value: Value) => boolean): boolean {
  const value = readValue(left, facts);
  return Array.isArray(value) ? value.some((v: string) => test(v)) : test(value);
}

function readValue(node: ValueNode, facts: RequestFacts): Value {
  const cert = facts.clientCert;
  switch (node.kind) {
    case 'index':
      return Object.hasOwn(facts.headers, node.key) ? (facts.headers[node.key] ?? []) : [];
    case 'call': {
      const argument = readValue(node.argument, facts);
      if (node.name === 'lower')
        return Array.isArray(argument) ? argument.map((s: string) => s.toLowerCase()) : (argument as string).toLowerCase();
      return Array.isArray(argument) ? argument.length : new TextEncoder().encode(argument as string).length;
    }
    case 'field':
      switch (node.name) {
        case 'http.host':
          return facts.host;
        case 'http.request.method':
          return facts.method;
        case 'http.request.uri':
          return facts.query ? `${facts.path}?${facts.query}` : facts.path;
        case 'http.request.uri.path':
          return facts.path;
        case 'http.request.uri.query':
          return facts.query;
        case 'http.user_agent':
          return facts.userAgent;
        case 'ip.src':
          return facts.sourceIp;
        case 'ssl':
          return facts.tls;
        case 'ssl.client_cert.presented':
        case 'cf.tls_client_auth.cert_presented':
          return cert.presented;
        case 'ssl.client_cert.verified':
          return cert.presented && cert.chainVerified && !cert.revoked;
        case 'cf.tls_client_auth.cert_verified':
          return cert.presented && cert.chainVerified;
        case 'ssl.client_cert.revoked':
        case 'cf.tls_client_auth.cert_revoked':
          return cert.revoked;
        case 'ssl.client_cert.serial':
        case 'cf.tls_client_auth.cert_serial':
          return cert.serial;
        case 'ssl.client_cert.fingerprint_sha256':
        case 'cf.tls_client_auth.cert_fingerprint_sha256':
          return cert.fingerprintSha256;
        case 'ssl.client_cert.subject_dn':
        case 'cf.tls_client_auth.cert_subject_dn':
          return cert.subjectDn;
        case 'ssl.client_cert.issuer_dn':
        case 'cf.tls_client_auth.cert_issuer_dn':
          return cert.issuerDn;
        case 'ssl.client_cert.issuer_ski':
        case 'cf.tls_client_auth.cert_issuer_ski':
          return cert.issuerSki;
        case 'ssl.client_cert.not_before':
          return cert.notBefore;
        case 'ssl.client_cert.not_after':
          return cert.notAfter;
        case 'ssl.client_cert.error':
          return cert.error;
        case 'cf.tls_client_auth.cert_not_before':
          return cloudflareDate(cert.notBefore);
        case 'cf.tls_client_auth.cert_not_after':
          return cloudflareDate(cert.notAfter);
        case 'http.request.headers':
          throw new Error('headers are only read through an index');
      }
  }
}

function cloudflareDate(seconds: number): string {
  if (seconds === 0) return '';
  // toUTCString: "Thu, 21 Mar 2022 13:35:00 GMT" → "Mar 21 13:35:00 2022 GMT", day space-padded.
  const [, day, month, year, time] = new Date(seconds * 1000).toUTCString().split(' ');
  return `${month} ${String(Number(day)).padStart(2, ' ')} ${time} ${year} GMT`;
}

/** Fields whose facts are lower case and whose literals are compared lower-cased. */
const lowerCaseFacts = new Set<string>([
  'http.host',
  'ssl.client_cert.serial',
  'ssl.client_cert.fingerprint_sha256',
  'ssl.client_cert.issuer_ski',
  'cf.tls_client_auth.cert_serial',
  'cf.tls_client_auth.cert_fingerprint_sha256',
  'cf.tls_client_auth.cert_issuer_ski',
]);

function hostLike(node: ValueNode): boolean {
  if (node.kind === 'field') return lowerCaseFacts.has(node.name);
  return node.kind === 'call' && node.name === 'lower' && hostLike(node.argument);
}

function literalFor(left: ValueNode, operator: string, literal: Literal): Literal {
  if (literal.kind === 'string' && operator !== 'matches' && hostLike(left)) return { kind: 'string', value: literal.value.toLowerCase() };
  return literal;
}

function compare(operator: string, value: Value, literal: Literal, facts: RequestFacts): boolean {
  if (literal.kind === 'ip') {
    if (sourceFamily(facts.sourceIp) === null) return false;
    const equal = inIpRange(facts.sourceIp, literal.value);
    return operator === 'eq' ? equal : !equal;
  }
  if (operator === 'matches') return toRegExp((literal as { value: string }).value).test(value as string);
  const right = literal.value as string | number | boolean;
  const left = value as string | number | boolean;
  switch (operator) {
    case 'eq':
      return left === right;
    case 'ne':
      return left !== right;
    case 'lt':
      return left < right;
    case 'le':
      return left <= right;
    case 'gt':
      return left > right;
    case 'ge':
      return left >= right;
    case 'contains':
      return (left as string).includes(right as string);
    case 'starts_with':
      return (left as string).startsWith(right as string);
    case 'ends_with':
      return (left as string).endsWith(right as string);
  }
  throw new Error(`unknown operator ${operator}`);
}

function inItem(value: Value, item: ListItem, left: ValueNode): boolean {
  switch (item.kind) {
    case 'string':
      return value === (hostLike(left) ? item.value.toLowerCase() : item.value);
    case 'int':
      return value === item.value;
    case 'range':
      return (value as number) >= item.from && (value as number) <= item.to;
    case 'ip':
      return sourceFamily(value as string) !== null && inIpRange(value as string, item.value);
  }
}

const mapped = new BlockList();
mapped.addSubnet('::ffff:0:0', 96, 'ipv6');

/** The family an address is compared in: IPv4-mapped IPv6 counts as IPv4; null when not an address. */
function sourceFamily(text: string): 'ipv4' | 'ipv6' | null {
  const address = text.split('%')[0]!;
  const family = isIP(address);
  if (family === 4) return 'ipv4';
  if (family === 6) return mapped.check(address, 'ipv6') ? 'ipv4' : 'ipv6';
  return null;
}

function inIpRange(source: string, range: string): boolean {
  const address = source.split('%')[0]!;
  const [network, prefixText] = range.split('/');
  const rangeFamily = isIP(network!) === 4 ? 'ipv4' : 'ipv6';
  if (sourceFamily(source) !== rangeFamily) return false;
  const list = new BlockList();
  if (prefixText === undefined) list.addAddress(network!, rangeFamily);
  else list.addSubnet(network!, Number(prefixText), rangeFamily);
  return list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}

function toRegExp(pattern: string): RegExp {
  return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'iu') : new RegExp(pattern, 'u');
}
