import { createCertificateAuthority, loadIssuingCa, localCaSigner, type IssuingCa } from '@portcullis/pki';
import type { FleetCa } from './entities.ts';
import type { Deps } from './deps.ts';
import { factsOf } from './certificate-facts.ts';

/** The id of the one fleet CA document. */
export const fleetCaId = 'fleet';

/**
 * The account id under which fleet changes (join tokens, enrollments, the fleet CA) are
 * audited: they belong to no tenant. No account can have this id (account ids are `acc_…`),
 * so no tenant's audit log ever shows them.
 */
export const systemAccountId = 'system';

/** The envelope context of the fleet CA's key. */
const keyContext = `fleetCa:${fleetCaId}`;

/**
 * The CA of the edge fleet, created on first use (ECDSA P-256, ten years) and shared by every
 * replica: it issues node certificates at enrollment and each replica's discovery server
 * certificate at start. Its key is sealed by the key manager before it is stored. Two
 * replicas racing to create it both end up with the one that was committed first.
 */
export function fleetCaService(deps: Deps) {
  const { store } = deps;
  let signer: Promise<IssuingCa> | undefined;

  async function ensure(requestId: string): Promise<FleetCa> {
    const existing = await store.get('fleetCa', fleetCaId);
    if (existing) return existing.data;
    const created = await createCertificateAuthority({
      subject: { commonName: 'Portcullis fleet CA', organization: 'Portcullis' },
      now: deps.now(),
    });
    const ca: FleetCa = {
      id: fleetCaId,
      certificatePem: created.certificatePem,
      privateKey: await deps.keyManager.seal(Buffer.from(created.privateKeyPem), keyContext),
      facts: factsOf(created.info),
      createdAt: deps.now().toISOString(),
    };
    const result = await store.commit({
      guards: [{ type: 'absent', kind: 'fleetCa', id: fleetCaId }],
      puts: [{ kind: 'fleetCa', id: fleetCaId, data: ca, indexes: [], uniques: [] }],
      deletes: [],
      context: { accountId: undefined, actor: 'system', requestId },
      audit: [
        {
          accountId: systemAccountId,
          action: 'FleetCa.Create',
          target: { kind: 'fleetCa', id: fleetCaId },
          details: { serialNumber: ca.facts.serialNumber, fingerprintSha256: ca.facts.fingerprintSha256 },
        },
      ],
    });
    if (result.ok) return ca;
    const winner = await store.get('fleetCa', fleetCaId);
    if (!winner) throw new Error('the fleet CA was neither created nor found');
    return winner.data;
  }

  return {
    /** The fleet CA, created now if it does not exist yet. */
    get: ensure,

    /**
     * The fleet CA ready to issue. The CA never changes, so the opened signer is kept for the
     * process lifetime (a failure is not kept: the next call tries again).
     */
    issuer(requestId: string): Promise<IssuingCa> {
      if (!signer) {
        signer = (async () => {
          const ca = await ensure(requestId);
          const key = await deps.keyManager.open(ca.privateKey, keyContext);
          return loadIssuingCa(ca.certificatePem, localCaSigner(key.toString('utf8')));
        })();
        signer.catch(() => (signer = undefined));
      }
      return signer;
    },
  };
}

export type FleetCaService = ReturnType<typeof fleetCaService>;
