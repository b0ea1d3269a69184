import type { Caller } from '../../domain/caller.ts';
import type { Services } from '../../domain/services.ts';
import type { RpcParams } from './rpc-params.ts';
import { ApiError } from '../../domain/api-error.ts';
import type { PkeyType } from '../../domain/client-certificates.ts';
import { pageRequest } from '../../domain/paging.ts';
import { clientCertificateResult, customCaResult } from './rpc-presenters.ts';

/** One operation of the original product's RPC API: its result fields, without RequestId. */
export type RpcAction = (caller: Caller, params: RpcParams) => Promise<Record<string, unknown>>;

/**
 * The original product's operations by name (REFERENCE.md), with its parameter and response
 * field names, served by the same domain services as the REST routes. A Map, so that only
 * these names dispatch: `constructor`, `__proto__` or `toString` are not operations.
 */
export function rpcActions(services: Services): ReadonlyMap<string, RpcAction> {
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

  const paging = (params: RpcParams) => pageRequest(params.integer('PageNumber'), params.integer('PageSize'));
  const statusChange =
    (change: 'revoke' | 'activate'): RpcAction =>
    async (caller, params) => {
      const siteId = params.string('SiteId');
      const site = await services.sites.get(caller, siteId);
      const id = params.string('Id');
      // The original's API has no confirmation field: the call itself is the confirmation.
      await (change === 'revoke'
        ? services.clientCertificates.revoke(caller, siteId, id, true)
        : services.clientCertificates.activate(caller, siteId, id));
      return { Id: id, SiteId: siteId, SiteName: site.name };
    };

  const actions: Record<string, RpcAction> = {
    CreateClientCertificate: async (caller, params) => {
      const pkeyType = params.string('PkeyType', 'optional');
      if (pkeyType !== undefined && pkeyType !== 'RSA' && pkeyType !== 'ECC') throw new ApiError('InvalidParameter.PkeyType');
      const csr = params.string('CSR', 'optional');
      const commonName = params.string('CommonName', 'optional');
      const validityDays = params.integer('ValidityDays');
      const created = await services.clientCertificates.create(caller, params.string('SiteId'), {
        ...(validityDays !== undefined ? { validityDays } : {}),
        ...(csr !== undefined ? { csr } : {}),
        ...(pkeyType !== undefined ? { pkeyType: pkeyType as PkeyType } : {}),
        ...(commonName !== undefined ? { commonName } : {}),
      });
      const c = created.certificate;
      return {
        Id: c.id,
        Status: c.status,
        Certificate: c.certificatePem,
        ...(created.privateKeyPem ? { PrivateKey: created.privateKeyPem } : {}),
        CommonName: c.facts.commonName,
        NotBefore: c.facts.notBefore,
        NotAfter: c.facts.notAfter,
        Issuer: c.facts.issuerDn,
        SerialNumber: c.facts.serialNumber,
        FingerprintSha256: c.facts.fingerprintSha256,
        SignatureAlgorithm: c.facts.signatureAlgorithm,
        ValidityDays: c.validityDays,
        CACertificateId: c.caId,
      };
    },
    GetClientCertificate: async (caller, params) => {
      const c = await services.clientCertificates.get(caller, params.string('SiteId'), params.string('Id'));
      return { Certificate: c.certificatePem, Result: clientCertificateResult(c) };
    },
    ListClientCertificates: async (caller, params) => {
      const page = await services.clientCertificates.list(caller, params.string('SiteId'), paging(params));
      return {
        TotalCount: page.totalCount,
        PageNumber: page.pageNumber,
        PageSize: page.pageSize,
        Result: page.items.map(clientCertificateResult),
      };
    },
    RevokeClientCertificate: statusChange('revoke'),
    ActivateClientCertificate: statusChange('activate'),
    DeleteClientCertificate: async (caller, params) => {
      await services.clientCertificates.delete(caller, params.string('SiteId'), params.string('Id'));
      return {};
    },

    UploadClientCaCertificate: async (caller, params) => {
      const name = params.string('Name', 'optional');
      const ca = await services.customCas.upload(caller, params.string('SiteId'), {
        certificate: params.string('Certificate'),
        ...(name !== undefined ? { name } : {}),
      });
      const { Type: _type, CreateTime: _created, PubkeyAlgorithm: _pubkey, Name: _name, ...result } = customCaResult(ca);
      return result;
    },
    GetClientCaCertificate: async (caller, params) => {
      const ca = await services.customCas.get(caller, params.string('SiteId'), params.string('Id'));
      return { Certificate: ca.certificatePem, Result: customCaResult(ca) };
    },
    ListClientCaCertificates: async (caller, params) => {
      const page = await services.customCas.list(caller, params.string('SiteId'), paging(params));
      return { TotalCount: page.totalCount, PageNumber: page.pageNumber, PageSize: page.pageSize, Result: page.items.map(customCaResult) };
    },
    DeleteClientCaCertificate: async (caller, params) => {
      await services.customCas.delete(caller, params.string('SiteId'), params.string('Id'));
      return {};
    },

    SetClientCaCertificateHostnames: setHostnames,
    GetClientCaCertificateHostnames: getHostnames,
    // Older names of the same two operations, kept by the original as aliases.
    SetClientCertificateHostnames: setHostnames,
    GetClientCertificateHostnames: getHostnames,
  };
  return new Map(Object.entries(actions));
}
