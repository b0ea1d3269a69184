import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../domain/services.ts';
import { pageRequest } from '../../domain/paging.ts';
import { CrlSchema, CustomCaSchema, RevocationSchema, present } from '../certificate-schemas.ts';
import { PageOf, PagingQuery, SiteItemParams, SiteParams, commonErrors } from '../schemas.ts';

/** CRLs may be large (500,000 entries is about 20 MB of DER, more as PEM). */
export const crlBodyLimit = 64 * 1024 * 1024;

/** Uploaded client CAs, their CRLs and serials revoked by hand. */
export function customCaRoutes(services: Services): FastifyPluginAsyncTypebox {
  const { customCas } = services;
  return async (app) => {
    app.post(
      '/sites/:siteId/client-ca-certificates',
      {
        schema: {
          tags: ['custom CAs'],
          summary: 'Upload a client CA (one PEM certificate); counts against the plan quota',
          params: SiteParams,
          body: Type.Object(
            { certificate: Type.String({ maxLength: 65_536 }), name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
            { additionalProperties: false },
          ),
          response: { 201: CustomCaSchema, 409: { $ref: 'Error#' }, 413: { $ref: 'Error#' }, 422: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request, reply) =>
        reply.status(201).send(present.customCa(await customCas.upload(request.caller, request.params.siteId, request.body))),
    );
    app.get(
      '/sites/:siteId/client-ca-certificates',
      {
        schema: {
          tags: ['custom CAs'],
          summary: 'List uploaded client CAs',
          params: SiteParams,
          querystring: PagingQuery,
          response: { 200: PageOf(CustomCaSchema), ...commonErrors },
        },
      },
      async (request) => {
        const page = await customCas.list(
          request.caller,
          request.params.siteId,
          pageRequest(request.query.pageNumber, request.query.pageSize),
        );
        return { ...page, items: page.items.map(present.customCa) };
      },
    );
    app.get(
      '/sites/:siteId/client-ca-certificates/:id',
      {
        schema: {
          tags: ['custom CAs'],
          summary: 'Get an uploaded client CA',
          params: SiteItemParams,
          response: { 200: CustomCaSchema, ...commonErrors },
        },
      },
      async (request) => present.customCa(await customCas.get(request.caller, request.params.siteId, request.params.id)),
    );
    app.delete(
      '/sites/:siteId/client-ca-certificates/:id',
      {
        schema: {
          tags: ['custom CAs'],
          summary: 'Delete an uploaded CA with its bindings, CRL and revocations',
          params: SiteItemParams,
          response: { 204: Type.Null(), ...commonErrors },
        },
      },
      async (request, reply) => {
        await customCas.delete(request.caller, request.params.siteId, request.params.id);
        return reply.status(204).send(null);
      },
    );
    app.put(
      '/sites/:siteId/client-ca-certificates/:id/crl',
      {
        bodyLimit: crlBodyLimit,
        schema: {
          tags: ['custom CAs'],
          summary: "Upload the CA's CRL (PEM text, or base64 DER); it must be signed by the CA and newer than the held one",
          params: SiteItemParams,
          body: Type.Object({ crl: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
          response: { 200: CrlSchema, 409: { $ref: 'Error#' }, 413: { $ref: 'Error#' }, 422: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request) => {
        const text = request.body.crl;
        const input = text.includes('-----BEGIN') ? text : Buffer.from(text, 'base64');
        return present.crl(await customCas.uploadCrl(request.caller, request.params.siteId, request.params.id, input));
      },
    );
    app.get(
      '/sites/:siteId/client-ca-certificates/:id/crl',
      {
        schema: {
          tags: ['custom CAs'],
          summary: 'The CRL held for the CA',
          params: SiteItemParams,
          response: { 200: CrlSchema, ...commonErrors },
        },
      },
      async (request) => present.crl(await customCas.getCrl(request.caller, request.params.siteId, request.params.id)),
    );
    app.post(
      '/sites/:siteId/client-ca-certificates/:id/revocations',
      {
        schema: {
          tags: ['custom CAs'],
          summary: 'Revoke one serial of the CA by hand',
          params: SiteItemParams,
          body: Type.Object(
            { serialNumber: Type.String({ minLength: 1, maxLength: 64 }), reason: Type.Optional(Type.String({ maxLength: 256 })) },
            { additionalProperties: false },
          ),
          response: { 201: RevocationSchema, ...commonErrors },
        },
      },
      async (request, reply) =>
        reply
          .status(201)
          .send(present.revocation(await customCas.revokeSerial(request.caller, request.params.siteId, request.params.id, request.body))),
    );
    app.get(
      '/sites/:siteId/client-ca-certificates/:id/revocations',
      {
        schema: {
          tags: ['custom CAs'],
          summary: 'Serials revoked by hand',
          params: SiteItemParams,
          querystring: PagingQuery,
          response: { 200: PageOf(RevocationSchema), ...commonErrors },
        },
      },
      async (request) => {
        const page = await customCas.listRevocations(
          request.caller,
          request.params.siteId,
          request.params.id,
          pageRequest(request.query.pageNumber, request.query.pageSize),
        );
        return { ...page, items: page.items.map(present.revocation) };
      },
    );
    app.delete(
      '/sites/:siteId/client-ca-certificates/:id/revocations/:serialNumber',
      {
        schema: {
          tags: ['custom CAs'],
          summary: 'Take back a hand revocation',
          params: Type.Object({
            siteId: Type.String({ maxLength: 64 }),
            id: Type.String({ maxLength: 64 }),
            serialNumber: Type.String({ maxLength: 64 }),
          }),
          response: { 204: Type.Null(), ...commonErrors },
        },
      },
      async (request, reply) => {
        await customCas.deleteRevocation(request.caller, request.params.siteId, request.params.id, request.params.serialNumber);
        return reply.status(204).send(null);
      },
    );
  };
}
