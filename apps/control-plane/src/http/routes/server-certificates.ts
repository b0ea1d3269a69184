import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../domain/services.ts';
import { pageRequest } from '../../domain/paging.ts';
import { ServerCertificateSchema, present } from '../certificate-schemas.ts';
import { PageOf, PagingQuery, SiteItemParams, SiteParams, commonErrors } from '../schemas.ts';

/** The TLS server certificates edges present for a site's hostnames. */
export function serverCertificateRoutes(services: Services): FastifyPluginAsyncTypebox {
  const { serverCertificates } = services;
  return async (app) => {
    app.post(
      '/sites/:siteId/server-certificates',
      {
        schema: {
          tags: ['server certificates'],
          summary: 'Upload a certificate chain (leaf first) and its key; the key is stored encrypted and never returned',
          params: SiteParams,
          body: Type.Object(
            { certificate: Type.String({ maxLength: 65_536 }), privateKey: Type.String({ maxLength: 16_384 }) },
            { additionalProperties: false },
          ),
          response: { 201: ServerCertificateSchema, 422: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(present.serverCertificate(await serverCertificates.upload(request.caller, request.params.siteId, request.body))),
    );
    app.get(
      '/sites/:siteId/server-certificates',
      {
        schema: {
          tags: ['server certificates'],
          summary: 'List server certificates',
          params: SiteParams,
          querystring: PagingQuery,
          response: { 200: PageOf(ServerCertificateSchema), ...commonErrors },
        },
      },
      async (request) => {
        const page = await serverCertificates.list(
          request.caller,
          request.params.siteId,
          pageRequest(request.query.pageNumber, request.query.pageSize),
        );
        return { ...page, items: page.items.map(present.serverCertificate) };
      },
    );
    app.delete(
      '/sites/:siteId/server-certificates/:id',
      {
        schema: {
          tags: ['server certificates'],
          summary: 'Delete a server certificate',
          params: SiteItemParams,
          response: { 204: Type.Null(), ...commonErrors },
        },
      },
      async (request, reply) => {
        await serverCertificates.delete(request.caller, request.params.siteId, request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
