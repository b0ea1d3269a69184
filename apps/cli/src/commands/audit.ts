import type { CommandGroup } from '../command.ts';
import { fetchListing, pagingOptions } from '../paging.ts';

/** The account's audit log. */
export const auditGroup: CommandGroup = {
  name: 'audit',
  summary: "The account's audit log, newest first",
  defaultCommand: 'list',
  commands: [
    {
      name: 'list',
      summary: 'Every change, newest first (portcullis audit is short for this)',
      operations: ['GET /v1/audit-log'],
      options: { ...pagingOptions },
      run: async (ctx) =>
        ctx.out.list(await fetchListing(ctx, 'audit-log', 'audit entries'), [
          ['revision', 'revision'],
          ['at', 'at'],
          ['actor', 'actor'],
          ['action', 'action'],
          ['target', (e) => `${e['target']['kind']} ${e['target']['id']}`],
          ['details', 'details'],
        ]),
    },
  ],
};
