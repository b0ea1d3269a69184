import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { EdgeStatus } from '../../discovery/edge-status.ts';
import { requireAdmin } from '../../domain/accounts.ts';
import { ApiError } from '../../domain/api-error.ts';
import type { Services } from '../../domain/services.ts';
import { Timestamp, commonErrors } from '../schemas.ts';

const Nack = Type.Object({
  code: Type.String(),
  message: Type.String(),
  resourceNames: Type.Array(Type.String()),
  systemVersion: Type.Integer({ description: 'The system_version of the refused response' }),
  at: Timestamp,
});

const TypeStatus = Type.Object({
  typeUrl: Type.String(),
  connected: Type.Boolean({ description: 'A stream of this type is open' }),
  resources: Type.Integer({ description: 'Resources the edge holds (ACKed)' }),
  systemVersion: Type.Optional(Type.Integer({ description: 'The system_version of the last response the edge ACKed' })),
  ackedAt: Type.Optional(Timestamp),
  inSync: Type.Optional(Type.Boolean({ description: "The edge holds exactly this replica's current resources of the type" })),
  lastNack: Type.Optional(Nack),
});

const Edge = Type.Object({
  nodeId: Type.String(),
  connected: Type.Boolean(),
  connectedSince: Type.Optional(Timestamp),
  lastSeen: Timestamp,
  peer: Type.Optional(Type.String()),
  certificate: Type.Optional(Type.Object({ serialNumber: Type.String(), notAfter: Timestamp })),
  types: Type.Array(TypeStatus),
});

const EdgeDetail = Type.Intersect([
  Edge,
  Type.Object({
    versions: Type.Record(Type.String(), Type.Record(Type.String(), Type.String()), {
      description: 'Per type URL: resource name → version the edge holds',
    }),
  }),
]);

const SystemVersion = Type.Optional(
  Type.Integer({ description: "The store revision this replica's resources reflect (absent when it serves no discovery)" }),
);

/** The edges this replica's discovery server has seen (administrator): who runs which configuration. */
export function edgeRoutes(services: Services): FastifyPluginAsyncTypebox {
  const { edges } = services;
  const withVersion = <T extends object>(body: T) => {
    const systemVersion = edges.systemVersion();
    return systemVersion === undefined ? body : { systemVersion, ...body };
  };
  return async (app) => {
    app.get(
      '/edges',
      {
        schema: {
          tags: ['edges'],
          summary: 'List the edges this replica serves or served, most recently seen first (administrator; per replica)',
          response: {
            200: Type.Object({ systemVersion: SystemVersion, items: Type.Array(Edge) }),
            403: { $ref: 'Error#' },
            ...commonErrors,
          },
        },
      },
      async (request) => {
        requireAdmin(request.caller);
        return withVersion({ items: edges.list().map(present) });
      },
    );
    app.get(
      '/edges/:nodeId',
      {
        schema: {
          tags: ['edges'],
          summary: 'One edge with the version of every resource it holds (administrator; per replica)',
          params: Type.Object({ nodeId: Type.String({ maxLength: 64 }) }),
          response: {
            200: Type.Intersect([Type.Object({ systemVersion: SystemVersion }), EdgeDetail]),
            403: { $ref: 'Error#' },
            ...commonErrors,
          },
        },
      },
      async (request) => {
        requireAdmin(request.caller);
        const edge = edges.get(request.params.nodeId);
        if (!edge) throw new ApiError('NotFound.Edge');
        const versions = Object.fromEntries(edge.types.map((t) => [t.typeUrl, Object.fromEntries([...t.versions].sort())]));
        return withVersion({ ...present(edge), versions });
      },
    );
  };
}

function present(edge: EdgeStatus) {
  return {
    nodeId: edge.nodeId,
    connected: edge.connected,
    ...(edge.connectedSince ? { connectedSince: edge.connectedSince } : {}),
    lastSeen: edge.lastSeen,
    ...(edge.peer ? { peer: edge.peer } : {}),
    ...(edge.certificate ? { certificate: edge.certificate } : {}),
    types: edge.types.map((t) => ({
      typeUrl: t.typeUrl,
      connected: t.openStreams > 0,
      resources: t.versions.size,
      ...(t.ackedSystemVersion !== undefined ? { systemVersion: t.ackedSystemVersion } : {}),
      ...(t.ackedAt ? { ackedAt: t.ackedAt } : {}),
      ...(t.inSync !== undefined ? { inSync: t.inSync } : {}),
      ...(t.lastNack ? { lastNack: t.lastNack } : {}),
    })),
  };
}
