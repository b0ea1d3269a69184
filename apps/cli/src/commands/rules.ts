import { apiPath, type Json } from '../api-client.ts';
import { UsageError, type CommandContext, type CommandGroup, type OptionSpec } from '../command.ts';
import { readTextFile } from '../files.ts';
import type { Column } from '../output.ts';
import { siteOption } from './shared-options.ts';

const actionLabel = (rule: Json) => {
  const action = rule['action'] as Json;
  return action['type'] === 'block' ? `block ${action['status'] ?? 403}` : action['type'];
};
const ruleColumns: readonly Column[] = [
  ['id', 'id'],
  ['name', 'name'],
  ['enabled', 'enabled'],
  ['action', actionLabel],
  ['expression', 'expression'],
];
const ruleRows: readonly Column[] = [...ruleColumns, ['created', 'createdAt'], ['updated', 'updatedAt']];

const actionOptions: Readonly<Record<string, OptionSpec>> = {
  action: { type: 'string', value: 'block|log|allow', description: 'What a match does (default block)' },
  status: { type: 'string', value: 'CODE', description: 'Block with this HTTP status, 400–599 (default 403)' },
  body: { type: 'string', value: 'TEXT', description: 'Block with this response body' },
  'content-type': { type: 'string', value: 'TYPE', description: 'Content type of the block body' },
};

