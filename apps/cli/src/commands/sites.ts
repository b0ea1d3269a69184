import { apiPath } from '../api-client.ts';
import { UsageError, type CommandGroup } from '../command.ts';
import type { Column } from '../output.ts';
import { fetchListing, pagingOptions } from '../paging.ts';

const columns: readonly Column[] = [
  ['id', 'id'],
  ['name', 'name'],
  ['origin', 'originUrl'],
  ['client-cert header', 'forwardClientCert'],
];
const rows: readonly Column[] = [...columns, ['created', 'createdAt'], ['updated', 'updatedAt']];
const idArgument = [{ name: 'id', description: 'The site id' }];

/** Sites: a zone and its origin. */
export const sitesGroup: CommandGroup = {
  name: 'sites',
  summary: 'Sites (a zone and its origin): create, list, get, update, delete',
  commands: [
    {
      name: 'create',
      summary: 'Create a site',
      operations: ['POST /v1/sites'],
      options: {
        name: { type: 'string', value: 'ZONE', description: 'The zone, e.g. example.com', required: true },
        origin: { type: 'string', value: 'URL', description: 'Where edges send what passes, http(s)://…', required: true },
        'forward-client-cert': { type: 'boolean', description: 'Edges send the origin the certificate as RFC 9440 Client-Cert' },
      },
      run: async (ctx) => {
        const body = {
          name: ctx.required('name'),
          originUrl: ctx.required('origin'),
          ...(ctx.flag('forward-client-cert') ? { forwardClientCert: true } : {}),
        };
        ctx.out.item(await ctx.api.post('sites', body), rows);
      },
    },
    {
      name: 'list',
      summary: 'List sites',
      operations: ['GET /v1/sites'],
      options: { ...pagingOptions },
      run: async (ctx) => ctx.out.list(await fetchListing(ctx, 'sites', 'sites'), columns),
    },
    {
      name: 'get',
      summary: 'Show a site',
      operations: ['GET /v1/sites/{siteId}'],
      args: idArgument,
      run: async (ctx) => ctx.out.item(await ctx.api.get(apiPath`sites/${ctx.arg('id')}`), rows),
    },
    {
      name: 'update',
      summary: "Change a site's origin or Client-Cert forwarding",
      operations: ['PATCH /v1/sites/{siteId}'],
      args: idArgument,
      options: {
        origin: { type: 'string', value: 'URL', description: 'A new origin URL' },
        'forward-client-cert': { type: 'string', value: 'true|false', description: 'Send RFC 9440 Client-Cert to the origin' },
      },
      run: async (ctx) => {
        const forward = ctx.boolean('forward-client-cert');
        const body = {
          ...(ctx.string('origin') !== undefined ? { originUrl: ctx.string('origin') } : {}),
          ...(forward !== undefined ? { forwardClientCert: forward } : {}),
        };
        const path = apiPath`sites/${ctx.arg('id')}`;
        if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give --origin or --forward-client-cert');
        ctx.out.item(await ctx.api.patch(path, body), rows);
      },
    },
    {
      name: 'delete',
      summary: 'Delete a site and everything under it; its client certificates stay revoked',
      operations: ['DELETE /v1/sites/{siteId}'],
      args: idArgument,
      run: async (ctx) => {
        await ctx.api.delete(apiPath`sites/${ctx.arg('id')}`);
        ctx.out.note(`deleted site ${ctx.arg('id')}`);
      },
    },
  ],
};
