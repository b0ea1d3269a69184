import { PkiError, exportPkcs12, inspectCsr, issueClientCertificate, maxClientValidityDays, type KeyType } from '@portcullis/pki';
import type { ClientCertificate } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import type { AccountCaService } from './account-ca.ts';
import { accountOf } from './accounts.ts';
import { ApiError } from './api-error.ts';
import { commit, withRetry } from './commit.ts';
import { factsOf } from './certificate-facts.ts';
import { newId } from './ids.ts';
import { indexes, uniques } from './names.ts';
import type { Put } from '../store/store.ts';
import { type PageOf, type PageRequest, window } from './paging.ts';
import { requireSite } from './sites.ts';
import { deletedCertificateRevocation } from './revocations.ts';

/** The original's key types; the system key is ECDSA P-256 or RSA-2048. */
export type PkeyType = 'RSA' | 'ECC';
const keyTypeOf: Readonly<Record<PkeyType, KeyType>> = { ECC: 'ec-p256', RSA: 'rsa-2048' };

export interface CreateClientCertificateInput {
  /** 1–3650 days; default 365. The CA's own end bounds the certificate further. */
  readonly validityDays?: number;
  /** A PEM CSR: the user holds the key. Excludes `pkeyType`. */
  readonly csr?: string;
  /** A key generated here and returned once. Default ECC when there is no CSR. */
  readonly pkeyType?: PkeyType;
  /**
   * Overrides the CSR's common name; for a system key, default the certificate's id. Given,
   * it is used as is: libs/pki's subject rules apply, and text a certificate cannot carry
   * faithfully (a lone surrogate, which UTF-8 would turn into U+FFFD) is refused.
   */
  readonly commonName?: string;
  /** Also return the certificate and generated key as PKCS#12 under this password. */
  readonly pkcs12Password?: string;
}

/** A new certificate with what is shown once: the generated key (and its PKCS#12). */
export interface CreatedClientCertificate {
  readonly certificate: ClientCertificate;
  readonly privateKeyPem: string | undefined;
  readonly pkcs12: Uint8Array | undefined;
}

/**
 * Client certificates issued by the account CA for a site. A generated private key is in
 * the answer to the create call only: it is never stored, logged, or shown again. Revoked
 * and deleted certificates are refused at the edges; a revoked one can be activated again,
 * a deleted one cannot.
 */
