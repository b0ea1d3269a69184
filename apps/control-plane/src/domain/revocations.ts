import type { ClientCertificate, Revocation } from './entities.ts';
import type { Put } from '../store/store.ts';
import { indexes } from './names.ts';

/**
 * The revocation record that keeps a deleted certificate's serial refused at the edges: the
 * certificate still chains to its CA, so deleting it must not make it usable again.
 */
export function deletedCertificateRevocation(certificate: ClientCertificate, reason: string, now: Date): Put {
  const revocation: Revocation = {
    id: `${certificate.caId}:${certificate.facts.serialNumber}`,
    accountId: certificate.accountId,
    caId: certificate.caId,
    serialNumber: certificate.facts.serialNumber,
    source: 'deleted-certificate',
    reason,
    revokedAt: now.toISOString(),
  };
  return { kind: 'revocation', id: revocation.id, data: revocation, indexes: [indexes.revocationsOf(certificate.caId)], uniques: [] };
}
