import { PkiError, checkCrlCurrent, normaliseSerialHex, parseCrl, validateCaCertificate, verifyCrlSignature } from '@portcullis/pki';
import type { CertificateRevocationList } from '@portcullis/pki';
import type { CustomCa, CustomCaCrl, Revocation } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import type { Store } from '../store/store.ts';
import { accountOf, checkName } from './accounts.ts';
import { ApiError } from './api-error.ts';
import { commit, withRetry } from './commit.ts';
import { factsOf } from './certificate-facts.ts';
import { newId } from './ids.ts';
import { listAll } from './list-all.ts';
import { indexes, uniques } from './names.ts';
import { type PageOf, type PageRequest, window } from './paging.ts';
import { requireSite } from './sites.ts';

/** The custom CA `caId` of `siteId`, if both belong to `accountId`. */
export async function requireCustomCa(store: Store, accountId: string, siteId: string, caId: string) {
  await requireSite(store, accountId, siteId);
  const found = await store.get('customCa', caId);
  if (!found || found.data.accountId !== accountId || found.data.siteId !== siteId) throw new ApiError('NotFound.CaCertificate');
  return found;
}

/**
 * Client CAs users upload ("bring your own CA"), counted against the account plan's quota
 * (5 by default) across all its sites. Beyond the original product, each custom CA can carry
 * its own CRL and serials revoked by hand, so certificates a user's CA issued can be revoked
 * at the edges like the account CA's.
 */