export function clientCertificatesService(deps: Deps, accountCa: AccountCaService) {
  const { store } = deps;

  async function requireCertificate(accountId: string, siteId: string, id: string) {
    await requireSite(store, accountId, siteId);
    const found = await store.get('clientCertificate', id);
    if (!found || found.data.accountId !== accountId || found.data.siteId !== siteId) throw new ApiError('NotFound.ClientCertificate');
    return found;
  }

  async function setStatus(caller: Caller, siteId: string, id: string, status: ClientCertificate['status']): Promise<ClientCertificate> {
    const accountId = accountOf(caller);
    return withRetry(async () => {
      const found = await requireCertificate(accountId, siteId, id);
      if (found.data.status === status) throw new ApiError('Conflict.Status', { details: { status } });
      const now = deps.now().toISOString();
      const { revokedAt: _previous, ...rest } = found.data;
      const updated: ClientCertificate = { ...rest, status, updatedAt: now, ...(status === 'revoked' ? { revokedAt: now } : {}) };
      await commit(store, caller, {
        guards: [{ type: 'unchanged', kind: 'clientCertificate', id, rev: found.rev }],
        puts: [certificatePut(updated)],
        audit: [
          {
            accountId,
            action: status === 'revoked' ? 'ClientCertificate.Revoke' : 'ClientCertificate.Activate',
            target: { kind: 'clientCertificate', id },
            details: { serialNumber: updated.facts.serialNumber },
          },
        ],
      });
      if (status === 'revoked') deps.metrics?.revoked('client_certificate');
      return updated;
    });
  }

  return {
    async create(caller: Caller, siteId: string, input: CreateClientCertificateInput): Promise<CreatedClientCertificate> {
      const accountId = accountOf(caller);
      await requireSite(store, accountId, siteId);
      const validityDays = input.validityDays ?? 365;
      if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > maxClientValidityDays) {
        throw new ApiError('InvalidParameter.ValidityDays', { details: { validityDays } });
      }
      if (input.csr !== undefined && input.pkeyType !== undefined) throw new ApiError('InvalidParameter.KeyOrCsr');
      if (input.pkeyType !== undefined && !(input.pkeyType in keyTypeOf)) throw new ApiError('InvalidParameter.PkeyType');
      if (
        input.pkcs12Password !== undefined &&
        (input.csr !== undefined ||
          input.pkcs12Password.length < 8 ||
          input.pkcs12Password.length > 128 ||
          // PKCS#12 encodes the password; a lone surrogate would become another password.
          !input.pkcs12Password.isWellFormed())
      ) {
        throw new ApiError('InvalidParameter.Pkcs12Password');
      }
      if (input.commonName !== undefined && !input.commonName.isWellFormed()) {
        throw new PkiError('Subject.InvalidCommonName', { detail: 'the common name holds a lone surrogate, which is not text' });
      }

      const id = newId('clientCertificate');
      // A CSR that does not parse or verify is refused before the account CA is created on
      // first use: bad input changes nothing.
      if (input.csr !== undefined) inspectCsr(input.csr);
      const issuer = await accountCa.issuer(caller);
      const issued = await issueClientCertificate(
        issuer,
        input.csr !== undefined
          ? { csr: input.csr, validityDays, ...(input.commonName !== undefined ? { commonName: input.commonName } : {}) }
          : { keyType: keyTypeOf[input.pkeyType ?? 'ECC'], commonName: input.commonName ?? id, validityDays },
        { now: deps.now() },
      );
      const now = deps.now().toISOString();
      const certificate: ClientCertificate = {
        id,
        accountId,
        siteId,
        caId: accountId,
        status: 'active',
        certificatePem: issued.certificatePem,
        facts: factsOf(issued.info),
        validityDays,
        keySource: issued.privateKeyPem === null ? 'csr' : 'system',
        createdAt: now,
        updatedAt: now,
      };
      // Built before the certificate is stored: a password the export refuses (say, with a
      // NUL) must fail the request without leaving a certificate whose key nobody holds.
      const pkcs12 =
        input.pkcs12Password !== undefined && issued.privateKeyPem !== null
          ? await exportPkcs12({
              certificate: issued.certificatePem,
              privateKey: issued.privateKeyPem,
              chain: [issuer.certificatePem],
              password: input.pkcs12Password,
            })
          : undefined;
      // The site guard keeps a certificate from landing under a site deleted meanwhile; an
      // unrelated site change only re-reads the site, it does not re-issue.
      await withRetry(async () => {
        const current = await requireSite(store, accountId, siteId);
        await commit(store, caller, {
          guards: [{ type: 'unchanged', kind: 'site', id: siteId, rev: current.rev }],
          puts: [certificatePut(certificate)],
          audit: [
            {
              accountId,
              action: 'ClientCertificate.Create',
              target: { kind: 'clientCertificate', id },
              details: { serialNumber: certificate.facts.serialNumber, keySource: certificate.keySource, validityDays },
            },
          ],
        });
      });
      deps.metrics?.certificateIssued(certificate.keySource);
      return { certificate, privateKeyPem: issued.privateKeyPem ?? undefined, pkcs12 };
    },

    async get(caller: Caller, siteId: string, id: string): Promise<ClientCertificate> {
      return (await requireCertificate(accountOf(caller), siteId, id)).data;
    },

    async list(caller: Caller, siteId: string, page: PageRequest): Promise<PageOf<ClientCertificate>> {
      await requireSite(store, accountOf(caller), siteId);
      const listed = await store.list('clientCertificate', indexes.clientCertificatesOf(siteId), window(page));
      return { totalCount: listed.total, ...page, items: listed.items.map((i) => i.data) };
    },

    /**
     * Revokes a certificate: the edges refuse it from their next configuration update on.
     * `confirmed` must be true — the caller states the certificate is no longer required.
     */
    async revoke(caller: Caller, siteId: string, id: string, confirmed: boolean): Promise<ClientCertificate> {
      if (!confirmed) throw new ApiError('InvalidParameter.Confirmation');
      return setStatus(caller, siteId, id, 'revoked');
    },

    async activate(caller: Caller, siteId: string, id: string): Promise<ClientCertificate> {
      return setStatus(caller, siteId, id, 'active');
    },

    /** Deletes the record; the serial stays revoked so the certificate cannot be used again. */
    async delete(caller: Caller, siteId: string, id: string): Promise<void> {
      const accountId = accountOf(caller);
      const found = await requireCertificate(accountId, siteId, id);
      const cert = found.data;
      await commit(store, caller, {
        guards: [{ type: 'unchanged', kind: 'clientCertificate', id, rev: found.rev }],
        puts: [deletedCertificateRevocation(cert, 'certificate deleted', deps.now())],
        deletes: [{ kind: 'clientCertificate', id }],
        audit: [
          {
            accountId,
            action: 'ClientCertificate.Delete',
            target: { kind: 'clientCertificate', id },
            details: { serialNumber: cert.facts.serialNumber },
          },
        ],
      });
    },
  };
}

/** A certificate document with its full memberships: its site's list and its serial claim. */
function certificatePut(certificate: ClientCertificate): Put {
  return {
    kind: 'clientCertificate',
    id: certificate.id,
    data: certificate,
    indexes: [indexes.clientCertificatesOf(certificate.siteId)],
    uniques: [{ name: uniques.clientCertificateSerial(certificate.caId), value: certificate.facts.serialNumber }],
  };
}
