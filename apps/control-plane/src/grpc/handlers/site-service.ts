import type { adminV1 } from '@portcullis/proto';
import type { Services } from '../../domain/services.ts';
import { message } from '../admin-messages.ts';
import { paging, requiredId, requiredText } from '../request-fields.ts';
import type { UnaryHandler } from '../unary-handler.ts';

/** The HTTP API's bounds on the same fields. */
const limits = { siteName: 253, originUrl: 2048, certificateChain: 65_536, privateKey: 16_384 } as const;

/** SiteService: sites, their edge server certificates, and the account's own client CA. */
export function siteService(services: Services, unary: UnaryHandler): adminV1.SiteServiceServer {
  const { sites, serverCertificates, accountCa } = services;
  return {
    createSite: unary(async (caller, request) => ({
      site: message.site(
        await sites.create(caller, {
          name: requiredText(request.name, 'name', limits.siteName, 'InvalidParameter.SiteName'),
          originUrl: requiredText(request.originUrl, 'origin_url', limits.originUrl),
          forwardClientCert: request.forwardClientCert,
        }),
      ),
    })),
    getSite: unary(async (caller, request) => ({ site: message.site(await sites.get(caller, requiredId(request.siteId, 'site_id'))) })),
    listSites: unary(async (caller, request) => {
      const page = await sites.list(caller, paging(request.page));
      return { page: message.pageInfo(page), sites: page.items.map(message.site) };
    }),
    updateSite: unary(async (caller, request) => ({
      site: message.site(
        await sites.update(caller, requiredId(request.siteId, 'site_id'), {
          ...(request.originUrl !== '' ? { originUrl: requiredText(request.originUrl, 'origin_url', limits.originUrl) } : {}),
          ...(request.forwardClientCert !== undefined ? { forwardClientCert: request.forwardClientCert } : {}),
        }),
      ),
    })),
    deleteSite: unary(async (caller, request) => {
      await sites.delete(caller, requiredId(request.siteId, 'site_id'));
      return {};
    }),

    uploadServerCertificate: unary(async (caller, request) => ({
      serverCertificate: message.serverCertificate(
        await serverCertificates.upload(caller, requiredId(request.siteId, 'site_id'), {
          certificate: requiredText(request.certificate, 'certificate', limits.certificateChain),
          privateKey: requiredText(request.privateKey, 'private_key', limits.privateKey),
        }),
      ),
    })),
    listServerCertificates: unary(async (caller, request) => {
      const page = await serverCertificates.list(caller, requiredId(request.siteId, 'site_id'), paging(request.page));
      return { page: message.pageInfo(page), serverCertificates: page.items.map(message.serverCertificate) };
    }),
    deleteServerCertificate: unary(async (caller, request) => {
      await serverCertificates.delete(caller, requiredId(request.siteId, 'site_id'), requiredId(request.id, 'id'));
      return {};
    }),

    getAccountCa: unary(async (caller) => message.accountCa(await accountCa.get(caller))),
  };
}