export function customCasService(deps: Deps) {
  const { store } = deps;

  return {
    /**
     * Validates and stores one CA certificate (libs/pki: one PEM certificate, a currently
     * valid CA with keyCertSign, acceptable key and signature). The quota is checked in the
     * same atomic write, so concurrent uploads never exceed it. The same CA twice on a site
     * is `Conflict.CaCertificateExists`.
     */
    async upload(caller: Caller, siteId: string, input: { certificate: string; name?: string }): Promise<CustomCa> {
      const accountId = accountOf(caller);
      if (input.name !== undefined) checkName(input.name);
      await requireSite(store, accountId, siteId);
      const account = await store.get('account', accountId);
      if (!account) throw new ApiError('NotFound.Account');
      const validated = validateCaCertificate(input.certificate, { now: deps.now() });
      const facts = factsOf(validated.info);
      const ca: CustomCa = {
        id: newId('customCa'),
        accountId,
        siteId,
        name: input.name || facts.commonName || facts.subjectDn,
        certificatePem: validated.certificatePem,
        facts,
        createdAt: deps.now().toISOString(),
      };
      const quota = account.data.plan.customCaQuota;
      // The site guard keeps a CA (and its quota slot) from landing under a site deleted
      // meanwhile; an unrelated site change only re-reads the site.
      await withRetry(async () => {
        const site = await requireSite(store, accountId, siteId);
        await commit(
          store,
          caller,
          {
            guards: [
              { type: 'indexBelow', index: indexes.customCasOfAccount(accountId), limit: quota },
              { type: 'unchanged', kind: 'site', id: siteId, rev: site.rev },
            ],
            puts: [
              {
                kind: 'customCa',
                id: ca.id,
                data: ca,
                indexes: [indexes.customCasOfAccount(accountId), indexes.customCasOfSite(siteId)],
                uniques: [{ name: uniques.customCaFingerprint(siteId), value: facts.fingerprintSha256 }],
              },
            ],
            audit: [
              {
                accountId,
                action: 'CustomCa.Upload',
                target: { kind: 'customCa', id: ca.id },
                details: { fingerprintSha256: facts.fingerprintSha256 },
              },
            ],
          },
          (guard) =>
            guard === 0
              ? new ApiError('QuotaExceeded.CaCertificate', { details: { quota } })
              : guard === 1
                ? new ApiError('Conflict.ConcurrentChange')
                : new ApiError('Conflict.CaCertificateExists', { details: { fingerprintSha256: facts.fingerprintSha256 } }),
        );
      });
      return ca;
    },

    async get(caller: Caller, siteId: string, caId: string): Promise<CustomCa> {
      return (await requireCustomCa(store, accountOf(caller), siteId, caId)).data;
    },

    async list(caller: Caller, siteId: string, page: PageRequest): Promise<PageOf<CustomCa>> {
      await requireSite(store, accountOf(caller), siteId);
      const listed = await store.list('customCa', indexes.customCasOfSite(siteId), window(page));
      return { totalCount: listed.total, ...page, items: listed.items.map((i) => i.data) };
    },

    /** Deletes the CA with its bindings, CRL and hand revocations, in one write. */
    async delete(caller: Caller, siteId: string, caId: string): Promise<void> {
      const accountId = accountOf(caller);
      const found = await requireCustomCa(store, accountId, siteId, caId);
      const revocations = await listAll(store, 'revocation', indexes.revocationsOf(caId));
      await commit(store, caller, {
        guards: [{ type: 'unchanged', kind: 'customCa', id: caId, rev: found.rev }],
        deletes: [
          { kind: 'customCa', id: caId },
          { kind: 'customCaCrl', id: caId },
          { kind: 'binding', id: `${siteId}:${caId}` },
          ...revocations.map((r) => ({ kind: 'revocation' as const, id: r.id })),
        ],
        audit: [
          {
            accountId,
            action: 'CustomCa.Delete',
            target: { kind: 'customCa', id: caId },
            details: { fingerprintSha256: found.data.facts.fingerprintSha256 },
          },
        ],
      });
    },

    /**
     * Stores the CA's CRL (PEM or DER). The rule, so that no upload can ever un-revoke a
     * certificate the CA revoked:
     * 1. it is well-formed with a non-negative CRL number (`Crl.Malformed`, `Crl.InvalidNumber`)
     *    and signed by this CA (`InvalidParameter` with the reason);
     * 2. it is in force now: thisUpdate ≤ now (a minute of clock skew allowed) < nextUpdate
     *    (`Crl.NotYetValid`, `Crl.Expired`), so an expired CRL, replayed or late, is refused;
     * 3. it supersedes the held one (`Conflict.CrlNotNewer` otherwise): when both carry CRL
     *    numbers, a greater number and a thisUpdate no earlier than the held one's; otherwise
     *    a strictly later thisUpdate;
     * 4. serials leave only through a hold: a serial the held CRL lists with any reason but
     *    certificateHold stays revoked even when the new CRL no longer lists it. RFC 5280
     *    lets an issuer drop an entry only once the certificate has expired (then keeping it
     *    changes nothing at the edge, where it fails as expired) or when a hold is released
     *    (the one legitimate un-revocation, which this keeps possible). So a CA's mistake or
     *    a tampered-with issuing process cannot quietly revive a revoked certificate; to
     *    start from a clean list, delete the CA and upload it again. The kept serials count
     *    against the 500,000-entry bound (`Crl.TooLarge`).
     * The held CRL keeps applying after its nextUpdate passes until a newer one replaces it:
     * revocations never lapse for want of a fresh CRL.
     */
    async uploadCrl(caller: Caller, siteId: string, caId: string, input: string | Uint8Array): Promise<CustomCaCrl> {
      const accountId = accountOf(caller);
      const ca = await requireCustomCa(store, accountId, siteId, caId);
      const crl = parseCrl(input, { maxEntries: maxCrlSerials });
      const signature = verifyCrlSignature(crl, ca.data.certificatePem);
      if (!signature.ok) {
        throw new ApiError('InvalidParameter', {
          message: `The CRL is not signed by this CA (${signature.reason.replaceAll('_', ' ')}).`,
          details: { reason: signature.reason },
        });
      }
      const now = deps.now();
      checkCrlCurrent(crl, now);
      const held = await store.get('customCaCrl', caId);
      if (held && !supersedes(crl, held.data)) throw new ApiError('Conflict.CrlNotNewer');
      const stored: CustomCaCrl = {
        id: caId,
        accountId,
        caId,
        derBase64: Buffer.from(crl.der).toString('base64'),
        crlNumber: crl.crlNumber ?? undefined,
        thisUpdate: crl.thisUpdate.toISOString(),
        nextUpdate: crl.nextUpdate?.toISOString(),
        ...revokedAfter(crl, held?.data),
        uploadedAt: now.toISOString(),
      };
      await commit(store, caller, {
        guards: [
          { type: 'unchanged', kind: 'customCa', id: caId, rev: ca.rev },
          held ? { type: 'unchanged', kind: 'customCaCrl', id: caId, rev: held.rev } : { type: 'absent', kind: 'customCaCrl', id: caId },
        ],
        puts: [{ kind: 'customCaCrl', id: caId, data: stored, indexes: [], uniques: [] }],
        audit: [
          {
            accountId,
            action: 'CustomCa.UploadCrl',
            target: { kind: 'customCa', id: caId },
            details: { crlNumber: stored.crlNumber ?? '', revoked: stored.revokedSerials.length },
          },
        ],
      });
      return stored;
    },

    async getCrl(caller: Caller, siteId: string, caId: string): Promise<CustomCaCrl> {
      await requireCustomCa(store, accountOf(caller), siteId, caId);
      const held = await store.get('customCaCrl', caId);
      if (!held) throw new ApiError('NotFound.Crl');
      return held.data;
    },

    /** Revokes one serial of the CA by hand (idempotent: revoking twice keeps the first). */
    async revokeSerial(
      caller: Caller,
      siteId: string,
      caId: string,
      input: { serialNumber: string; reason?: string },
    ): Promise<Revocation> {
      const accountId = accountOf(caller);
      const ca = await requireCustomCa(store, accountId, siteId, caId);
      const serialNumber = parseSerial(input.serialNumber);
      const id = `${caId}:${serialNumber}`;
      const existing = await store.get('revocation', id);
      if (existing) return existing.data;
      const revocation: Revocation = {
        id,
        accountId,
        caId,
        serialNumber,
        source: 'manual',
        reason: input.reason,
        revokedAt: deps.now().toISOString(),
      };
      await commit(store, caller, {
        guards: [{ type: 'unchanged', kind: 'customCa', id: caId, rev: ca.rev }],
        puts: [{ kind: 'revocation', id, data: revocation, indexes: [indexes.revocationsOf(caId)], uniques: [] }],
        audit: [{ accountId, action: 'CustomCa.RevokeSerial', target: { kind: 'customCa', id: caId }, details: { serialNumber } }],
      });
      deps.metrics?.revoked('custom_ca_serial');
      return revocation;
    },

    async listRevocations(caller: Caller, siteId: string, caId: string, page: PageRequest): Promise<PageOf<Revocation>> {
      await requireCustomCa(store, accountOf(caller), siteId, caId);
      const listed = await store.list('revocation', indexes.revocationsOf(caId), window(page));
      return { totalCount: listed.total, ...page, items: listed.items.map((i) => i.data) };
    },

    /** Takes back a hand revocation; a serial on the CA's CRL stays revoked regardless. */
    async deleteRevocation(caller: Caller, siteId: string, caId: string, serialInput: string): Promise<void> {
      const accountId = accountOf(caller);
      await requireCustomCa(store, accountId, siteId, caId);
      const serialNumber = parseSerial(serialInput);
      const id = `${caId}:${serialNumber}`;
      const existing = await store.get('revocation', id);
      if (!existing) throw new ApiError('NotFound.Revocation');
      await commit(store, caller, {
        guards: [{ type: 'unchanged', kind: 'revocation', id, rev: existing.rev }],
        deletes: [{ kind: 'revocation', id }],
        audit: [{ accountId, action: 'CustomCa.UnrevokeSerial', target: { kind: 'customCa', id: caId }, details: { serialNumber } }],
      });
    },
  };
}

