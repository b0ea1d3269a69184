import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../domain/services.ts';
import { pageRequest } from '../../domain/paging.ts';
import { AccountCaSchema, ClientCertificateSchema, present } from '../certificate-schemas.ts';
import { PageOf, PagingQuery, SiteItemParams, SiteParams, commonErrors } from '../schemas.ts';

const CreatedClientCertificate = Type.Object({
  certificate: ClientCertificateSchema,
  privateKey: Type.Optional(Type.String({ description: 'PKCS#8 PEM of the generated key. Shown once, never stored.' })),
  pkcs12: Type.Optional(Type.String({ description: 'Base64 PKCS#12 of certificate, key and CA, when a password was given' })),
});

/** The account CA and the client certificates it issues for a site. */
export function clientCertificateRoutes(services: Services): FastifyPluginAsyncTypebox {
  const { accountCa, clientCertificates } = services;
  return async (app) => {
    app.get(
      '/account-ca',
      {
        schema: {
          tags: ['client certificates'],
          summary: "The account's own client CA (created on first use); never its key",
          response: { 200: AccountCaSchema, ...commonErrors },
        },
      },
      async (request) => present.accountCa(await accountCa.get(request.caller)),
    );
    app.post(
      '/sites/:siteId/client-certificates',
      {
        schema: {
          tags: ['client certificates'],
          summary: 'Issue a client certificate from a CSR, or with a key generated here (returned once)',
          params: SiteParams,
          body: Type.Object(
            {
              validityDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, default: 365 })),
              csr: Type.Optional(Type.String({ maxLength: 16_384 })),
              pkeyType: Type.Optional(Type.Union([Type.Literal('RSA'), Type.Literal('ECC')])),
              commonName: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
              pkcs12Password: Type.Optional(Type.String({ minLength: 8, maxLength: 128 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: CreatedClientCertificate, 422: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request, reply) => {
        const created = await clientCertificates.create(request.caller, request.params.siteId, request.body);
        return reply.status(201).send({
          certificate: present.clientCertificate(created.certificate),
          ...(created.privateKeyPem ? { privateKey: created.privateKeyPem } : {}),
          ...(created.pkcs12 ? { pkcs12: Buffer.from(created.pkcs12).toString('base64') } : {}),
        });
      },
    );
    app.get(
      '/sites/:siteId/client-certificates',
      {
        schema: {
          tags: ['client certificates'],
          summary: 'List client certificates of a site',
          params: SiteParams,
          querystring: PagingQuery,
          response: { 200: PageOf(ClientCertificateSchema), ...commonErrors },
        },
      },
      async (request) => {
        const page = await clientCertificates.list(
          request.caller,
          request.params.siteId,
          pageRequest(request.query.pageNumber, request.query.pageSize),
        );
        return { ...page, items: page.items.map(present.clientCertificate) };
      },
    );
    app.get(
      '/sites/:siteId/client-certificates/:id',
      {
        schema: {
          tags: ['client certificates'],
          summary: 'Get a client certificate (never its key)',
          params: SiteItemParams,
          response: { 200: ClientCertificateSchema, ...commonErrors },
        },
      },
      async (request) => present.clientCertificate(await clientCertificates.get(request.caller, request.params.siteId, request.params.id)),
    );
    app.post(
      '/sites/:siteId/client-certificates/:id/revoke',
      {
        schema: {
          tags: ['client certificates'],
          summary: 'Revoke: edges refuse the certificate from their next update. Needs "confirm": true.',
          params: SiteItemParams,
          body: Type.Object(
            { confirm: Type.Boolean({ description: 'The certificate is no longer required' }) },
            { additionalProperties: false },
          ),
          response: { 200: ClientCertificateSchema, 409: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request) =>
        present.clientCertificate(
          await clientCertificates.revoke(request.caller, request.params.siteId, request.params.id, request.body.confirm),
        ),
    );
    app.post(
      '/sites/:siteId/client-certificates/:id/activate',
      {
        schema: {
          tags: ['client certificates'],
          summary: 'Activate a revoked certificate again',
          params: SiteItemParams,
          response: { 200: ClientCertificateSchema, 409: { $ref: 'Error#' }, ...commonErrors },
        },
      },
      async (request) =>
        present.clientCertificate(await clientCertificates.activate(request.caller, request.params.siteId, request.params.id)),
    );
    app.delete(
      '/sites/:siteId/client-certificates/:id',
      {
        schema: {
          tags: ['client certificates'],
          summary: 'Delete; the serial stays revoked at the edges',
          params: SiteItemParams,
          response: { 204: Type.Null(), ...commonErrors },
        },
      },
      async (request, reply) => {
        await clientCertificates.delete(request.caller, request.params.siteId, request.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
