import type { Caller } from '../../domain/caller.ts';
import type { Services } from '../../domain/services.ts';
import type { RpcParams } from './rpc-params.ts';

/** One operation of the original product's RPC API: its result fields, without RequestId. */
export type RpcAction = (caller: Caller, params: RpcParams) => Promise<Record<string, unknown>>;

/**
 * The original product's operations by name (REFERENCE.md), with its parameter and response
 * field names, served by the same domain services as the REST routes.
 */
export function rpcActions(services: Services): Readonly<Record<string, RpcAction>> {
  const setHostnames: RpcAction = async (caller, params) => {
    const siteId = params.string('SiteId');
    const id = params.string('Id', 'optional');
    const binding = await services.bindings.set(caller, siteId, id, params.stringList('Hostnames'));
    return { SiteId: binding.siteId, Id: id, Hostnames: binding.hostnames };
  };
  const getHostnames: RpcAction = async (caller, params) => {
    const siteId = params.string('SiteId');
    const id = params.string('Id', 'optional');
    const binding = await services.bindings.get(caller, siteId, id);
    return { SiteId: binding.siteId, Id: id, Hostnames: binding.hostnames };
  };

  return {
    SetClientCaCertificateHostnames: setHostnames,
    GetClientCaCertificateHostnames: getHostnames,
    // Older names of the same two operations, kept by the original as aliases.
    SetClientCertificateHostnames: setHostnames,
    GetClientCertificateHostnames: getHostnames,
  };
}
