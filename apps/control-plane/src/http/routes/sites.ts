import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Site } from '../../domain/entities.ts';
import type { Services } from '../../domain/services.ts';
import { pageRequest } from '../../domain/paging.ts';
import { PageOf, PagingQuery, SiteParams, Timestamp, commonErrors } from '../schemas.ts';

export const SiteSchema = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'The zone, e.g. example.com (IDN in punycode)' }),
  originUrl: Type.String(),
  forwardClientCert: Type.Boolean({ description: 'Edges send the origin the client certificate as RFC 9440 Client-Cert' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
const OriginUrl = Type.String({ minLength: 1, maxLength: 2048 });
const ForwardClientCert = Type.Boolean({ description: 'Send the origin the client certificate as RFC 9440 Client-Cert (default false)' });

/** A site as the API shows it (sites stored before the switch existed do not forward). */
export function presentSite(site: Site) {
  return { ...site, forwardClientCert: site.forwardClientCert ?? false };
}

/** Sites: a zone and its origin. */
export function siteRoutes(services: Services): FastifyPluginAsyncTypebox {
  const { sites } = services;
  return async (app) => {
    app.post(
      '/sites',
      {
        schema: {
          tags: ['sites'],
          summary: 'Create a site',
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 253, errorCode: 'InvalidParameter.SiteName' }),
              originUrl: OriginUrl,
              forwardClientCert: Type.Optional(ForwardClientCert),
            },
            { additionalProperties: false },
          ),
          response: { 201: SiteSchema, 409: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request, reply) => reply.status(201).send(presentSite(await sites.create(request.caller, request.body))),
    );
    app.get(
      '/sites',
      {
        schema: {
          tags: ['sites'],
          summary: 'List sites',
          querystring: PagingQuery,
          response: { 200: PageOf(SiteSchema), ...commonErrors },
        },
      },
      async (request) => {
        const page = await sites.list(request.caller, pageRequest(request.query.pageNumber, request.query.pageSize));
        return { ...page, items: page.items.map(presentSite) };
      },
    );
    app.get(
      '/sites/:siteId',
      { schema: { tags: ['sites'], summary: 'Get a site', params: SiteParams, response: { 200: SiteSchema, ...commonErrors } } },
      async (request) => presentSite(await sites.get(request.caller, request.params.siteId)),
    );
    app.patch(
      '/sites/:siteId',
      {
        schema: {
          tags: ['sites'],
          summary: "Change a site's origin",
          params: SiteParams,
          body: Type.Object(
            { originUrl: Type.Optional(OriginUrl), forwardClientCert: Type.Optional(ForwardClientCert) },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: SiteSchema, ...commonErrors },
        },
      },
      async (request) => presentSite(await sites.update(request.caller, request.params.siteId, request.body)),
    );
    app.delete(
      '/sites/:siteId',
      {
        schema: {
          tags: ['sites'],
          summary: 'Delete a site and everything under it; its client certificates stay revoked',
          params: SiteParams,
          response: { 204: Type.Null(), ...commonErrors },
        },
      },
      async (request, reply) => {
        await sites.delete(request.caller, request.params.siteId);
        return reply.status(204).send(null);
      },
    );
  };
}
