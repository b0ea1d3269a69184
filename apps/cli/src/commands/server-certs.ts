import { apiPath } from '../api-client.ts';
import type { CommandGroup } from '../command.ts';
import { readTextFile } from '../files.ts';
import type { Column } from '../output.ts';
import { fetchListing, pagingOptions } from '../paging.ts';
import { siteOption } from './shared-options.ts';

const columns: readonly Column[] = [
  ['id', 'id'],
  ['hostnames', 'hostnames'],
  ['not after', 'notAfter'],
  ['sha-256', 'fingerprintSha256'],
];
const rows: readonly Column[] = [
  ['id', 'id'],
  ['site', 'siteId'],
  ['hostnames', 'hostnames'],
  ['sha-256', 'fingerprintSha256'],
  ['not before', 'notBefore'],
  ['not after', 'notAfter'],
  ['created', 'createdAt'],
];

/** The TLS certificates edges present for a site's hostnames. */
export const serverCertsGroup: CommandGroup = {
  name: 'server-certs',
  summary: 'Server certificates the edges present for a site',
  commands: [
    {
      name: 'upload',
      summary: 'Upload a certificate chain (leaf first) and its key; the key is stored encrypted and never returned',
      operations: ['POST /v1/sites/{siteId}/server-certificates'],
      options: {
        site: siteOption,
        cert: { type: 'string', value: 'FILE', description: 'The chain, PEM, leaf first', required: true },
        key: { type: 'string', value: 'FILE', description: 'The private key, PEM', required: true },
      },
      run: async (ctx) => {
        const body = { certificate: readTextFile(ctx.required('cert'), '--cert'), privateKey: readTextFile(ctx.required('key'), '--key') };
        ctx.out.item(await ctx.api.post(apiPath`sites/${ctx.required('site')}/server-certificates`, body), rows);
      },
    },
    {
      name: 'list',
      summary: 'List the server certificates of a site',
      operations: ['GET /v1/sites/{siteId}/server-certificates'],
      options: { site: siteOption, ...pagingOptions },
      run: async (ctx) =>
        ctx.out.list(await fetchListing(ctx, apiPath`sites/${ctx.required('site')}/server-certificates`, 'server certificates'), columns),
    },
    {
      name: 'delete',
      summary: 'Delete a server certificate',
      operations: ['DELETE /v1/sites/{siteId}/server-certificates/{id}'],
      args: [{ name: 'id', description: 'The server certificate id' }],
      options: { site: siteOption },
      run: async (ctx) => {
        await ctx.api.delete(apiPath`sites/${ctx.required('site')}/server-certificates/${ctx.arg('id')}`);
        ctx.out.note(`deleted server certificate ${ctx.arg('id')}`);
      },
    },
  ],
};
