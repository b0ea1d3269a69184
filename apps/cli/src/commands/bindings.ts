import { apiPath } from '../api-client.ts';
import { UsageError, type CommandContext, type CommandGroup, type OptionSpec } from '../command.ts';
import type { Column } from '../output.ts';
import { siteOption } from './shared-options.ts';

const caOption: OptionSpec = {
  type: 'string',
  value: 'CA_ID',
  description: 'An uploaded CA (portcullis cas list); default "account", the account CA',
};
const rows: readonly Column[] = [
  ['site', 'siteId'],
  ['ca', 'caId'],
  ['hostnames', 'hostnames'],
];
const bindingPath = (ctx: CommandContext) => apiPath`sites/${ctx.required('site')}/ca-bindings/${ctx.string('ca') ?? 'account'}`;

/** Which hostnames of a site ask for (and accept) client certificates from which CA. */
export const bindingsGroup: CommandGroup = {
  name: 'bindings',
  summary: 'Hostname bindings: which hostnames accept certificates from which CA',
  commands: [
    {
      name: 'set',
      summary: "Replace the hostnames bound to a CA (at most 50; each the site's zone or a name under it)",
      operations: ['PUT /v1/sites/{siteId}/ca-bindings/{caId}'],
      details: 'Edges then ask for a client certificate on exactly these hostnames. --none removes every binding of the CA.',
      args: [{ name: 'hostname', description: 'Hostnames to bind', optional: true, variadic: true }],
      options: { site: siteOption, ca: caOption, none: { type: 'boolean', description: 'Bind no hostname at all' } },
      run: async (ctx) => {
        const path = bindingPath(ctx);
        const hostnames = ctx.rest('hostname');
        if (ctx.flag('none') && hostnames.length > 0) throw new UsageError('give hostnames or --none, not both');
        if (!ctx.flag('none') && hostnames.length === 0)
          throw new UsageError('give at least one HOSTNAME (or --none to unbind every hostname)');
        ctx.out.item(await ctx.api.put(path, { hostnames }), rows);
      },
    },
    {
      name: 'get',
      summary: 'Show the hostnames bound to a CA',
      operations: ['GET /v1/sites/{siteId}/ca-bindings/{caId}'],
      options: { site: siteOption, ca: caOption },
      run: async (ctx) => ctx.out.item(await ctx.api.get(bindingPath(ctx)), rows),
    },
  ],
};
