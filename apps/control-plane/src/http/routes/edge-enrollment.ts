import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../domain/api-error.ts';
import type { Services } from '../../domain/services.ts';
import type { rateLimiter } from '../rate-limit.ts';
import { Timestamp } from '../schemas.ts';

const errors = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  413: { $ref: 'Error#' },
  415: { $ref: 'Error#' },
  422: { $ref: 'Error#' },
  429: { $ref: 'Error#' },
} as const;

/**
 * `POST /edge/enroll`: an edge trades a join token and its public key for its node
 * certificate. Not authenticated by API key — the join token in the body authenticates — so
 * it is mounted outside the authenticated scope, with its own rate limit per client address
 * (applied before the body is read).
 */
export function edgeEnrollmentRoutes(services: Services, limiter: ReturnType<typeof rateLimiter>): FastifyPluginAsyncTypebox {
  const { edgeEnrollment } = services;
  return async (app) => {
    app.addHook('onRequest', async (request: FastifyRequest) => {
      if (!limiter.take(`enroll:${request.ip}`)) throw new ApiError('Throttling');
    });
    app.post(
      '/edge/enroll',
      {
        schema: {
          tags: ['edges'],
          summary: 'Enroll an edge: a join token and the edge’s public key for a node certificate (no API key)',
          security: [],
          body: Type.Object(
            {
              joinToken: Type.String({ maxLength: 256 }),
              nodeId: Type.String({ maxLength: 256, description: '1–64 characters of a-z, 0-9 and "-"; the certificate’s CN' }),
              publicKeyPem: Type.String({ maxLength: 16_384, description: 'The edge’s public key, SPKI PEM (BEGIN PUBLIC KEY)' }),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({
              nodeId: Type.String(),
              certificatePem: Type.String({ description: 'Node certificate: CN = node id, clientAuth, 30 days, from the fleet CA' }),
              fleetCaPem: Type.String(),
              serialNumber: Type.String(),
              notAfter: Timestamp,
            }),
            ...errors,
          },
        },
      },
      async (request, reply) => reply.status(201).send(await edgeEnrollment.enroll(request.body, request.id)),
    );
  };
}
