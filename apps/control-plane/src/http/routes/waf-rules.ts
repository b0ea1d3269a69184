import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { fromOriginalRules, type OriginalCustomRule } from '@portcullis/waf';
import type { WafAction } from '../../domain/entities.ts';
import type { Services } from '../../domain/services.ts';
import type { WafRuleInput } from '../../domain/waf-rules.ts';
import { maxRulesPerSite, wafRuleErrors } from '../../domain/waf-rules.ts';
import { SiteParams, Timestamp, commonErrors } from '../schemas.ts';

const Action = Type.Union([
  Type.Object(
    {
      type: Type.Literal('block'),
      status: Type.Optional(Type.Integer({ minimum: 400, maximum: 599, default: 403 })),
      body: Type.Optional(Type.String({ maxLength: 8192 })),
      contentType: Type.Optional(Type.String({ maxLength: 256 })),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('log') }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('allow') }, { additionalProperties: false }),
]);
const Expression = Type.String({
  minLength: 1,
  maxLength: 8192,
  description: 'libs/waf rule language, e.g. (http.host eq "a.example.com" and not ssl.client_cert.verified)',
});
const Name = Type.String({ maxLength: 128 });

const Rule = Type.Object({
  id: Type.String(),
  name: Type.String(),
  expression: Type.String(),
  action: Action,
  enabled: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
const Warning = Type.Object({ code: Type.String(), message: Type.String() });
const SavedRule = Type.Object({ rule: Rule, warnings: Type.Array(Warning) });
const SiteRules = Type.Object({ siteId: Type.String(), version: Type.Integer(), rules: Type.Array(Rule) });
const RuleParams = Type.Object({ siteId: Type.String({ maxLength: 64 }), ruleId: Type.String({ maxLength: 64 }) });

const NewRule = Type.Object(
  {
    name: Type.Optional(Name),
    expression: Expression,
    action: Type.Optional(Action),
    enabled: Type.Optional(Type.Boolean()),
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: maxRulesPerSite })),
  },
  { additionalProperties: false },
);
/** The original product's custom-rule shape, accepted as is. */
const OriginalRule = Type.Object(
  {
    Name: Type.Optional(Name),
    Phase: Type.String({ maxLength: 64 }),
    Expression: Expression,
    Action: Type.String({ maxLength: 32 }),
    ResponseCode: Type.Optional(Type.Integer()),
    Status: Type.Optional(Type.String({ maxLength: 8 })),
  },
  { additionalProperties: false },
);