/** The action from --action/--status/--body/--content-type, or undefined when none is given. */
function actionOf(ctx: CommandContext): Json | undefined {
  const type = ctx.choice('action', ['block', 'log', 'allow'] as const);
  const status = ctx.integer('status', 400, 599);
  const body = ctx.string('body');
  const contentType = ctx.string('content-type');
  const blockDetails = status !== undefined || body !== undefined || contentType !== undefined;
  if (type !== undefined && type !== 'block' && blockDetails)
    throw new UsageError('--status, --body and --content-type apply to --action block only');
  if (type === undefined && !blockDetails) return undefined;
  if (type !== undefined && type !== 'block') return { type };
  return {
    type: 'block',
    ...(status !== undefined ? { status } : {}),
    ...(body !== undefined ? { body } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
  };
}

/**
 * The console's "block failed authentication" rule: Client Certificate Verified = no on these
 * hostnames. A hostname condition keeps it from blocking every other hostname of the site.
 */
export function unverifiedOnExpression(hostnames: readonly string[]): string {
  for (const host of hostnames) {
    if (!/^[A-Za-z0-9.*-]+$/.test(host)) throw new UsageError(`--block-unverified-on: "${host}" is not a hostname`);
  }
  return `(http.host in {${hostnames.map((h) => `"${h}"`).join(' ')}} and not ssl.client_cert.verified)`;
}

function expressionOf(ctx: CommandContext): string | undefined {
  const expression = ctx.string('expression');
  const hosts = ctx.strings('block-unverified-on');
  if (expression !== undefined && hosts.length > 0) throw new UsageError('give --expression or --block-unverified-on, not both');
  return hosts.length > 0 ? unverifiedOnExpression(hosts) : expression;
}

/** Prints the rule, and the API's warnings (e.g. Waf.CertWithoutHost) on stderr. */
function showSaved(ctx: CommandContext, saved: Json): void {
  for (const warning of saved['warnings'] as Json[]) ctx.out.note(`warning ${warning['code']}: ${warning['message']}`);
  if (ctx.out.format === 'json') return ctx.out.json(saved);
  ctx.out.item(saved['rule'], ruleRows);
}

const rulesPath = (ctx: CommandContext) => apiPath`sites/${ctx.required('site')}/waf-rules`;
const rulePath = (ctx: CommandContext) => apiPath`sites/${ctx.required('site')}/waf-rules/${ctx.arg('id')}`;
const idArgument = { name: 'id', description: 'The rule id (portcullis rules list)' };

/** The sample request of `rules test`, from its flags. */
function sampleRequest(ctx: CommandContext): Json {
  const headers: Record<string, string[]> = {};
  for (const header of ctx.strings('header')) {
    const colon = header.indexOf(':');
    if (colon <= 0) throw new UsageError(`--header must be "Name: value", not "${header}"`);
    (headers[header.slice(0, colon).trim().toLowerCase()] ??= []).push(header.slice(colon + 1).trim());
  }
  const cert = ctx.string('cert');
  return {
    host: ctx.required('host'),
    ...(ctx.string('method') ? { method: ctx.string('method') } : {}),
    ...(ctx.string('uri') ? { uri: ctx.string('uri') } : {}),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(ctx.string('ip') ? { ip: ctx.string('ip') } : {}),
    ...(ctx.flag('plain-http') ? { tls: false } : {}),
    ...(cert !== undefined ? { certificatePem: readTextFile(cert, '--cert') } : {}),
  };
}

/** WAF custom rules of a site. */
export const rulesGroup: CommandGroup = {
  name: 'rules',
  summary: 'WAF rules of a site: create, list, get, update, delete, order, test',
  commands: [
    {
      name: 'create',
      summary: 'Add a rule (at the end, or at --position)',
      operations: ['POST /v1/sites/{siteId}/waf-rules'],
      details:
        'Expressions use the libs/waf language, e.g. (http.host eq "api.example.com" and not ssl.client_cert.verified).\n' +
        '--block-unverified-on HOST (repeatable) writes the console\'s "block failed authentication" rule for you.',
      options: {
        site: siteOption,
        expression: { type: 'string', value: 'EXPR', description: 'The rule expression' },
        'block-unverified-on': {
          type: 'string',
          multiple: true,
          value: 'HOST',
          description: 'Match requests to HOST without a verified client certificate (repeatable)',
        },
        name: { type: 'string', value: 'NAME', description: 'A name for the rule' },
        ...actionOptions,
        disabled: { type: 'boolean', description: 'Save it disabled' },
        position: { type: 'string', value: 'N', description: 'Insert at this index (0 = evaluated first)' },
      },
      run: async (ctx) => {
        const expression = expressionOf(ctx);
        if (expression === undefined) throw new UsageError('--expression (or --block-unverified-on) is required');
        const action = actionOf(ctx);
        const position = ctx.integer('position', 0, 1_000_000);
        const body = {
          expression,
          ...(ctx.string('name') !== undefined ? { name: ctx.string('name') } : {}),
          ...(action ? { action } : {}),
          ...(ctx.flag('disabled') ? { enabled: false } : {}),
          ...(position !== undefined ? { position } : {}),
        };
        showSaved(ctx, await ctx.api.post(rulesPath(ctx), body));
      },
    },
    {
      name: 'list',
      summary: 'List the rules of a site in evaluation order',
      operations: ['GET /v1/sites/{siteId}/waf-rules'],
      options: { site: siteOption },
      run: async (ctx) => {
        const answer = await ctx.api.get(rulesPath(ctx));
        if (ctx.out.format === 'json') return ctx.out.json(answer);
        const rules = answer['rules'] as Json[];
        ctx.out.list({ totalCount: rules.length, items: rules }, ruleColumns);
      },
    },
    {
      name: 'get',
      summary: 'Show a rule',
      operations: ['GET /v1/sites/{siteId}/waf-rules/{ruleId}'],
      args: [idArgument],
      options: { site: siteOption },
      run: async (ctx) => ctx.out.item(await ctx.api.get(rulePath(ctx)), ruleRows),
    },
    {
      name: 'update',
      summary: 'Change a rule (only what is given)',
      operations: ['PATCH /v1/sites/{siteId}/waf-rules/{ruleId}'],
      args: [idArgument],
      options: {
        site: siteOption,
        expression: { type: 'string', value: 'EXPR', description: 'A new expression' },
        name: { type: 'string', value: 'NAME', description: 'A new name' },
        ...actionOptions,
        enable: { type: 'boolean', description: 'Enable the rule' },
        disable: { type: 'boolean', description: 'Disable the rule' },
      },
      run: async (ctx) => {
        if (ctx.flag('enable') && ctx.flag('disable')) throw new UsageError('give --enable or --disable, not both');
        const action = actionOf(ctx);
        const body = {
          ...(ctx.string('expression') !== undefined ? { expression: ctx.string('expression') } : {}),
          ...(ctx.string('name') !== undefined ? { name: ctx.string('name') } : {}),
          ...(action ? { action } : {}),
          ...(ctx.flag('enable') ? { enabled: true } : ctx.flag('disable') ? { enabled: false } : {}),
        };
        const path = rulePath(ctx);
        if (Object.keys(body).length === 0)
          throw new UsageError('nothing to change: give --expression, --name, --action, --enable or --disable');
        showSaved(ctx, await ctx.api.patch(path, body));
      },
    },
    {
      name: 'delete',
      summary: 'Delete a rule',
      operations: ['DELETE /v1/sites/{siteId}/waf-rules/{ruleId}'],
      args: [idArgument],
      options: { site: siteOption },
      run: async (ctx) => {
        await ctx.api.delete(rulePath(ctx));
        ctx.out.note(`deleted rule ${ctx.arg('id')}`);
      },
    },
    {
      name: 'order',
      summary: 'Reorder the rules: every rule id once, in the new evaluation order',
      operations: ['PUT /v1/sites/{siteId}/waf-rules/order'],
      args: [{ name: 'id', description: 'Rule ids, first evaluated first', variadic: true }],
      options: { site: siteOption },
      run: async (ctx) => {
        const ruleIds = ctx.rest('id');
        if (ruleIds.length === 0) throw new UsageError('give every rule id, in the new order');
        const answer = await ctx.api.put(`${rulesPath(ctx)}/order`, { ruleIds });
        if (ctx.out.format === 'json') return ctx.out.json(answer);
        const rules = answer['rules'] as Json[];
        ctx.out.list({ totalCount: rules.length, items: rules }, ruleColumns);
      },
    },
    {
      name: 'test',
      summary: "Evaluate the site's rules (or one --expression) against a sample request",
      operations: ['POST /v1/sites/{siteId}/waf-rules/test'],
      details:
        'Runs the engine the edges run. Without --cert the request presents no client certificate; with --cert\n' +
        'the certificate is checked against the CAs bound to --host and the revocations the control plane holds.',
      options: {
        site: siteOption,
        host: { type: 'string', value: 'HOST', description: "The request's hostname", required: true },
        method: { type: 'string', value: 'METHOD', description: 'Default GET' },
        uri: { type: 'string', value: 'PATH', description: 'Path and query, default /' },
        header: { type: 'string', multiple: true, value: '"NAME: VALUE"', description: 'A request header (repeatable)' },
        ip: { type: 'string', value: 'ADDRESS', description: 'Client address, default 127.0.0.1' },
        'plain-http': { type: 'boolean', description: 'The request came without TLS' },
        cert: { type: 'string', value: 'FILE', description: 'The client certificate presented, PEM' },
        expression: { type: 'string', value: 'EXPR', description: "Test this expression instead of the site's rules" },
        ...actionOptions,
      },
      run: async (ctx) => {
        const action = actionOf(ctx);
        const expression = ctx.string('expression');
        if (action && expression === undefined) throw new UsageError('--action and its details apply to --expression only');
        const body = { request: sampleRequest(ctx), ...(expression !== undefined ? { expression } : {}), ...(action ? { action } : {}) };
        const result = await ctx.api.post(`${rulesPath(ctx)}/test`, body);
        ctx.out.item(result, [
          ['decision', 'decision.action'],
          ['rule', 'decision.ruleId'],
          ['status', 'decision.status'],
          ['logged by', 'decision.logged'],
          ['cert presented', 'clientCert.presented'],
          // ssl.client_cert.verified: a chain to a bound CA and not revoked.
          ['cert verified', (r) => r['clientCert']['chainVerified'] === true && r['clientCert']['revoked'] !== true],
          ['cert revoked', 'clientCert.revoked'],
          ['cert error', 'clientCert.error'],
          ['cert serial', 'clientCert.serial'],
        ]);
      },
    },
  ],
};
