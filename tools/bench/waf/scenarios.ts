import { RE2JS } from 're2js';
import {
  compileExpression,
  compileRuleset,
  type CompiledRuleset,
  type Expression,
  type RequestFacts,
  type RuleDefinition,
  type ValueNode,
} from '@portcullis/waf';
import { realisticRules } from './realistic-ruleset.ts';
import { requestPool } from './request-pool.ts';
import { measureRate, type TimingOptions } from './timing.ts';

/** The rule most sites run: block failed client-certificate checks on one hostname. */
export const typicalSource = 'http.host eq "a.example.com" and not ssl.client_cert.verified';
export const poolSize = 4096; // a power of two: requests are picked with `i & mask`
const mask = poolSize - 1;

/** The same generated requests in every process (the generator is seeded). */
export const pool = requestPool(poolSize);

export function compiled(rules: readonly RuleDefinition[]): CompiledRuleset {
  const result = compileRuleset(rules);
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.ruleId}: ${e.error.format()}`).join('\n'));
  return result.ruleset;
}

/** The ceiling for the typical rule: what a programmer would write by hand for it. */
export const handWritten = (f: RequestFacts): boolean =>
  f.host === 'a.example.com' && !(f.clientCert.presented && f.clientCert.chainVerified && !f.clientCert.revoked);

/** A regex of the realistic ruleset with the strings its field takes over the pool. */
export interface RegexCase {
  readonly ruleId: string;
  readonly pattern: string;
  readonly inputs: readonly string[];
}

function textOf(value: ValueNode, facts: RequestFacts): string[] {
  switch (value.kind) {
    case 'index':
      return [...(facts.headers[value.key] ?? [])];
    case 'call':
      return textOf(value.argument, facts).map((s) => (value.name === 'lower' ? s.toLowerCase() : s));
    case 'field': {
      const byField: Partial<Record<string, string>> = {
        'http.host': facts.host,
        'http.user_agent': facts.userAgent,
        'http.request.uri.path': facts.path,
        'http.request.uri.query': facts.query,
        'http.request.uri': facts.query === '' ? facts.path : `${facts.path}?${facts.query}`,
      };
      const text = byField[value.name];
      if (text === undefined) throw new Error(`no benchmark input for ${value.name}`);
      return [text];
    }
  }
}

function collectRegexes(ruleId: string, node: Expression, into: RegexCase[]): void {
  if (node.kind === 'not') collectRegexes(ruleId, node.operand, into);
  else if (node.kind === 'logical') for (const operand of node.operands) collectRegexes(ruleId, operand, into);
  else if (node.kind === 'compare' && node.operator === 'matches' && node.right.kind === 'string') {
    const left = node.left;
    into.push({ ruleId, pattern: node.right.value, inputs: pool.flatMap((facts) => textOf(left, facts)) });
  }
}

/** Every regex of the realistic ruleset, in rule order. */
export function regexCases(): RegexCase[] {
  const cases: RegexCase[] = [];
  for (const rule of compiled(realisticRules).rules) collectRegexes(rule.id, rule.ast, cases);
  return cases;
}

/** The patterns are written to mean the same in both engines; `(?i)` becomes the `i` flag. */
export function nativeRegExp(pattern: string): RegExp {
  return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'i') : new RegExp(pattern);
}

const regexTiming: TimingOptions = { warmupMs: 150, roundMs: 120, rounds: 5 };

/**
 * Runs one named measurement and returns its rate per second. Each runs in a fresh worker:
 * in a shared isolate the first measurement would get a monomorphic, inlined call site and
 * every later one a megamorphic call, which skews ratios between them.
 */
export function runMeasurement(name: string): number {
  const regex = /^regex-(native|re2js):(\d+)$/.exec(name);
  if (regex) {
    const { pattern, inputs } = regexCases()[Number(regex[2])]!;
    const n = inputs.length;
    const engine = regex[1] === 'native' ? nativeRegExp(pattern) : RE2JS.compile(pattern);
    return measureRate((i) => engine.test(inputs[i % n]!), regexTiming);
  }
  switch (name) {
    case 'typical-compiled': {
      const typical = compileExpression(typicalSource);
      return measureRate((i) => typical.matches(pool[i & mask]!));
    }
    case 'typical-ruleset': {
      const ruleset = compiled([{ id: 'mtls', expression: typicalSource, action: { type: 'block' } }]);
      return measureRate((i) => ruleset.evaluate(pool[i & mask]!).action === 'block');
    }
    case 'typical-hand-written':
      return measureRate((i) => handWritten(pool[i & mask]!));
    case 'ruleset-50': {
      const ruleset = compiled(realisticRules);
      return measureRate((i) => ruleset.evaluate(pool[i & mask]!).action === 'block');
    }
    case 'ruleset-without-regexes': {
      const withRegex = new Set(regexCases().map((c) => c.ruleId));
      const ruleset = compiled(realisticRules.filter((r) => !withRegex.has(r.id)));
      return measureRate((i) => ruleset.evaluate(pool[i & mask]!).action === 'block');
    }
    default:
      throw new Error(`unknown measurement ${name}`);
  }
}
