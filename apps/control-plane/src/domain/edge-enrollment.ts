import { issueClientCertificate } from '@portcullis/pki';
import type { JoinToken } from './entities.ts';
import type { Deps } from './deps.ts';
import { ApiError } from './api-error.ts';
import type { FleetCaService } from './fleet-ca.ts';
import { systemAccountId } from './fleet-ca.ts';
import { usableJoinToken } from './join-tokens.ts';
import { indexes } from './names.ts';

/** Days a node certificate is valid; an edge enrolls again (with a new token) before then. */
export const nodeCertificateValidityDays = 30;

/** Node ids: 1–64 characters of a-z, 0-9 and "-" (docs/edge-protocol.md). */
export const nodeIdPattern = /^[a-z0-9-]{1,64}$/;

/** Tries at counting a use when other enrollments count on the same token at once. */
const useCountTries = 50;

export interface EnrollmentRequest {
  readonly joinToken: string;
  readonly nodeId: string;
  /** The edge's own public key (SPKI PEM); its private key never leaves the edge. */
  readonly publicKeyPem: string;
}

export interface Enrollment {
  readonly nodeId: string;
  /** CN = node id, extendedKeyUsage clientAuth, issued by the fleet CA. */
  readonly certificatePem: string;
  readonly fleetCaPem: string;
  readonly serialNumber: string;
  readonly notAfter: string;
}

/**
 * Enrollment: an edge trades a join token and its public key for a node certificate from the
 * fleet CA, which it then presents on the discovery stream. The token is the only
 * authentication; each enrollment counts one of its uses atomically (guarded by the token's
 * revision), so a token of `maxUses` enrolls at most that many edges however many try at
 * once. The certificate is returned only once its use is counted and audited.
 */
export function edgeEnrollmentService(deps: Deps, fleetCa: FleetCaService) {
  const { store } = deps;

  return {
    /**
     * Throws `Auth.InvalidJoinToken` (unknown, wrong secret, expired, used up),
     * `InvalidParameter.NodeId`, or a libs/pki `Key.*` error for an unusable public key; none
     * of them consumes a use of the token.
     */
    async enroll(request: EnrollmentRequest, requestId: string): Promise<Enrollment> {
      await usableJoinToken(deps, request.joinToken);
      if (!nodeIdPattern.test(request.nodeId)) throw new ApiError('InvalidParameter.NodeId');
      const issuer = await fleetCa.issuer(requestId);
      const issued = await issueClientCertificate(
        issuer,
        { publicKey: request.publicKeyPem, commonName: request.nodeId, validityDays: nodeCertificateValidityDays },
        { now: deps.now() },
      );
      for (let attempt = 1; ; attempt++) {
        const token = await usableJoinToken(deps, request.joinToken);
        const used: JoinToken = { ...token.data, uses: token.data.uses + 1, lastUsedAt: deps.now().toISOString() };
        const result = await store.commit({
          guards: [{ type: 'unchanged', kind: 'joinToken', id: token.id, rev: token.rev }],
          puts: [{ kind: 'joinToken', id: token.id, data: used, indexes: [indexes.joinTokens], uniques: [] }],
          deletes: [],
          context: { accountId: undefined, actor: `joinToken:${token.id}`, requestId },
          audit: [
            {
              accountId: systemAccountId,
              action: 'Edge.Enroll',
              target: { kind: 'joinToken', id: token.id },
              details: {
                nodeId: request.nodeId,
                serialNumber: issued.info.serialNumber,
                notAfter: issued.info.notAfter.toISOString(),
                use: used.uses,
              },
            },
          ],
        });
        if (result.ok) break;
        if (attempt >= useCountTries) throw new ApiError('Conflict.ConcurrentChange');
      }
      return {
        nodeId: request.nodeId,
        certificatePem: issued.certificatePem,
        fleetCaPem: issuer.certificatePem,
        serialNumber: issued.info.serialNumber,
        notAfter: issued.info.notAfter.toISOString(),
      };
    },
  };
}
