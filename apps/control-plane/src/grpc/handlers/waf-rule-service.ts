import type { adminV1 } from '@portcullis/proto';
import type { WafAction } from '../../domain/entities.ts';
import type { Services } from '../../domain/services.ts';
import { sampleRequestLimits, type SampleRequest } from '../../domain/waf-rule-test.ts';
import { maxRulesPerSite, type SavedRule, type SiteRules, type WafRuleInput } from '../../domain/waf-rules.ts';
import { ApiError, type ApiErrorCode } from '../../domain/api-error.ts';
import { message } from '../admin-messages.ts';
import { optionalText, requiredId, requiredText, textList } from '../request-fields.ts';
import type { UnaryHandler } from '../unary-handler.ts';

/** The HTTP API's bounds on the same fields; the sample request's are the domain's own. */
const limits = {
  name: 128,
  expression: 8192,
  blockBody: 8192,
  contentType: 256,
  host: 253,
  ip: 64,
  ...sampleRequestLimits,
} as const;

/** The fields `update_mask` may name. */
const updatableFields = ['name', 'expression', 'action', 'enabled'] as const;

/** WafRuleService: the ordered custom rules of a site, and a tester for them. */
export function wafRuleService(services: Services, unary: UnaryHandler): adminV1.WafRuleServiceServer {
  const { wafRules, wafRuleTest } = services;
  const siteRules = (rules: SiteRules) => ({ siteId: rules.siteId, version: rules.version, rules: rules.rules.map(message.wafRule) });
  const savedRule = (saved: SavedRule) => ({
    rule: message.wafRule(saved.rule),
    warnings: saved.warnings.map((w) => ({ code: w.code, message: w.message })),
  });

  return {
    listWafRules: unary(async (caller, request) => siteRules(await wafRules.list(caller, requiredId(request.siteId, 'site_id')))),
    getWafRule: unary(async (caller, request) => ({
      rule: message.wafRule(await wafRules.get(caller, requiredId(request.siteId, 'site_id'), requiredId(request.ruleId, 'rule_id'))),
    })),
    createWafRule: unary(async (caller, request) => {
      const name = optionalText(request.name, 'name', limits.name);
      const input: WafRuleInput = {
        expression: requiredText(request.expression, 'expression', limits.expression),
        ...(name !== undefined ? { name } : {}),
        ...(request.action ? { action: wafActionOf(request.action) } : {}),
        ...(request.enabled !== undefined ? { enabled: request.enabled } : {}),
      };
      // A position past any ruleset is a mistake, not "at the end" (the HTTP schema's bound).
      if (request.position !== undefined && request.position > maxRulesPerSite) {
        throw invalid(`position must be from 0 to ${maxRulesPerSite}.`, 'position');
      }
      return savedRule(await wafRules.create(caller, requiredId(request.siteId, 'site_id'), input, request.position));
    }),
    updateWafRule: unary(async (caller, request) => {
      const mask = updateMaskOf(request.updateMask);
      const input: Partial<WafRuleInput> = {
        ...(mask.has('name') ? { name: checkedName(request.name) } : {}),
        ...(mask.has('expression') ? { expression: requiredText(request.expression, 'expression', limits.expression) } : {}),
        ...(mask.has('action') ? { action: wafActionOf(required(request.action, 'action')) } : {}),
        ...(mask.has('enabled') ? { enabled: request.enabled } : {}),
      };
      return savedRule(await wafRules.update(caller, requiredId(request.siteId, 'site_id'), requiredId(request.ruleId, 'rule_id'), input));
    }),
    deleteWafRule: unary(async (caller, request) => {
      await wafRules.delete(caller, requiredId(request.siteId, 'site_id'), requiredId(request.ruleId, 'rule_id'));
      return {};
    }),
    reorderWafRules: unary(async (caller, request) =>
      siteRules(await wafRules.reorder(caller, requiredId(request.siteId, 'site_id'), textList(request.ruleIds, 'rule_ids', 64))),
    ),
    testWafRules: unary(async (caller, request) => {
      const expression = optionalText(request.expression, 'expression', limits.expression);
      const result = await wafRuleTest.evaluate(caller, requiredId(request.siteId, 'site_id'), {
        request: sampleOf(required(request.request, 'request')),
        ...(expression !== undefined ? { expression } : {}),
        ...(request.action ? { action: wafActionOf(request.action) } : {}),
      });
      const { decision, clientCert: c } = result;
      return {
        action: decision.action,
        ruleId: decision.ruleId ?? '',
        status: decision.action === 'block' ? decision.response.status : 0,
        logged: [...decision.logged],
        clientCert: {
          presented: c.presented,
          chainVerified: c.chainVerified,
          revoked: c.revoked,
          serial: c.serial,
          fingerprintSha256: c.fingerprintSha256,
          subjectDn: c.subjectDn,
          issuerDn: c.issuerDn,
          issuerSki: c.issuerSki,
          notBefore: c.notBefore,
          notAfter: c.notAfter,
          error: c.error,
        },
      };
    }),
  };
}

