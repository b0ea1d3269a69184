import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../domain/services.ts';
import { maxJoinTokenTtlSeconds, maxJoinTokenUses } from '../../domain/join-tokens.ts';
import { pageRequest } from '../../domain/paging.ts';
import { IdParams, PageOf, PagingQuery, Timestamp, commonErrors } from '../schemas.ts';

const JoinToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: Timestamp,
  expiresAt: Timestamp,
  maxUses: Type.Integer(),
  uses: Type.Integer(),
  lastUsedAt: Type.Optional(Timestamp),
});

const IssuedJoinToken = Type.Object({
  id: Type.String(),
  name: Type.String(),
  token: Type.String({ description: 'The join token itself (`pjt_…`). Shown once; only its hash is stored.' }),
  expiresAt: Timestamp,
  maxUses: Type.Integer(),
  fleetCaFingerprintSha256: Type.String({ description: 'SHA-256 of the fleet CA certificate, for PORTCULLIS_FLEET_CA_SHA256 on edges' }),
});

/** Join tokens with which edges enroll (administrator). */
export function edgeJoinTokenRoutes(services: Services): FastifyPluginAsyncTypebox {
  const { joinTokens } = services;
  return async (app) => {
    app.post(
      '/edge-join-tokens',
      {
        schema: {
          tags: ['edges'],
          summary: 'Create a join token for enrolling edges (administrator); the token is returned once',
          body: Type.Object(
            {
              name: Type.Optional(Type.String({ maxLength: 128 })),
              ttlSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: maxJoinTokenTtlSeconds, default: 3600 })),
              maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: maxJoinTokenUses, default: 1 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: IssuedJoinToken, 403: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request, reply) => {
        const issued = await joinTokens.create(request.caller, request.body);
        const { id, name, expiresAt, maxUses } = issued.joinToken;
        return reply
          .status(201)
          .send({ id, name, token: issued.token, expiresAt, maxUses, fleetCaFingerprintSha256: issued.fleetCaFingerprintSha256 });
      },
    );
    app.get(
      '/edge-join-tokens',
      {
        schema: {
          tags: ['edges'],
          summary: 'List join tokens, expired and used-up ones included (administrator; never the tokens themselves)',
          querystring: PagingQuery,
          response: { 200: PageOf(JoinToken), 403: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request) => joinTokens.list(request.caller, pageRequest(request.query.pageNumber, request.query.pageSize)),
    );
    app.delete(
      '/edge-join-tokens/:id',
      {
        schema: {
          tags: ['edges'],
          summary: 'Delete a join token: it enrolls no more edges (administrator)',
          params: IdParams,
          response: { 204: Type.Null(), 403: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request, reply) => {
        await joinTokens.delete(request.caller, request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
