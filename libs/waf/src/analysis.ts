import type { Expression, ValueNode } from './ast.ts';
import { isCaseInsensitive } from './compiler.ts';
import { printExpression } from './printer.ts';
import { isClientCertField, type FieldName } from './scheme.ts';

/**
 * The closed set of warning codes. A warning never stops a rule from being saved or run; the
 * control plane shows it to the author. Codes are stable like error codes.
 */
export const WAF_WARNING_CODES = {
  /**
   * The rule tests the client certificate but can match without a hostname condition, so it
   * applies to every hostname of the site (the original product warns the same way).
   */
  'Waf.CertWithoutHost': 'client certificate condition without a hostname condition',
  /** `cf.tls_client_auth.cert_verified` is used without a revocation check: it is true for revoked certificates. */
  'Waf.CfVerifiedIgnoresRevocation': 'cert_verified ignores revocation',
  /** A lower-cased value is compared with a literal that has upper-case letters: it can never be equal. */
  'Waf.UnreachableComparison': 'comparison that can never be equal',
} as const;

/** A stable warning code; see `WAF_WARNING_CODES`. */
export type WafWarningCode = keyof typeof WAF_WARNING_CODES;

/** A warning about an expression that is valid but probably not what its author meant. */
export interface WafWarning {
  readonly code: WafWarningCode;
  readonly message: string;
}

/** What an expression reads and what looks wrong in it. */
export interface ExpressionAnalysis {
  /** Fields the expression references, sorted, each once (`http.request.headers` for any header). */
  readonly fields: readonly FieldName[];
  /** Header names read through `http.request.headers["…"]`, lower-case, sorted, each once. */
  readonly headerNames: readonly string[];
  /** Warnings in a stable order: by code, then by position in the expression. */
  readonly warnings: readonly WafWarning[];
}

/**
 * Analyses a parsed expression for the control plane. `Waf.CertWithoutHost` is raised when the
 * expression reads a client-certificate field (`ssl.client_cert.*`, `cf.tls_client_auth.*`)
 * and some way of making it true puts no positive condition on `http.host` (e.g.
 * `not ssl.client_cert.verified`, or `… or http.host eq "a"`, or only `http.host ne "a"`).
 * Pure: the same AST gives the same analysis.
 */
export function analyzeExpression(expression: Expression): ExpressionAnalysis {
  const fields = new Set<FieldName>();
  const headerNames = new Set<string>();
  const unreachable: WafWarning[] = [];
  walk(expression, fields, headerNames, unreachable);
  const warnings: WafWarning[] = [];
  if ([...fields].some(isClientCertField) && !hostScoping(expression).whenTrue) {
    warnings.push({
      code: 'Waf.CertWithoutHost',
      message:
        'this rule tests the client certificate without a hostname condition, so it applies to every ' +
        'hostname of the site; add e.g. `http.host eq "api.example.com" and …`',
    });
  }
  if (
    fields.has('cf.tls_client_auth.cert_verified') &&
    !fields.has('cf.tls_client_auth.cert_revoked') &&
    !fields.has('ssl.client_cert.revoked') &&
    !fields.has('ssl.client_cert.verified')
  ) {
    warnings.push({
      code: 'Waf.CfVerifiedIgnoresRevocation',
      message:
        'cf.tls_client_auth.cert_verified is true for revoked certificates (as on Cloudflare); also test ' +
        'cf.tls_client_auth.cert_revoked, or use ssl.client_cert.verified, which includes revocation',
    });
  }
  warnings.push(...unreachable);
  return { fields: [...fields].sort(), headerNames: [...headerNames].sort(), warnings };
}

function walk(node: Expression, fields: Set<FieldName>, headers: Set<string>, unreachable: WafWarning[]): void {
  switch (node.kind) {
    case 'field':
      fields.add(node.name);
      return;
    case 'not':
      walk(node.operand, fields, headers, unreachable);
      return;
    case 'logical':
      for (const operand of node.operands) walk(operand, fields, headers, unreachable);
      return;
    case 'compare':
    case 'in': {
      collectValue(node.left, fields, headers);
      const literals =
        node.kind === 'in'
          ? node.items.flatMap((item) => (item.kind === 'string' ? [item.value] : []))
          : node.operator !== 'matches' && node.right.kind === 'string'
            ? [node.right.value]
            : [];
      const upper = literals.find((s) => s !== s.toLowerCase());
      if (isLowered(node.left) && !isCaseInsensitive(node.left) && upper !== undefined) {
        unreachable.push({
          code: 'Waf.UnreachableComparison',
          message: `\`${printExpression(node)}\` compares a lower-cased value with "${upper}", which has upper-case letters, so it is never equal`,
        });
      }
      return;
    }
  }
}

function collectValue(value: ValueNode, fields: Set<FieldName>, headers: Set<string>): void {
  if (value.kind === 'field') fields.add(value.name);
  else if (value.kind === 'index') {
    fields.add(value.field);
    headers.add(value.key.toLowerCase());
  } else collectValue(value.argument, fields, headers);
}

function isLowered(value: ValueNode): boolean {
  return value.kind === 'call' && value.name === 'lower';
}

function isHostValue(value: ValueNode): boolean {
  return value.kind === 'field'
    ? value.name === 'http.host'
    : value.kind === 'call' && value.name === 'lower' && isHostValue(value.argument);
}

/** Whether `http.host` is constrained on every way of making a node true, and of making it false. */
interface Scoping {
  readonly whenTrue: boolean;
  readonly whenFalse: boolean;
}

/**
 * Computes both polarities in one pass, so each node is visited once even under nested `not`
 * and `xor`. Negation swaps them (De Morgan): `not (a or b)` is true only when both are false.
 */
function hostScoping(node: Expression): Scoping {
  switch (node.kind) {
    case 'field':
      return { whenTrue: false, whenFalse: false };
    case 'not': {
      const inner = hostScoping(node.operand);
      return { whenTrue: inner.whenFalse, whenFalse: inner.whenTrue };
    }
    case 'compare':
    case 'in': {
      if (!isHostValue(node.left)) return { whenTrue: false, whenFalse: false };
      const negative = node.kind === 'compare' && node.operator === 'ne';
      return { whenTrue: !negative, whenFalse: negative };
    }
    case 'logical': {
      const parts = node.operands.map(hostScoping);
      if (node.operator === 'and') {
        return { whenTrue: parts.some((p) => p.whenTrue), whenFalse: parts.every((p) => p.whenFalse) };
      }
      if (node.operator === 'or') {
        return { whenTrue: parts.every((p) => p.whenTrue), whenFalse: parts.some((p) => p.whenFalse) };
      }
      // a xor rest is true as (a and not rest) or (not a and rest), false as (a and rest) or
      // (not a and not rest); folded from the last operand.
      let rest = parts[parts.length - 1]!;
      for (let i = parts.length - 2; i >= 0; i--) {
        const a = parts[i]!;
        rest = {
          whenTrue: (a.whenTrue || rest.whenFalse) && (a.whenFalse || rest.whenTrue),
          whenFalse: (a.whenTrue || rest.whenTrue) && (a.whenFalse || rest.whenFalse),
        };
      }
      return rest;
    }
  }
}
