import type { adminV1 } from '@portcullis/proto';
import type { Services } from '../../domain/services.ts';
import { ApiError } from '../../domain/api-error.ts';
import { message } from '../admin-messages.ts';
import { optionalId, optionalText, paging, requiredId, requiredText, textList } from '../request-fields.ts';
import type { UnaryHandler } from '../unary-handler.ts';

/** The HTTP API's bounds on the same fields. */
const limits = { certificate: 65_536, name: 128, serialNumber: 64, reason: 256, hostname: 300 } as const;

/**
 * CustomCaService: uploaded client CAs with their CRLs and hand revocations, and the
 * hostname bindings of any CA (an empty `id` is the account CA).
 */
export function customCaService(services: Services, unary: UnaryHandler): adminV1.CustomCaServiceServer {
  const { customCas, bindings } = services;
  const siteAndCa = (request: { siteId: string; id: string }) =>
    [requiredId(request.siteId, 'site_id'), requiredId(request.id, 'id')] as const;

  return {
    uploadClientCaCertificate: unary(async (caller, request) => {
      const name = optionalText(request.name, 'name', limits.name);
      const ca = await customCas.upload(caller, requiredId(request.siteId, 'site_id'), {
        certificate: requiredText(request.certificate, 'certificate', limits.certificate),
        ...(name !== undefined ? { name } : {}),
      });
      return { caCertificate: message.customCa(ca) };
    }),
    getClientCaCertificate: unary(async (caller, request) => ({
      caCertificate: message.customCa(await customCas.get(caller, ...siteAndCa(request))),
    })),
    listClientCaCertificates: unary(async (caller, request) => {
      const page = await customCas.list(caller, requiredId(request.siteId, 'site_id'), paging(request.page));
      return { page: message.pageInfo(page), caCertificates: page.items.map(message.customCa) };
    }),
    deleteClientCaCertificate: unary(async (caller, request) => {
      await customCas.delete(caller, ...siteAndCa(request));
      return {};
    }),

    uploadClientCaCrl: unary(async (caller, request) => {
      const [siteId, caId] = siteAndCa(request);
      if (request.crl.length === 0) throw new ApiError('InvalidParameter', { message: 'crl is required.', details: { field: 'crl' } });
      // PEM or DER bytes: libs/pki tells them apart.
      return { crl: message.crl(await customCas.uploadCrl(caller, siteId, caId, request.crl)) };
    }),
    getClientCaCrl: unary(async (caller, request) => ({ crl: message.crl(await customCas.getCrl(caller, ...siteAndCa(request))) })),
    revokeClientCaSerial: unary(async (caller, request) => {
      const [siteId, caId] = siteAndCa(request);
      const reason = optionalText(request.reason, 'reason', limits.reason);
      const revocation = await customCas.revokeSerial(caller, siteId, caId, {
        serialNumber: requiredText(request.serialNumber, 'serial_number', limits.serialNumber),
        ...(reason !== undefined ? { reason } : {}),
      });
      return { revocation: message.revocation(revocation) };
    }),
    listClientCaRevocations: unary(async (caller, request) => {
      const page = await customCas.listRevocations(caller, ...siteAndCa(request), paging(request.page));
      return { page: message.pageInfo(page), revocations: page.items.map(message.revocation) };
    }),
    deleteClientCaRevocation: unary(async (caller, request) => {
      const [siteId, caId] = siteAndCa(request);
      await customCas.deleteRevocation(caller, siteId, caId, requiredText(request.serialNumber, 'serial_number', limits.serialNumber));
      return {};
    }),

    setClientCaCertificateHostnames: unary(async (caller, request) => {
      const caId = optionalId(request.id, 'id');
      const hostnames = textList(request.hostnames, 'hostnames', limits.hostname);
      const binding = await bindings.set(caller, requiredId(request.siteId, 'site_id'), caId, hostnames);
      return { siteId: binding.siteId, id: request.id, hostnames: [...binding.hostnames] };
    }),
    getClientCaCertificateHostnames: unary(async (caller, request) => {
      const binding = await bindings.get(caller, requiredId(request.siteId, 'site_id'), optionalId(request.id, 'id'));
      return { siteId: binding.siteId, id: request.id, hostnames: [...binding.hostnames] };
    }),
  };
}
