import { adminV1 } from '@portcullis/proto';
import type { Services } from '../../domain/services.ts';
import type { PkeyType } from '../../domain/client-certificates.ts';
import { ApiError } from '../../domain/api-error.ts';
import { message } from '../admin-messages.ts';
import { optionalText, paging, requiredId } from '../request-fields.ts';
import type { UnaryHandler } from '../unary-handler.ts';

/** The HTTP API's bounds on the same fields. */
const limits = { csr: 16_384, commonName: 64 } as const;

/**
 * ClientCertificateService: certificates the account CA issues for a site. A generated
 * private key (and its PKCS#12) is in the create response only.
 */
export function clientCertificateService(services: Services, unary: UnaryHandler): adminV1.ClientCertificateServiceServer {
  const { clientCertificates } = services;
  return {
    createClientCertificate: unary(async (caller, request) => {
      const siteId = requiredId(request.siteId, 'site_id');
      const csr = optionalText(request.csr, 'csr', limits.csr);
      const pkeyType = pkeyTypeOf(request.pkeyType);
      const commonName = optionalText(request.commonName, 'common_name', limits.commonName);
      const created = await clientCertificates.create(caller, siteId, {
        ...(request.validityDays !== 0 ? { validityDays: request.validityDays } : {}),
        ...(csr !== undefined ? { csr } : {}),
        ...(pkeyType !== undefined ? { pkeyType } : {}),
        ...(commonName !== undefined ? { commonName } : {}),
        // Length and "only with a generated key" are the domain's rules.
        ...(request.pkcs12Password !== '' ? { pkcs12Password: request.pkcs12Password } : {}),
      });
      return {
        clientCertificate: message.clientCertificate(created.certificate),
        privateKey: created.privateKeyPem ?? '',
        pkcs12: created.pkcs12 ? Buffer.from(created.pkcs12) : Buffer.alloc(0),
      };
    }),
    getClientCertificate: unary(async (caller, request) => ({
      clientCertificate: message.clientCertificate(
        await clientCertificates.get(caller, requiredId(request.siteId, 'site_id'), requiredId(request.id, 'id')),
      ),
    })),
    listClientCertificates: unary(async (caller, request) => {
      const page = await clientCertificates.list(caller, requiredId(request.siteId, 'site_id'), paging(request.page));
      return { page: message.pageInfo(page), clientCertificates: page.items.map(message.clientCertificate) };
    }),
    revokeClientCertificate: unary(async (caller, request) => ({
      clientCertificate: message.clientCertificate(
        await clientCertificates.revoke(caller, requiredId(request.siteId, 'site_id'), requiredId(request.id, 'id'), request.confirm),
      ),
    })),
    activateClientCertificate: unary(async (caller, request) => ({
      clientCertificate: message.clientCertificate(
        await clientCertificates.activate(caller, requiredId(request.siteId, 'site_id'), requiredId(request.id, 'id')),
      ),
    })),
    deleteClientCertificate: unary(async (caller, request) => {
      await clientCertificates.delete(caller, requiredId(request.siteId, 'site_id'), requiredId(request.id, 'id'));
      return {};
    }),
  };
}

/** UNSPECIFIED is "not given" (a CSR, or the default ECC key); an unknown number is refused. */
function pkeyTypeOf(value: adminV1.PkeyType): PkeyType | undefined {
  switch (value) {
    case adminV1.PkeyType.PKEY_TYPE_UNSPECIFIED:
      return undefined;
    case adminV1.PkeyType.PKEY_TYPE_RSA:
      return 'RSA';
    case adminV1.PkeyType.PKEY_TYPE_ECC:
      return 'ECC';
    default:
      throw new ApiError('InvalidParameter.PkeyType', { details: { pkeyType: value } });
  }
}
