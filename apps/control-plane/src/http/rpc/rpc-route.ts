import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Services } from '../../domain/services.ts';
import { ApiError } from '../../domain/api-error.ts';
import { toApiError } from '../error-reply.ts';
import { rpcActions } from './rpc-actions.ts';
import { RpcParams } from './rpc-params.ts';

/**
 * The original product's RPC endpoint: `GET|POST /?Action=<Operation>&…` with PascalCase
 * parameters (query string, form or JSON body) and PascalCase answers carrying `RequestId`;
 * errors come as `{ RequestId, Code, Message }` with the same codes and statuses as REST.
 * Scripts written for the original work against it with only the base URL changed.
 */
export function rpcRoute(services: Services): FastifyPluginAsyncTypebox {
  const actions = rpcActions(services);
  return async (app) => {
    app.route({
      method: ['GET', 'POST'],
      url: '/',
      schema: { hide: true },
      errorHandler: (error, request, reply) => {
        const apiError = toApiError(error);
        if (apiError.code === 'Store.Unavailable')
          request.log.debug({ err: apiError.cause ?? error }, 'rpc request refused: store unavailable');
        else if (apiError.status >= 500) request.log.error({ err: apiError.cause ?? error }, 'rpc request failed');
        return reply.status(apiError.status).send({ RequestId: request.id, Code: apiError.code, Message: apiError.message });
      },
      handler: async (request) => {
        const params = new RpcParams(request.query, request.body);
        const name = params.string('Action', 'optional');
        const action = name === undefined ? undefined : actions.get(name);
        if (!action) throw new ApiError('NotFound.Route', { message: 'The Action is missing or is not an operation of this API.' });
        return { RequestId: request.id, ...(await action(request.caller, params)) };
      },
    });
  };
}