/** A rule action: `block` (status 400–599, zero meaning 403, optional body), `log` or `allow`. */
function wafActionOf(action: adminV1.WafAction): WafAction {
  if (action.type === 'block') {
    const status = action.status || 403;
    if (status < 400 || status > 599) throw invalid('action.status must be from 400 to 599.', 'action.status');
    const body = optionalText(action.body, 'action.body', limits.blockBody);
    const contentType = optionalText(action.contentType, 'action.content_type', limits.contentType);
    return { type: 'block', status, ...(body !== undefined ? { body } : {}), ...(contentType !== undefined ? { contentType } : {}) };
  }
  if (action.type === 'log' || action.type === 'allow') {
    if (action.status !== 0 || action.body !== '' || action.contentType !== '') {
      throw invalid('action.status, action.body and action.content_type apply to block only.', 'action');
    }
    return { type: action.type };
  }
  throw invalid('action.type must be block, log or allow.', 'action.type');
}

function updateMaskOf(mask: readonly string[]): ReadonlySet<(typeof updatableFields)[number]> {
  const known = new Set<string>(updatableFields);
  const unknown = mask.find((field) => !known.has(field));
  if (mask.length === 0 || unknown !== undefined) {
    throw invalid(`update_mask must name one or more of ${updatableFields.join(', ')}.`, 'update_mask');
  }
  return new Set(mask as (typeof updatableFields)[number][]);
}

/** A rule name may be cleared with the empty string. */
function checkedName(name: string): string {
  return optionalText(name, 'name', limits.name) ?? '';
}

/** The sample request's fields break the tester's rules as they do in the domain. */
const sampleCode = 'InvalidParameter.SampleRequest';

function sampleOf(sample: adminV1.SampleRequest): SampleRequest {
  if (sample.headers.length > limits.headers)
    throw invalid(`request.headers may hold at most ${limits.headers} headers.`, 'request.headers', sampleCode);
  // No prototype: a header named `__proto__` or `constructor` is a header like any other.
  const headers: Record<string, string[]> = Object.create(null);
  for (const header of sample.headers) {
    const name = requiredText(header.name, 'request.headers.name', limits.headerName, sampleCode).toLowerCase();
    // The message names the field, not the caller's header name.
    const values = [...(headers[name] ?? []), ...textList(header.values, 'request.headers.values', limits.headerValue, sampleCode)];
    if (values.length > limits.headerValues) {
      throw invalid(`a header may carry at most ${limits.headerValues} values.`, 'request.headers', sampleCode);
    }
    headers[name] = values;
  }
  const method = optionalText(sample.method, 'request.method', limits.method, sampleCode);
  const uri = optionalText(sample.uri, 'request.uri', limits.uri, sampleCode);
  const ip = optionalText(sample.ip, 'request.ip', limits.ip, sampleCode);
  const certificatePem = optionalText(sample.certificatePem, 'request.certificate_pem', limits.certificatePem, sampleCode);
  return {
    host: requiredText(sample.host, 'request.host', limits.host, sampleCode),
    headers,
    ...(method !== undefined ? { method } : {}),
    ...(uri !== undefined ? { uri } : {}),
    ...(ip !== undefined ? { ip } : {}),
    ...(sample.tls !== undefined ? { tls: sample.tls } : {}),
    ...(certificatePem !== undefined ? { certificatePem } : {}),
  };
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw invalid(`${field} is required.`, field);
  return value;
}

function invalid(text: string, field: string, code: ApiErrorCode = 'InvalidParameter'): ApiError {
  return new ApiError(code, { message: text, details: { field } });
}
