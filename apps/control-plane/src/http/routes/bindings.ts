import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../domain/services.ts';
import { commonErrors } from '../schemas.ts';

const BindingParams = Type.Object({
  siteId: Type.String({ maxLength: 64 }),
  caId: Type.String({ maxLength: 64, description: '"account" for the account CA, or a custom CA id' }),
});
const Binding = Type.Object({
  siteId: Type.String(),
  caId: Type.String(),
  hostnames: Type.Array(Type.String()),
});

/** The account CA is addressed as `account` in paths; the domain calls it "no id". */
const accountCaAlias = 'account';

/** Hostname bindings: which hostnames of a site accept certificates from which CA. */
export function bindingRoutes(services: Services): FastifyPluginAsyncTypebox {
  const { bindings } = services;
  const caIdOf = (caId: string) => (caId === accountCaAlias ? undefined : caId);
  const present = (b: { siteId: string; caId: string | undefined; hostnames: readonly string[] }) => ({
    siteId: b.siteId,
    caId: b.caId ?? accountCaAlias,
    hostnames: [...b.hostnames],
  });
  return async (app) => {
    app.put(
      '/sites/:siteId/ca-bindings/:caId',
      {
        schema: {
          tags: ['bindings'],
          summary: 'Replace the hostnames bound to a CA (at most 50; each the zone or under it)',
          params: BindingParams,
          body: Type.Object(
            { hostnames: Type.Array(Type.String({ maxLength: 300 }), { maxItems: 1000 }) },
            { additionalProperties: false },
          ),
          response: { 200: Binding, ...commonErrors },
        },
      },
      async (request) =>
        present(await bindings.set(request.caller, request.params.siteId, caIdOf(request.params.caId), request.body.hostnames)),
    );
    app.get(
      '/sites/:siteId/ca-bindings/:caId',
      {
        schema: {
          tags: ['bindings'],
          summary: 'Get the hostnames bound to a CA',
          params: BindingParams,
          response: { 200: Binding, ...commonErrors },
        },
      },
      async (request) => present(await bindings.get(request.caller, request.params.siteId, caIdOf(request.params.caId))),
    );
  };
}
