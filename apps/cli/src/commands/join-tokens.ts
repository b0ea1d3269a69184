import { apiPath } from '../api-client.ts';
import type { CommandGroup } from '../command.ts';
import type { Column } from '../output.ts';
import { fetchListing, pagingOptions } from '../paging.ts';
import { secretDestination, secretOutOption } from './secret-output.ts';

const columns: readonly Column[] = [
  ['id', 'id'],
  ['name', 'name'],
  ['uses', (t) => `${t['uses']}/${t['maxUses']}`],
  ['expires', 'expiresAt'],
  ['last used', 'lastUsedAt'],
];

/** Join tokens with which edges enroll (administrator token). */
export const joinTokensGroup: CommandGroup = {
  name: 'join-tokens',
  summary: 'Join tokens with which edges enroll (administrator)',
  commands: [
    {
      name: 'create',
      summary: 'Create a join token; the token is shown once',
      operations: ['POST /v1/edge-join-tokens'],
      details: 'Give the edge the token (PORTCULLIS_JOIN_TOKEN_FILE) and the fleet CA pin (PORTCULLIS_FLEET_CA_SHA256).',
      options: {
        name: { type: 'string', value: 'NAME', description: 'A name for it' },
        'ttl-seconds': { type: 'string', value: 'SECONDS', description: 'Lifetime, 60–604800 (default 3600)' },
        'max-uses': { type: 'string', value: 'N', description: 'Edges it may enroll, 1–1000 (default 1)' },
        'secret-out': secretOutOption,
      },
      run: async (ctx) => {
        const ttlSeconds = ctx.integer('ttl-seconds', 60, 604_800);
        const maxUses = ctx.integer('max-uses', 1, 1000);
        const body = {
          ...(ctx.string('name') !== undefined ? { name: ctx.string('name') } : {}),
          ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
          ...(maxUses !== undefined ? { maxUses } : {}),
        };
        const destination = secretDestination(ctx);
        destination.prepare();
        const issued = await ctx.api.post('edge-join-tokens', body);
        const printed = ctx.string('secret-out') === undefined;
        if (ctx.out.format === 'json') {
          const { token: _token, ...rest } = issued;
          ctx.out.json(printed ? issued : rest);
        } else {
          ctx.out.item(issued, [
            ['id', 'id'],
            ['name', 'name'],
            ['expires', 'expiresAt'],
            ['max uses', 'maxUses'],
            ['fleet ca sha-256', 'fleetCaFingerprintSha256'],
            ...(printed ? ([['token', 'token']] as const) : []),
          ]);
        }
        destination.deliver('join token', issued['token']);
      },
    },
    {
      name: 'list',
      summary: 'List join tokens, expired and used-up ones included (never the tokens)',
      operations: ['GET /v1/edge-join-tokens'],
      options: { ...pagingOptions },
      run: async (ctx) => ctx.out.list(await fetchListing(ctx, 'edge-join-tokens', 'join tokens'), columns),
    },
    {
      name: 'delete',
      summary: 'Delete a join token: it enrolls no more edges',
      operations: ['DELETE /v1/edge-join-tokens/{id}'],
      args: [{ name: 'id', description: 'The join token id (not the token)' }],
      run: async (ctx) => {
        await ctx.api.delete(apiPath`edge-join-tokens/${ctx.arg('id')}`);
        ctx.out.note(`deleted join token ${ctx.arg('id')}`);
      },
    },
  ],
};
