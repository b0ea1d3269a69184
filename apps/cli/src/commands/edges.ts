import { apiPath, type Json } from '../api-client.ts';
import type { CommandGroup } from '../command.ts';
import type { Column } from '../output.ts';

const typeName = (typeUrl: string) => typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
/** "Site 3/3 ok, WafRuleset 2 nack": per resource type, what the edge holds and whether it is current. */
const typesSummary = (edge: Json) =>
  (edge['types'] as Json[])
    .map((t) => `${typeName(t['typeUrl'])} ${t['resources']}${t['lastNack'] ? ' nack' : t['inSync'] === false ? ' behind' : ''}`)
    .join(', ');
const columns: readonly Column[] = [
  ['node', 'nodeId'],
  ['connected', 'connected'],
  ['last seen', 'lastSeen'],
  ['peer', 'peer'],
  ['resources', typesSummary],
];

/** The edges this control-plane replica serves or served (administrator token). */
export const edgesGroup: CommandGroup = {
  name: 'edges',
  summary: 'Edges seen by this control-plane replica and the configuration they run (administrator)',
  commands: [
    {
      name: 'list',
      summary: 'List edges, most recently seen first',
      operations: ['GET /v1/edges'],
      run: async (ctx) => {
        const answer = await ctx.api.get('edges');
        if (ctx.out.format === 'json') return ctx.out.json(answer);
        if (answer['systemVersion'] !== undefined) ctx.out.note(`this replica's configuration revision: ${answer['systemVersion']}`);
        const items = answer['items'] as Json[];
        ctx.out.list({ totalCount: items.length, items }, columns);
      },
    },
    {
      name: 'get',
      summary: 'Show one edge with the version of every resource it holds',
      operations: ['GET /v1/edges/{nodeId}'],
      args: [{ name: 'node', description: 'The node id' }],
      run: async (ctx) => {
        const edge = await ctx.api.get(apiPath`edges/${ctx.arg('node')}`);
        if (ctx.out.format === 'json') return ctx.out.json(edge);
        ctx.out.item(edge, [
          ['node', 'nodeId'],
          ['connected', 'connected'],
          ['connected since', 'connectedSince'],
          ['last seen', 'lastSeen'],
          ['peer', 'peer'],
          ['certificate serial', 'certificate.serialNumber'],
          ['certificate expires', 'certificate.notAfter'],
          ['replica revision', 'systemVersion'],
        ]);
        ctx.out.text('');
        const rows = (edge['types'] as Json[]).map((t) => ({ ...t, type: typeName(t['typeUrl']) }));
        ctx.out.list({ totalCount: rows.length, items: rows }, [
          ['type', 'type'],
          ['stream', 'connected'],
          ['resources', 'resources'],
          ['acked revision', 'systemVersion'],
          ['in sync', 'inSync'],
          ['last nack', (t) => (t['lastNack'] ? `${t['lastNack']['code']}: ${t['lastNack']['message']}` : undefined)],
        ]);
      },
    },
  ],
};