function parseSerial(input: string): string {
  const compact = input.trim().replaceAll(':', '');
  if (!/^[0-9a-fA-F]{1,40}$/.test(compact)) throw new ApiError('InvalidParameter.SerialNumber');
  return normaliseSerialHex(compact);
}

/** The most serials a custom CA's revocation list holds: AWS ALB's per-trust-store limit. */
const maxCrlSerials = 500_000;

/** Rule 3 of `uploadCrl`: whether `crl` is newer than the held one. */
function supersedes(crl: CertificateRevocationList, held: CustomCaCrl): boolean {
  const thisUpdate = crl.thisUpdate.getTime();
  const heldThisUpdate = Date.parse(held.thisUpdate);
  if (crl.crlNumber !== null && held.crlNumber !== undefined) {
    return BigInt(crl.crlNumber) > BigInt(held.crlNumber) && thisUpdate >= heldThisUpdate;
  }
  return thisUpdate > heldThisUpdate;
}

/** Rule 4 of `uploadCrl`: the serials revoked once `crl` replaces `held`, and those on hold. */
function revokedAfter(
  crl: CertificateRevocationList,
  held: CustomCaCrl | undefined,
): Pick<CustomCaCrl, 'revokedSerials' | 'onHoldSerials'> {
  const revoked = new Set<string>();
  const onHold: string[] = [];
  for (const entry of crl.revoked) {
    revoked.add(entry.serialNumber);
    if (entry.reason === 'certificateHold') onHold.push(entry.serialNumber);
  }
  if (held !== undefined) {
    const released = new Set(held.onHoldSerials ?? []);
    for (const serial of held.revokedSerials) if (!released.has(serial)) revoked.add(serial);
  }
  if (revoked.size > maxCrlSerials) {
    throw new PkiError('Crl.TooLarge', {
      detail: `${revoked.size} serials with those earlier CRLs revoked for good, at most ${maxCrlSerials}`,
    });
  }
  return { revokedSerials: [...revoked], onHoldSerials: onHold };
}