const SampleRequest = Type.Object(
  {
    host: Type.String({ minLength: 1, maxLength: 253 }),
    method: Type.Optional(Type.String({ maxLength: 16 })),
    uri: Type.Optional(Type.String({ maxLength: 8192 })),
    headers: Type.Optional(
      Type.Record(
        Type.String({ maxLength: 256 }),
        Type.Union([Type.String({ maxLength: 8192 }), Type.Array(Type.String({ maxLength: 8192 }), { maxItems: 32 })]),
      ),
    ),
    ip: Type.Optional(Type.String({ maxLength: 64 })),
    tls: Type.Optional(Type.Boolean()),
    certificatePem: Type.Optional(Type.String({ maxLength: 65_536 })),
    certificate: Type.Optional(
      Type.Object(
        {
          presented: Type.Optional(Type.Boolean()),
          chainVerified: Type.Optional(Type.Boolean()),
          revoked: Type.Optional(Type.Boolean()),
          serial: Type.Optional(Type.String({ maxLength: 64 })),
          fingerprintSha256: Type.Optional(Type.String({ maxLength: 64 })),
          subjectDn: Type.Optional(Type.String({ maxLength: 1024 })),
          issuerDn: Type.Optional(Type.String({ maxLength: 1024 })),
          issuerSki: Type.Optional(Type.String({ maxLength: 128 })),
          notBefore: Type.Optional(Type.Integer()),
          notAfter: Type.Optional(Type.Integer()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** Our rule input from either accepted shape. */
function ruleInput(body: { Phase: string } | { expression: string }): WafRuleInput {
  if (!('Phase' in body)) {
    const { position: _position, ...input } = body as WafRuleInput & { position?: number };
    return input;
  }
  const mapped = fromOriginalRules([body as OriginalCustomRule]);
  if (!mapped.ok) throw wafRuleErrors(mapped.errors);
  const [rule] = mapped.rules as [(typeof mapped.rules)[number]];
  const action: WafAction =
    rule.action.type === 'block' ? { type: 'block', status: rule.action.status ?? 403 } : { type: rule.action.type };
  return {
    expression: rule.expression,
    action,
    enabled: rule.enabled ?? true,
    ...(rule.description !== undefined ? { name: rule.description } : {}),
  };
}

/** WAF custom rules of a site, and a tester that runs them against a sample request. */
export function wafRuleRoutes(services: Services): FastifyPluginAsyncTypebox {
  const { wafRules, wafRuleTest } = services;
  return async (app) => {
    app.get(
      '/sites/:siteId/waf-rules',
      {
        schema: {
          tags: ['WAF rules'],
          summary: 'The rules of a site, in evaluation order',
          params: SiteParams,
          response: { 200: SiteRules, ...commonErrors },
        },
      },
      async (request) => wafRules.list(request.caller, request.params.siteId),
    );
    app.post(
      '/sites/:siteId/waf-rules',
      {
        schema: {
          tags: ['WAF rules'],
          summary: "Add a rule (ours, or the original product's shape: Phase http_custom, Action deny/monitor)",
          description:
            'A rule that tests the client certificate without a hostname condition is saved with the warning Waf.CertWithoutHost.',
          params: SiteParams,
          body: Type.Union([NewRule, OriginalRule]),
          response: { 201: SavedRule, 409: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request, reply) => {
        const position = 'position' in request.body ? request.body.position : undefined;
        const saved = await wafRules.create(request.caller, request.params.siteId, ruleInput(request.body), position);
        return reply.status(201).send({ rule: saved.rule, warnings: [...saved.warnings] });
      },
    );
    app.put(
      '/sites/:siteId/waf-rules/order',
      {
        schema: {
          tags: ['WAF rules'],
          summary: 'Reorder: list every rule id once, in the new evaluation order',
          params: SiteParams,
          body: Type.Object({ ruleIds: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 }) }, { additionalProperties: false }),
          response: { 200: SiteRules, ...commonErrors },
        },
      },
      async (request) => wafRules.reorder(request.caller, request.params.siteId, request.body.ruleIds),
    );
    app.post(
      '/sites/:siteId/waf-rules/test',
      {
        schema: {
          tags: ['WAF rules'],
          summary: "Evaluate an expression, or the site's ruleset, against a sample request",
          params: SiteParams,
          body: Type.Object(
            { expression: Type.Optional(Expression), action: Type.Optional(Action), request: SampleRequest },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              decision: Type.Object({
                action: Type.Union([Type.Literal('block'), Type.Literal('allow'), Type.Literal('pass')]),
                ruleId: Type.Union([Type.String(), Type.Null()]),
                status: Type.Optional(Type.Integer()),
                logged: Type.Array(Type.String()),
              }),
              clientCert: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
            }),
            ...commonErrors,
          },
        },
      },
      async (request) => {
        const { expression, action, request: sample } = request.body;
        const result = await wafRuleTest.evaluate(request.caller, request.params.siteId, {
          request: sample,
          ...(expression !== undefined ? { expression } : {}),
          ...(action !== undefined ? { action: action as WafAction } : {}),
        });
        const d = result.decision;
        return {
          decision: {
            action: d.action,
            ruleId: d.ruleId,
            logged: [...d.logged],
            ...(d.action === 'block' ? { status: d.response.status } : {}),
          },
          clientCert: { ...result.clientCert },
        };
      },
    );
    app.get(
      '/sites/:siteId/waf-rules/:ruleId',
      { schema: { tags: ['WAF rules'], summary: 'Get a rule', params: RuleParams, response: { 200: Rule, ...commonErrors } } },
      async (request) => wafRules.get(request.caller, request.params.siteId, request.params.ruleId),
    );
    app.patch(
      '/sites/:siteId/waf-rules/:ruleId',
      {
        schema: {
          tags: ['WAF rules'],
          summary: 'Change a rule; {"enabled": false} disables it',
          params: RuleParams,
          body: Type.Object(
            {
              name: Type.Optional(Name),
              expression: Type.Optional(Expression),
              action: Type.Optional(Action),
              enabled: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: SavedRule, ...commonErrors },
        },
      },
      async (request) => {
        const saved = await wafRules.update(
          request.caller,
          request.params.siteId,
          request.params.ruleId,
          request.body as Partial<WafRuleInput>,
        );
        return { rule: saved.rule, warnings: [...saved.warnings] };
      },
    );
    app.delete(
      '/sites/:siteId/waf-rules/:ruleId',
      { schema: { tags: ['WAF rules'], summary: 'Delete a rule', params: RuleParams, response: { 204: Type.Null(), ...commonErrors } } },
      async (request, reply) => {
        await wafRules.delete(request.caller, request.params.siteId, request.params.ruleId);
        return reply.status(204).send(null);
      },
    );
  };
}
